"""Actors' case-blind patterns: searched in lower-cased text where that is exact, the same
findings as IGNORECASE on the text as written."""

from __future__ import annotations

import pytest

from bot.pipeline import actors

TEXTS = [
    "Privileges Committee finds Boris Johnson misled Parliament",
    "PRIVILEGES COMMITTEE’S REPORT: JOHNSON DELIBERATELY MISLED MPS",
    "Standards Commissioner – probe into Smith’s second job",
    "Inquiry into the Post Office scandal resumes; Covid inquiry hears from Cain",
    "Holyrood’s standards committee finds MSP broke rules",
    "Senedd member suspended after Welsh Parliament standards watchdog report",
    "Stormont MLAs back motion; Tory MP survives no-confidence vote",
    "İnquiry into İstanbul trip",  # "İ" lowers to two characters: searched as written
    "ſcottish parliament inquiry",  # IGNORECASE matches the long s as "s"; lower() does not
    "Minister ıs suspended",  # nor the dotless i as "i"
    "Covid inquiry: \u212aelvin report",  # the Kelvin sign lowers to "k", as IGNORECASE matches it
]


def _as_written(text: str) -> actors._Subject:
    return actors._Subject(text, False)


@pytest.mark.parametrize("text", TEXTS)
def test_lower_cased_search_finds_what_ignorecase_finds(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = (actors.bodies_in(text), actors.jurisdiction_of(text), actors.developments_in(text))
    monkeypatch.setattr(actors, "_subject", _as_written)  # every search IGNORECASE, as before
    assert (
        actors.bodies_in(text),
        actors.jurisdiction_of(text),
        actors.developments_in(text),
    ) == found


def test_only_texts_that_lower_in_place_are_lower_cased() -> None:
    assert actors._subject("Covid Inquiry’s Report") == ("covid inquiry’s report", True)
    for text in ("İnquiry", "ſcottish", "ıs"):
        assert actors._subject(text) == (text, False)


def test_the_words_of_a_body_keep_their_case_rules() -> None:
    # Offsets in the lower-cased text pick the words out of the text as written, whose capitals
    # decide where a name ends ("rejects Covid inquiry": "Covid", not "rejects Covid").
    assert actors.bodies_in("Minister rejects Covid inquiry call") == frozenset(
        {actors.Body(frozenset({"covid"}), False)}
    )
