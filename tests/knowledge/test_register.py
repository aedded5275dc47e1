"""Facts from the packaged register: party on a date, posts on a date, who sat where, and how
people are described. Reads only the copy shipped in bot/data (no ../shared needed)."""

from __future__ import annotations

import fnmatch
import tomllib
from datetime import date
from pathlib import Path

import pytest

from bot.knowledge import ATTRIBUTION
from bot.knowledge.build import encode
from bot.knowledge.register import FORMAT, Register

ROOT = Path(__file__).resolve().parents[2]
PRITI_PATEL, CHRISTIAN_WAKEFORD, DAVID_CAMERON = 4066, 4871, 1467
ROBERT_JENRICK, RUPERT_LOWE, LINDSAY_HOYLE = 4320, 5158, 467


@pytest.fixture(scope="module")
def register() -> Register:
    return Register.load()


def test_shipped_copy_carries_everyone_and_the_attribution(register: Register) -> None:
    assert len(register) > 2800
    assert register.attribution == ATTRIBUTION
    assert "Open Parliament Licence v3.0" in ATTRIBUTION[0]
    assert "CC BY 4.0" in ATTRIBUTION[1]
    assert register[PRITI_PATEL].name == "Priti Patel"
    assert register.get(-1) is None
    assert register[PRITI_PATEL] in list(register)


@pytest.mark.parametrize(
    ("person_id", "on", "party"),
    [
        (CHRISTIAN_WAKEFORD, date(2019, 12, 11), None),  # not yet elected
        (CHRISTIAN_WAKEFORD, date(2022, 1, 18), "Conservative"),
        (CHRISTIAN_WAKEFORD, date(2022, 1, 19), "Labour"),  # crossed the floor that day
        # "~2026-01-16" is compared on its lower bound from party_changes.csv, 2026-01-14.
        (ROBERT_JENRICK, date(2026, 1, 13), "Conservative"),
        (ROBERT_JENRICK, date(2026, 1, 14), "Independent"),
        (ROBERT_JENRICK, date(2026, 3, 1), "Reform UK"),
        # A window "2024-10-29/2025-07-16" is compared on its lower bound too.
        (RUPERT_LOWE, date(2024, 10, 28), "Reform UK"),
        (RUPERT_LOWE, date(2024, 10, 29), "Independent"),
        (LINDSAY_HOYLE, date(2020, 1, 1), "Speaker"),
    ],
)
def test_party_on_a_date(register: Register, person_id: int, on: date, party: str | None) -> None:
    assert register[person_id].party_on(on) == party


def test_posts_on_a_date(register: Register) -> None:
    patel = register[PRITI_PATEL]
    [post] = patel.posts_on(date(2020, 6, 1))
    assert post.post == "Secretary of State for the Home Department"
    assert post.organisation == "Home Office"
    assert (post.start, post.end) == ("2019-07-24", "2022-09-06")
    assert patel.posts_on(date(2018, 6, 1)) == []
    assert [p.post for p in register[DAVID_CAMERON].posts_on(date(2014, 1, 1))] == [
        "Prime Minister"
    ]


def test_sitting_mp_member_and_active(register: Register) -> None:
    cameron = register[DAVID_CAMERON]
    assert cameron.is_sitting_mp(date(2015, 6, 1))
    assert not cameron.is_member(date(2020, 6, 1))  # between the Commons and the Lords
    assert not cameron.is_active(date(2020, 6, 1))
    assert cameron.is_member(date(2024, 2, 1))
    assert not cameron.is_sitting_mp(date(2024, 2, 1))  # a peer by then
    assert register[PRITI_PATEL].is_sitting_mp(date(2025, 6, 1))


@pytest.mark.parametrize(
    ("person_id", "on", "line"),
    [
        (
            PRITI_PATEL,
            date(2025, 6, 1),
            "Priti Patel — Conservative MP for Witham; Home Secretary 2019–2022",
        ),
        # Posts that had not started yet are left out.
        (
            PRITI_PATEL,
            date(2015, 1, 1),
            "Priti Patel — Conservative MP for Witham; Exchequer Secretary 2014–2015",
        ),
        # The post held on the day first, then the most senior.
        (
            DAVID_CAMERON,
            date(2024, 2, 1),
            "Lord Cameron of Chipping Norton — Conservative peer; "
            "Foreign Secretary 2023–2024; Prime Minister 2010–2016",
        ),
        (
            DAVID_CAMERON,
            date(2020, 1, 1),
            "Lord Cameron of Chipping Norton — former Conservative MP for Witney; "
            "Prime Minister 2010–2016",
        ),
        (LINDSAY_HOYLE, date(2022, 1, 1), "Lindsay Hoyle — Speaker, MP for Chorley"),
    ],
)
def test_one_line_descriptions(register: Register, person_id: int, on: date, line: str) -> None:
    assert register[person_id].describe(on) == line


def test_named_finds_every_bearer_of_a_name(register: Register) -> None:
    assert {p.id for p in register.named("Angela Smith")} == {1564, 4170}
    assert [p.id for p in register.named("Keir Starmer")] == [4514]
    assert register.named("Nobody Atall") == []


def test_round_trip_through_a_file(register: Register, tmp_path: Path) -> None:
    record = [
        7,
        "Ann Example",
        "Example",
        ["Ann Example"],
        "commons",
        "Somewhere",
        "2010-05-06",
        "",
        [["Labour", "2010-05-06", "", "commons"]],
        [["Minister of State", "Home Office", "MoS", "2012-01-01", ""]],
    ]
    no_history = [8, "Lord Quiet", "Quiet", ["Lord Quiet"], "lords", "", "2001-01-01", "", [], []]
    document = {
        "format": FORMAT,
        "attribution": list(ATTRIBUTION),
        "people": [record, no_history],
    }
    path = tmp_path / "people.json.gz"
    path.write_bytes(encode(document))
    loaded = Register.load(path)
    assert loaded.source == str(path)
    person = loaded[7]
    assert person.party_on(date(2020, 1, 1)) == "Labour"
    assert person.describe(date(2020, 1, 1)) == (
        "Ann Example — Labour MP for Somewhere; Minister of State, Home Office since 2012"
    )
    assert loaded[8].describe(date(2020, 1, 1)) == "Lord Quiet — member of the Lords"
    assert loaded[8].party_on(date(2020, 1, 1)) is None


def test_a_file_of_another_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.json.gz"
    path.write_bytes(encode({"format": "something else", "people": []}))
    with pytest.raises(ValueError, match="not a"):
        Register.load(path)


def test_the_data_file_is_declared_as_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["bot"]
    assert (ROOT / "bot" / "data" / "people.json.gz").is_file()
    assert any(fnmatch.fnmatch("data/people.json.gz", pattern) for pattern in patterns)
