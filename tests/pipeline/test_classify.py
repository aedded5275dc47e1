"""The headline classifier: hard negatives, positives, evidence, explain() and rule-file errors.

Headlines here are invented in the style of real ones; the labelled corpus is scored in
tests/test_evaluate.py and the growing table of tricky cases is tests/test_golden_headlines.py.
"""

from __future__ import annotations

import random
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.pipeline.classify import Classifier
from bot.pipeline.patterns import compile_regex, lower, required
from bot.pipeline.rules import load_ruleset

ROOT = Path(__file__).resolve().parents[2]
PACKAGED = ROOT / "bot" / "data" / "categories.toml"
EXPLAINED_MATCH = re.compile(r"^  [+-][\d.]+  (\S+) \[\w+\] (title|summary) ", re.MULTILINE)


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.load()


def categories(classifier: Classifier, title: str, summary: str = "") -> set[str]:
    return set(classifier.classify(title, summary).categories)


# --- hard negatives: general news that shares the words -------------------------------------


def test_golfer_defecting_to_another_tour(classifier: Classifier) -> None:
    title = "Ryder Cup star defects to Saudi-backed LIV Golf tour"
    summary = "The world number five is the latest golfer to quit the PGA Tour."
    assert categories(classifier, title, summary) == set()


def test_newspaper_letters_page(classifier: Classifier) -> None:
    assert (
        categories(classifier, "Letters: Your views on the Budget and the cost of living") == set()
    )
    assert categories(classifier, "Readers' letters page: no confidence in the railways") == set()


def test_foreign_police_investigation(classifier: Classifier) -> None:
    title = "French police open investigation into arson attack on Paris synagogue"
    assert categories(classifier, title) == set()


def test_foreign_parliamentary_inquiry(classifier: Classifier) -> None:
    title = "US Senate committee opens inquiry into social media giant"
    assert categories(classifier, title) == set()


def test_regulator_review(classifier: Classifier) -> None:
    title = "Ofwat opens investigation into water company over sewage spills"
    summary = "The regulator's review will examine whether the firm broke its licence."
    assert categories(classifier, title, summary) == set()


def test_birth_defects(classifier: Classifier) -> None:
    title = "Epilepsy drug linked to birth defects, study finds"
    assert categories(classifier, title) == set()


def test_product_defects(classifier: Classifier) -> None:
    title = "Carmaker recalls 40,000 vehicles over brake defects"
    summary = "Engineers found defects in the braking system of two models."
    assert categories(classifier, title, summary) == set()


def test_north_korean_defectors(classifier: Classifier) -> None:
    assert categories(classifier, "North Korean soldier defects across the border") == set()
    title = "North Korean defector to stand for Conservatives in council election"
    assert categories(classifier, title) == set()


def test_whip_suspended(classifier: Classifier) -> None:
    title = "Labour MP has whip suspended and will sit as an independent"
    summary = "The party said it was investigating complaints about his conduct."
    assert categories(classifier, title, summary) == set()


def test_whip_restored(classifier: Classifier) -> None:
    title = "Tories restore whip to MPs who sat as independents"
    assert categories(classifier, title) == set()


def test_open_letter(classifier: Classifier) -> None:
    title = "MPs sign open letter urging PM to act on child poverty"
    summary = "More than 100 MPs from five parties put their names to the cross-party letter."
    assert categories(classifier, title, summary) == set()


def test_resignation_letter(classifier: Classifier) -> None:
    title = "Minister's resignation letter in full: 'I no longer have confidence'"
    assert categories(classifier, title) == set()


def test_commons_motion_of_no_confidence_in_the_government(classifier: Classifier) -> None:
    title = "Opposition to table vote of no confidence in the government"
    summary = "MPs will vote on the motion tomorrow after the government's defeat."
    assert categories(classifier, title, summary) == set()
    assert categories(classifier, "Government survives Commons no-confidence motion") == set()


def test_bbc_question_time(classifier: Classifier) -> None:
    title = "Question Time: audience member clashes with minister over NHS"
    assert categories(classifier, title) == set()


def test_other_question_sessions(classifier: Classifier) -> None:
    assert categories(classifier, "Chancellor faces questions over growth forecast") == set()
    assert categories(classifier, "Your questions answered on the new state pension") == set()
    assert categories(classifier, "First Minister's Questions: Swinney pressed on ferries") == set()


def test_inquest(classifier: Classifier) -> None:
    title = "Inquest opens into death of cyclist hit by lorry"
    summary = "The coroner adjourned the hearing until next year."
    assert categories(classifier, title, summary) == set()


def test_police_investigation_not_about_politics(classifier: Classifier) -> None:
    assert categories(classifier, "Murder inquiry launched after man found dead in park") == set()
    title = "Police investigation under way after lorry crash closes motorway"
    assert categories(classifier, title) == set()


def test_journalistic_investigation(classifier: Classifier) -> None:
    title = "BBC investigation uncovers fake reviews on shopping sites"
    assert categories(classifier, title) == set()


def test_defection_at_pmqs_is_not_a_pmqs_story(classifier: Classifier) -> None:
    title = "Who is the MP who crossed the floor?"
    summary = "She crossed the floor minutes before PMQs began."
    assert categories(classifier, title, summary) == {"defection"}


# --- positives ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "summary", "expected"),
    [
        ("Conservative MP defects to Reform UK", "", {"defection"}),
        ("Second Labour MP crosses the floor in a week", "", {"defection"}),
        ("SNP MSP quits party to join Alba", "", {"defection"}),
        ("Lib Dems gain MP", "The Tory MP has defected to the Liberal Democrats.", {"defection"}),
        ("Tory MPs submit letters of no confidence in PM", "", {"letters"}),
        (
            "PM to face confidence vote tonight",
            "Graham Brady said the threshold was met.",
            {"letters"},
        ),
        ("1922 Committee chairman: enough letters received", "", {"letters"}),
        ("PMQs: Starmer and Badenoch clash over tax", "", {"pmqs"}),
        ("Watch: highlights from Prime Minister’s Questions", "", {"pmqs"}),
        ("Covid inquiry: former adviser gives evidence", "", {"inquiry"}),
        ("Standards commissioner opens investigation into MP", "", {"inquiry"}),
        ("Privileges Committee to publish report next week", "", {"inquiry"}),
        ("Sue Gray report on No 10 parties published", "", {"inquiry"}),
        ("Police issue more fines over Downing Street lockdown parties", "", {"inquiry"}),
        ("PMQs as it happened: Tory MP defects to Labour", "", {"pmqs", "defection"}),
    ],
)
def test_positives(classifier: Classifier, title: str, summary: str, expected: set[str]) -> None:
    assert categories(classifier, title, summary) == expected


def test_categories_in_file_order_with_display_details(classifier: Classifier) -> None:
    assert list(classifier.categories) == ["defection", "letters", "pmqs", "inquiry"]
    info = classifier.categories["pmqs"]
    assert (info.name, info.label, info.emoji) == ("pmqs", "PMQs", "🎙️")
    assert 0 <= info.colour <= 0xFFFFFF
    assert info.description
    assert "\n" not in info.description
    result = classifier.classify("PMQs as it happened: Tory MP defects to Labour")
    assert result.categories == ("defection", "pmqs")  # file order, not match order


# --- evidence and normalisation -------------------------------------------------------------


def test_evidence_names_rule_field_words_and_weight(classifier: Classifier) -> None:
    result = classifier.classify("Tory MP Defects To Labour", "She said she had no choice.")
    evidence = result.evidence_for("defection")
    match = next(m for m in evidence if m.rule == "defection.defects_to_party")
    assert (match.category, match.field) == ("defection", "title")
    assert match.text == "Defects To Labour"  # as written in the headline
    assert match.weight == pytest.approx(2.0)
    assert dict(result.scores)["defection"] == pytest.approx(
        sum(m.weight for m in result.matches if m.category == "defection")
    )


def test_summary_counts_less_than_title(classifier: Classifier) -> None:
    in_title = classifier.classify("Tory MP defects to Labour")
    in_summary = classifier.classify("Westminster latest", "A Tory MP defects to Labour.")
    title_weight = next(
        m.weight for m in in_title.matches if m.rule == "defection.defects_to_party"
    )
    summary_match = next(m for m in in_summary.matches if m.rule == "defection.defects_to_party")
    assert summary_match.field == "summary"
    assert summary_match.weight < title_weight
    assert "defection" in in_summary.categories  # a decisive phrase still fires from the summary


def test_curly_apostrophes_and_dashes_are_normalised(classifier: Classifier) -> None:
    result = classifier.classify("Watch: Prime Minister’s Questions in full")
    match = next(m for m in result.matches if m.rule == "pmqs.prime_ministers_questions")
    assert match.text == "Prime Minister’s Questions"  # original characters kept
    result = classifier.classify("Tory MPs send no‑confidence letters — reports")
    assert "letters" in result.categories
    assert any("no‑confidence" in m.text for m in result.matches)


def test_lower_keeps_every_offset() -> None:
    for text in ("İstanbul ’quote’ – dash", "plain ascii", "ﬁne ligature", "Straße"):
        assert len(lower(text)) == len(text)


def test_no_match_is_empty(classifier: Classifier) -> None:
    result = classifier.classify("Weather: sunny spells and scattered showers")
    assert result.categories == ()
    assert result.matches == ()
    assert result.scores == ()


def test_veto_blocks_a_category_whatever_its_score(classifier: Classifier) -> None:
    text = classifier.explain("North Korean MP defects to the ruling party, crossing the floor")
    assert "defection: no - vetoed by defection.foreign_politics" in text


# --- explain --------------------------------------------------------------------------------


def test_explain_lists_rules_words_weights_and_decisions(classifier: Classifier) -> None:
    text = classifier.explain(
        "Tory MP defects to Labour", "Opposition parties plan to table a vote of no confidence."
    )
    assert "Categories: defection" in text
    assert re.search(r"^defection: YES \(score \d+\.\d\d >= threshold 1\)$", text, re.MULTILINE)
    assert "defection.defects_to_party [include] title 'defects to Labour'" in text
    assert "(weight 2 x title 1)" in text
    assert "letters: no - below threshold" in text
    assert "letters.tabled [exclude] summary 'table'" in text  # exclusions are shown too
    assert "pmqs: no - no rule matched" in text
    assert "inquiry: no - no rule matched" in text


def test_explain_and_classify_agree(classifier: Classifier) -> None:
    headlines = [
        ("Tory MP defects to Labour minutes before PMQs", ""),
        ("What is a vote of no confidence?", "Labour will table a motion in the government."),
        ("Covid inquiry hears from former health secretary", ""),
        ("Reform UK gains first MP", "Lee Anderson has defected from the Conservatives."),
    ]
    for title, summary in headlines:
        decided = classifier.classify(title, summary).categories
        line = classifier.explain(title, summary).splitlines()[2]
        assert line == f"Categories: {', '.join(decided) or 'none'}"


# --- the prefilter never changes a result ---------------------------------------------------


def word_salads() -> list[str]:
    """Headlines, then 300 word salads of their words: odd texts that many rules half-match."""
    texts = [
        "Tory MP defects to Labour",
        "Labour MPs quit party to form The Independent Group",
        "Reform UK councillor switches to the Conservatives after suspension",
        "Letters of no confidence: how many are needed?",
        "Prime Minister’s Questions: Sunak and Starmer clash",
        "Sue Gray report: Met Police fine 83 people over No 10 parties",
        "Standards watchdog investigates MP's second job; inquiry told of leak",
        "Golfer defects to LIV; North Korean soldier crosses border; birth defects study",
        "Ofcom review finds BBC breached rules, French police investigate",
        "Ex-MP's ‘no-confidence’ vote—TV debate on GB News; _tv xmp émp mp_ 12pm",
    ]
    words = " ".join(texts).split()
    shuffler = random.Random(1922)  # fixed seed: the same odd word salads every run
    return texts + [
        " ".join(shuffler.choices(words, k=shuffler.randint(3, 20))) for _ in range(300)
    ]


def test_prefilter_finds_every_match_a_full_search_would(classifier: Classifier) -> None:
    ruleset = load_ruleset()
    for text in word_salads():
        full = {
            (rule.id, field)
            for rule in ruleset.rules
            for field in ("title", "summary")
            if field in rule.fields and any(re.search(unit, lower(text)) for unit in rule.units)
        }
        explained = set(EXPLAINED_MATCH.findall(classifier.explain(text, text)))
        assert explained == full, text


def test_regexes_compiled_to_search_faster_match_exactly_the_same() -> None:
    units = {unit for rule in load_ruleset().rules for unit in rule.units}
    rewritten = [unit for unit in units if compile_regex(unit).pattern != unit]
    assert len(rewritten) >= 40  # the rules' `\b(?:a|b…)` patterns
    texts = [lower(text) for text in word_salads()]
    for unit in rewritten:
        plain, faster = re.compile(unit), compile_regex(unit)
        for text in texts:
            hits = [plain.search(text), faster.search(text)]
            assert [hit and hit.span() for hit in hits] == [hits[0] and hits[0].span()] * 2, unit


def test_strings_a_regex_requires_are_in_every_text_it_matches() -> None:
    units = [unit for rule in load_ruleset().rules for unit in rule.units]
    assert sum(bool(required(unit)) for unit in units) >= 200
    texts = [lower(text) for text in word_salads()]
    for unit in units:
        regex = re.compile(unit)
        for text in texts:
            if regex.search(text):
                assert all(need in text for need in required(unit)), (unit, text)


# --- rule files -----------------------------------------------------------------------------


def test_config_copy_is_identical_to_the_packaged_rules() -> None:
    assert (ROOT / "config" / "categories.toml").read_bytes() == PACKAGED.read_bytes()


MINIMAL = """
[categories.byelection]
label = "By-election"
emoji = "🗳️"
colour = "#16A085"
description = "A Westminster by-election."
threshold = 1.0

[[rules]]
id = "named"
category = "byelection"
weight = 1.5
phrases = ["by election*", "byelection*"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_user_rules_file_can_add_a_category(tmp_path: Path) -> None:
    path = write(tmp_path, PACKAGED.read_text(encoding="utf-8") + MINIMAL)
    classifier = Classifier.load(path)
    assert list(classifier.categories)[-1] == "byelection"
    assert classifier.categories["byelection"].colour == 0x16A085
    result = classifier.classify("Tory MP quits, triggering by-election in marginal seat")
    assert "byelection" in result.categories
    assert result.evidence_for("byelection")[0].text == "by-election"
    assert "defection" in Classifier.load(path).classify("MP defects to Reform").categories


def test_a_rules_file_is_built_once_and_an_edited_one_anew(tmp_path: Path) -> None:
    path = write(tmp_path, PACKAGED.read_text(encoding="utf-8") + MINIMAL)
    first = Classifier.load(path)
    assert Classifier.load(path) is first  # reading the config and opening the runtime share it
    path.write_text(PACKAGED.read_text(encoding="utf-8"), encoding="utf-8")
    edited = Classifier.load(path)
    assert edited is not first
    assert "byelection" not in edited.categories


def test_the_index_built_on_first_use_gives_what_a_prepared_one_gives() -> None:
    headlines = [
        "Tory MP Christian Wakeford defects to Labour",
        "PMQs: Starmer and Sunak clash over NHS waiting lists",
        "Sue Gray report: the full findings",
        "Weather: rain spreading east overnight",
    ]
    prepared = Classifier(load_ruleset())
    prepared.prepare()
    expected = [prepared.classify(h) for h in headlines]
    # A fresh classifier asked from four threads at once builds its index once, correctly.
    lazy = Classifier(load_ruleset())
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: [lazy.classify(h) for h in headlines], range(4)))
    assert all(result == expected for result in results)
    assert [r.categories for r in expected][:3] == [("defection",), ("pmqs",), ("inquiry",)]


def test_regexes_are_compiled_when_needed_and_phrases_never_fail_to(tmp_path: Path) -> None:
    # Phrases full of regex syntax: rules.py escapes them, so compiling later cannot fail.
    odd = MINIMAL.replace(
        '"byelection*"]',
        r""""byelection*", '(a+b)? [x] .* $1 \d ^ | end']""",
    )
    assert odd != MINIMAL
    path = write(tmp_path, PACKAGED.read_text(encoding="utf-8") + odd)
    classifier = Classifier.load(path)
    classifier.prepare()  # compiles every regex of every rule: none raises
    assert "byelection" in classifier.classify("Tory MP quits, triggering a by-election").categories


def test_integer_colour_and_scoring_table(tmp_path: Path) -> None:
    text = "[scoring]\ntitle_weight = 2\nsummary_weight = 0.5\n" + MINIMAL.replace(
        'colour = "#16A085"', "colour = 0x16A085"
    )
    classifier = Classifier.load(write(tmp_path, text))
    assert classifier.categories["byelection"].colour == 0x16A085
    result = classifier.classify("By-election news", "A by-election is called.")
    assert [m.weight for m in result.matches] == [3.0, 0.75]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("weight = 1.5", "weight = 1.5\nwieght = 2"),
            "rule byelection.named: unknown key 'wieght'",
        ),
        (
            ('phrases = ["by election*", "byelection*"]', 'patterns = ["by(election"]'),
            "rule byelection.named patterns[0]: bad regex",
        ),
        (
            ('category = "byelection"', 'category = "gossip"'),
            "rule gossip.named: category 'gossip' is not declared",
        ),
        (("weight = 1.5", 'weight = "heavy"'), "rule byelection.named weight: must be a number"),
        (('colour = "#16A085"', 'colour = "teal"'), "[categories.byelection] colour"),
        (("threshold = 1.0\n", ""), "[categories.byelection]: missing key 'threshold'"),
        (
            ("weight = 1.5", "weight = 1.5\nveto = true"),
            "must be non-zero, and negative for a veto",
        ),
        (('"by election*", ', '"{places} by election", '), "unknown list {places}"),
        (('id = "named"', 'id = "Named Rule"'), "id must be lower-case"),
        (("weight = 1.5", "weight = 1.5\nfields = ['headline']"), "fields: must name only title"),
        (
            ('"by election*", ', '"{@mayor} by election", '),
            "rule byelection.named phrases[0]: unknown placeholder {@mayor}",
        ),
        (
            ('phrases = ["by election*", "byelection*"]', "patterns = ['{@mp:whigs} quits']"),
            "rule byelection.named patterns[0]: unknown placeholder {@mp:whigs}",
        ),
        (
            ('phrases = ["by election*", "byelection*"]', "patterns = ['{@other_party:labour}']"),
            "unknown placeholder {@other_party:labour}",
        ),
        (
            ("[[rules]]", "[lists]\nwho = ['{@mp}']\n\n[[rules]]"),
            "[lists] who[0]: lists cannot hold {@...} placeholders",
        ),
    ],
)
def test_bad_rules_files_name_the_file_and_the_rule(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = write(tmp_path, MINIMAL.replace(*change))
    with pytest.raises(ConfigError) as caught:
        Classifier.load(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_bad_toml_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("threshold = 1.0", "threshold = = 1.0"))
    with pytest.raises(ConfigError, match=r"invalid TOML: .*line 7") as caught:
        Classifier.load(path)
    assert str(path) in str(caught.value)


def test_missing_file_and_missing_sections(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read rules file"):
        Classifier.load(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match=r"\[\[rules\]\]: missing"):
        Classifier.load(write(tmp_path, MINIMAL.split("[[rules]]", maxsplit=1)[0]))
    with pytest.raises(ConfigError, match="has no rule with a positive weight"):
        Classifier.load(write(tmp_path, MINIMAL.replace("weight = 1.5", "weight = -1.5")))
    with pytest.raises(ConfigError, match="unknown key 'extra'"):
        Classifier.load(write(tmp_path, "extra = 1\n" + MINIMAL))
