"""People rules: {@...} placeholders over text tagged from the register, judged on a date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.knowledge.parties import PARTIES, code_of_alias, code_of_label, resolve
from bot.knowledge.recognise import recognise
from bot.knowledge.register import Register
from bot.knowledge.tags import PARTY, PERSON, related, tag_field
from bot.pipeline import classify as classify_module
from bot.pipeline.classify import Classifier
from bot.pipeline.patterns import lower

RULES = """
[categories.switch]
label = "Switch"
emoji = "🔀"
colour = "#8E44AD"
description = "A politician changes party."
threshold = 1.0

[[rules]]
id = "joins"
category = "switch"
weight = 1.5
phrases = ["{@mp} joins {@other_party}", "{@minister:conservative} resigns"]
"""


@pytest.fixture(scope="module")
def register() -> Register:
    return classify_module.shared_register()


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.load()


def test_party_aliases_and_register_labels_share_codes() -> None:
    assert {code_of_alias(a) for a in ("tories", "tory", "conservatives")} == {"con"}
    assert code_of_alias("lib dems") == code_of_label("Liberal Democrat") == "ld"
    assert code_of_alias("reform") == code_of_label("Reform UK") == "reform"
    assert code_of_alias("greens") == code_of_label("Green Party") == "green"
    assert code_of_label("Labour (Co-op)") == "lab"
    # A suspended whip, a crossbencher: no party anyone could join
    assert code_of_label("Independent") == code_of_label("Crossbench") == code_of_label(None) == ""
    assert resolve("Tories") == resolve("Conservative") == resolve("con") == "con"
    assert resolve("Whigs") is None
    assert len({p.code for p in PARTIES}) == len(PARTIES)


def test_tags_say_role_and_party_and_map_back_to_the_text(register: Register) -> None:
    title = "Ex-Tory MP Lee Anderson joins Reform UK"
    on = date(2024, 3, 11)
    tagged = tag_field(title, lower(title), recognise(title, "", register, on), on)
    assert tagged.text == f"ex-{PARTY}con{PARTY} mp {PERSON}mp:{PERSON} joins {PARTY}reform{PARTY}"
    start = tagged.text.index(PERSON)
    end = tagged.text.index(" joins")
    assert title[tagged.original(start) : tagged.original(end, end=True)] == "Lee Anderson"
    assert tagged.original(len(tagged.text), end=True) == len(title)


def test_lower_case_reform_is_no_party(register: Register) -> None:
    text = "MPs back pension reform"
    assert PARTY not in tag_field(text, lower(text), [], date(2024, 1, 1)).text


def test_related_compares_a_party_with_the_nearest_person_before_it() -> None:
    anderson, farage = f"{PERSON}mp:{PERSON}", f"{PERSON}mp:reform{PERSON}"
    reform = f"{PARTY}reform{PARTY}"
    assert related(f"{anderson} joins {reform}", same=False)
    assert not related(f"{farage} joins {reform}", same=False)
    assert related(f"{farage} joins {reform}", same=True)
    assert not related(f"{reform} joins", same=False)  # no person before the party


def test_people_rule_in_a_users_file_uses_the_date(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULES, encoding="utf-8")
    rules = Classifier.load(path)
    title = "Natalie Elphicke joins Labour"
    assert rules.classify(title, "", date(2024, 5, 8)).categories == ("switch",)
    # A year on she no longer sits; and long before, her party was her own
    assert not rules.classify(title, "", date(2025, 6, 1)).categories
    match = rules.classify(title, "", date(2024, 5, 8)).matches[0]
    assert match.text == "Natalie Elphicke joins Labour"
    assert rules.classify("Dominic Raab resigns", "", date(2023, 4, 1)).categories
    assert not rules.classify("Dominic Raab resigns", "", date(2024, 4, 1)).categories


def test_summary_defection_judged_on_the_headlines_date(classifier: Classifier) -> None:
    summary = "Lee Anderson joins Reform UK, saying he wants his country back."
    assert classifier.classify("A new party for Ashfield", summary, date(2024, 3, 11)).categories
    assert not classifier.classify("A new party for Ashfield", summary, date(2025, 6, 1)).categories


def test_explain_names_who_was_recognised_and_the_people_rules(classifier: Classifier) -> None:
    text = classifier.explain(
        "Cabinet minister Dominic Raab under investigation", "", date(2022, 11, 20)
    )
    assert "People:     (as of 2022-11-20)" in text
    assert "'Dominic Raab' (title): Dominic Raab — Conservative MP for Esher and Walton" in text
    assert "inquiry.named_politician_investigated [include] title" in text
    assert text.rstrip().endswith("people rule") or " people rule\n" in text
    plain = classifier.explain("Inflation falls again", "", date(2024, 1, 1))
    assert "People:     none recognised (as of 2024-01-01)" in plain


def test_prepare_loads_the_register_once_rules_need_it(classifier: Classifier) -> None:
    classifier.prepare()
    assert classify_module._REGISTER
    assert classifier.people("Keir Starmer speaks", "", date(2024, 1, 1))[0].text == "Keir Starmer"


def test_names_are_only_looked_up_when_a_people_rule_could_fire(
    classifier: Classifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real = classify_module.recognise
    monkeypatch.setattr(classify_module, "recognise", lambda *a: calls.append(a[0]) or real(*a))
    classifier.classify("Keir Starmer visits a school in Leeds", "", date(2024, 1, 1))
    assert not calls
    classifier.classify("Keir Starmer to join Reform UK", "", date(2024, 1, 1))
    assert calls == ["Keir Starmer to join Reform UK"]


def test_roles_come_from_posts_held_on_the_date(register: Register) -> None:
    title = "Dominic Raab and Simon Hart meet"
    on = date(2022, 11, 20)
    tagged = tag_field(title, lower(title), recognise(title, "", register, on), on).text
    assert f"{PERSON}cdnmp:con{PERSON} and {PERSON}wnmp:con{PERSON}" in tagged
    later = date(2025, 1, 1)  # both out of office and out of the Commons, but recent
    tagged = tag_field(title, lower(title), recognise(title, "", register, later), later).text
    assert tagged.count(f"{PERSON}p:con{PERSON}") == 2
