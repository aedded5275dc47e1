"""Recognising people in headline text, against the packaged register (no ../shared needed).

The headlines are written for these tests; each case says what should be found, as
(text as written, display names of the candidates, found by surname alone).
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.knowledge.recognise import RECENT_HEADLINES, Mention, Recogniser, recognise
from bot.knowledge.register import Register

Expected = list[tuple[str, list[str], bool]]

CASES: list[tuple[str, str, str, date, Expected]] = [
    (
        "full name",
        "Priti Patel unveils a points-based plan",
        "",
        date(2021, 3, 1),
        [("Priti Patel", ["Priti Patel"], False)],
    ),
    (
        "alias from the ministers database",
        "Jo Johnson steps down as universities minister",
        "",
        date(2019, 9, 5),
        [("Jo Johnson", ["Lord Johnson of Marylebone"], False)],
    ),
    (
        "alias with the longer given name",
        "Doctor-turned-MP Daniel Poulter crosses the floor",
        "",
        date(2024, 4, 27),
        [("Daniel Poulter", ["Dan Poulter"], False)],
    ),
    (
        "Sir before a name joins the mention",
        "Sir Keir Starmer names his new chief of staff",
        "",
        date(2025, 1, 10),
        [("Sir Keir Starmer", ["Keir Starmer"], False)],
    ),
    (
        "Dame before a name joins the mention",
        "Commons leader Dame Andrea Leadsom on the bullying report",
        "",
        date(2019, 1, 10),
        [("Dame Andrea Leadsom", ["Andrea Leadsom"], False)],
    ),
    (
        "Lord X of Y",
        "Lessons must be learned, says Lord Foster of Bath",
        "",
        date(2023, 9, 1),
        [("Lord Foster of Bath", ["Lord Foster of Bath"], False)],
    ),
    (
        "full peerage title with a curly possessive",
        "Lord Cameron of Chipping Norton’s first speech as foreign secretary",
        "",
        date(2024, 1, 20),
        [("Lord Cameron of Chipping Norton", ["Lord Cameron of Chipping Norton"], False)],
    ),
    (
        "short peerage form: the minister of the two sitting Lord Camerons",
        "Lord Cameron flies to Kyiv for talks",
        "",
        date(2024, 1, 20),
        [("Lord Cameron", ["Lord Cameron of Chipping Norton"], False)],
    ),
    (
        "short peerage form while David Cameron was an MP: never him",
        "Lord Cameron opens a rural housing debate",
        "",
        date(2012, 6, 1),
        [("Lord Cameron", ["Lord Cameron of Lochbroom", "Lord Cameron of Dillington"], False)],
    ),
    (
        "Baroness X of Y",
        "Baroness Smith of Basildon sets out the Lords timetable",
        "",
        date(2024, 9, 1),
        [("Baroness Smith of Basildon", ["Baroness Smith of Basildon"], False)],
    ),
    (
        "straight possessive",
        "Dominic Raab's resignation letter in full",
        "",
        date(2023, 4, 21),
        [("Dominic Raab", ["Dominic Raab"], False)],
    ),
    (
        "curly possessive",
        "Boris Johnson’s allies plot a comeback",
        "",
        date(2023, 7, 1),
        [("Boris Johnson", ["Boris Johnson"], False)],
    ),
    (
        "bare apostrophe possessive",
        "Jess Phillips' speech on violence against women",
        "",
        date(2021, 3, 11),
        [("Jess Phillips", ["Jess Phillips"], False)],
    ),
    (
        "surname in the headline, full name in the summary",
        "Starmer promises a decade of renewal",
        "Keir Starmer told the conference his government would rebuild.",
        date(2024, 10, 8),
        [("Starmer", ["Keir Starmer"], True), ("Keir Starmer", ["Keir Starmer"], False)],
    ),
    (
        "surname after a title and with a possessive",
        "Rishi Sunak calls an election",
        "Mr Sunak's announcement came in the rain. Sunak said he was ready.",
        date(2024, 5, 22),
        [
            ("Rishi Sunak", ["Rishi Sunak"], False),
            ("Mr Sunak", ["Rishi Sunak"], True),
            ("Sunak", ["Rishi Sunak"], True),
        ],
    ),
    (
        "a lone surname with no full name anywhere counts for nothing",
        "Johnson under pressure over donations",
        "The prime minister's spokesman declined to comment.",
        date(2021, 12, 1),
        [],
    ),
    (
        "a surname followed by another capitalised word is not alone",
        "Sarah Green on the Lib Dem surge",
        "Green Party councillors welcomed Green's remarks.",
        date(2024, 7, 10),
        [("Sarah Green", ["Sarah Green"], False), ("Green", ["Sarah Green"], True)],
    ),
    (
        "one surname, two people named in full: ambiguous",
        "Boris Johnson and his brother Jo Johnson disagree",
        "Johnson insisted there was no rift.",
        date(2019, 9, 5),
        [
            ("Boris Johnson", ["Boris Johnson"], False),
            ("Jo Johnson", ["Lord Johnson of Marylebone"], False),
            ("Johnson", ["Boris Johnson", "Lord Johnson of Marylebone"], True),
        ],
    ),
    (
        "a shared name settled by who still sat on the day",
        "Angela Smith questions the minister",
        "",
        date(2022, 3, 1),
        [("Angela Smith", ["Baroness Smith of Basildon"], False)],
    ),
    (
        "a shared name both bearers sat under: left ambiguous",
        "Angela Smith backs the bill",
        "",
        date(2015, 11, 1),
        [("Angela Smith", ["Angela Smith", "Baroness Smith of Basildon"], False)],
    ),
    (
        "an ambiguous short form settled by a full name in the same text",
        "Lord Cameron speaks on farming",
        "David Cameron, out of office since July, said the policy was sound.",
        date(2024, 9, 1),
        [
            ("Lord Cameron", ["Lord Cameron of Chipping Norton"], False),
            ("David Cameron", ["Lord Cameron of Chipping Norton"], False),
        ],
    ),
    (
        "names inside other words, or not capitalised, are not names",
        "The Johnsonian era and anti-Johnson feeling",
        "Boris Johnson's allies met; priti patel and KEIR STARMER in lower and upper case.",
        date(2022, 1, 10),
        [("Boris Johnson", ["Boris Johnson"], False)],
    ),
    (
        "a first name alone is not a mention",
        "Sir Keir faces his backbenchers",
        "",
        date(2025, 1, 10),
        [],
    ),
]


@pytest.fixture(scope="module")
def register() -> Register:
    return Register.load()


def found(mentions: list[Mention]) -> Expected:
    return [(m.text, [p.name for p in m.candidates], m.by_surname) for m in mentions]


@pytest.mark.parametrize(
    ("title", "summary", "on", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_recognition(
    register: Register, title: str, summary: str, on: date, expected: Expected
) -> None:
    assert found(recognise(title, summary, register, on)) == expected


def test_mentions_point_at_their_text(register: Register) -> None:
    title = "Why Rishi Sunak’s allies fear Reform"
    summary = "Ms Badenoch said Kemi Badenoch would stay; Mr. Sunak left."
    for mention in recognise(title, summary, register, date(2024, 11, 5)):
        text = (title if mention.field == "title" else summary).replace("’", "'")
        assert text[mention.start : mention.end] == mention.text


def test_ambiguity_flags_and_person(register: Register) -> None:
    [clear] = recognise("Angela Smith", "", register, date(2022, 3, 1))
    [unclear] = recognise("Angela Smith", "", register, date(2015, 11, 1))
    assert not clear.ambiguous
    assert clear.person is not None
    assert clear.person.id == 4170
    assert unclear.ambiguous
    assert unclear.person is None
    assert {p.id for p in unclear.candidates} == {1564, 4170}


def test_without_a_date_today_is_used(register: Register) -> None:
    [mention] = recognise("Keir Starmer visits Berlin", "", register)
    assert mention.person is not None
    assert mention.person.name == "Keir Starmer"


def test_one_recogniser_per_register(register: Register) -> None:
    recogniser = Recogniser(register)
    title, summary = "Starmer speaks", "Sir Keir Starmer spoke."
    on = date(2024, 7, 5)
    assert recogniser.recognise(title, summary, on) == recognise(title, summary, register, on)
    assert recogniser.recognise("Tuesday's weather", "Rain in the north.", on) == []


def test_a_headline_asked_about_again_on_the_same_day_is_not_scanned_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recogniser = Recogniser(Register.load())
    day = date(2021, 3, 1)
    first = recogniser.recognise("Priti Patel unveils a plan", "", day)
    first.clear()  # what a caller does with its list is its own business

    def no_scan(*_: object) -> None:
        raise AssertionError("scanned again")

    monkeypatch.setattr(recogniser, "full_names", no_scan)
    again = recogniser.recognise("Priti Patel unveils a plan", "", day)
    assert [m.text for m in again] == ["Priti Patel"]
    with pytest.raises(AssertionError, match="scanned again"):
        recogniser.recognise("Priti Patel unveils a plan", "", date(2021, 3, 2))
    with pytest.raises(AssertionError, match="scanned again"):  # "today" is never kept
        recogniser.recognise("Priti Patel unveils a plan", "")


def test_only_the_latest_headlines_are_kept() -> None:
    recogniser = Recogniser(Register.load())
    day = date(2021, 3, 1)
    for number in range(RECENT_HEADLINES + 10):
        recogniser.recognise(f"Headline {number} names nobody", "", day)
    assert len(recogniser._recent) == RECENT_HEADLINES
    assert ("Headline 0 names nobody", "", day) not in recogniser._recent
