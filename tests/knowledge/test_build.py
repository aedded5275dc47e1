"""Deriving the packaged register: name forms, Houses, date bounds, determinism.

Most tests build from small inputs written here; the last ones rebuild from the real reference
list in ../shared/westminster and skip cleanly when it is not beside the checkout.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.knowledge import ATTRIBUTION
from bot.knowledge.build import DEFAULT_OUT, derive, main
from bot.knowledge.names import clean_variant, variants
from bot.knowledge.register import Register
from bot.knowledge.spells import Spell, lords_from

WESTMINSTER = Path(__file__).resolve().parents[2].parent / "shared" / "westminster"

PEOPLE = [
    "person_id,name,given_name,family_name,aliases,house,party_history,constituency_latest,start,end",
    "1,Ann Example,Ann,Example,Mrs Ann Example|Dr Ann Example|Ann Q. Example,commons,"
    "Labour@2010-05-06..~2020-01-05|Independent@~2020-01-05..,Somewhere,2010-05-06,",
    "2,Lord Sample of Town,Bob,Sample,Bob Sample|Lord Sample|The Lord Bishop,lords,"
    "Conservative@2001-06-07..2015-03-30|Conservative@2015-10-01..,Oldseat,2001-06-07,",
    "3,Baroness Other,,Other,Baroness Other,lords,Crossbench@2000-01-01..,,2000-01-01,",
]
CHANGES = [
    "person_id,name,event,from_party,to_party,date,window_start,window_end,source",
    "1,Ann Example,party_change,Labour,Independent,~2020-01-05,2020-01-03,2020-01-05,snapshot",
]
MINISTERS = [
    "person_id,name,post,organisation,rank_equivalence,start,end",
    "2,Bob Sample,Minister of State,Home Office,MoS,2012-01-01,2014-01-01",
]


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "westminster"
    folder.mkdir()
    (folder / "SOURCE.md").write_text("Attribution:\n" + "\n".join(ATTRIBUTION), encoding="utf-8")
    for name, lines in (("people", PEOPLE), ("party_changes", CHANGES), ("ministers", MINISTERS)):
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("Mr Dominic Raab", "Dominic Raab"),
        ("Dr Dan Poulter", "Dan Poulter"),
        ("Rt Hon Sir Keir Starmer", "Keir Starmer"),
        ("Mr Michael Foster (Worcs.)", "Michael Foster"),
        ("Angela, E. Smith", "Angela E. Smith"),
        ("Lord Cameron", "Lord Cameron"),
        ("The Lord Bingham of Cornhill", "Lord Bingham of Cornhill"),
        ("The Lord Bishop of Durham", "Bishop of Durham"),
        ("The Lord Bishop", None),  # a title, not a person
        ("Mr Smith", None),  # one word once the honorific goes
        ("Sir", None),
    ],
)
def test_name_variants_worth_matching(raw: str, cleaned: str | None) -> None:
    assert clean_variant(raw) == cleaned


def test_variants_drop_honorific_only_duplicates() -> None:
    forms = variants(
        "Dan Poulter", "Dan", "Poulter", "Daniel Poulter|Dr Daniel Poulter|Dr Dan Poulter"
    )
    assert forms == ["Dan Poulter", "Daniel Poulter"]


def spells(*entries: tuple[str, str, str, bool]) -> list[Spell]:
    return [Spell(*entry) for entry in entries]


@pytest.mark.parametrize(
    ("house", "had_seat", "history", "first_in_lords"),
    [
        ("commons", True, spells(("Labour", "2010-05-06", "", False)), 1),
        ("lords", False, spells(("Crossbench", "2000-01-01", "", False)), 0),
        # Commons until an election, a peerage months later: the gap is the move.
        (
            "lords",
            True,
            spells(
                ("Labour", "1997-05-01", "2015-03-30", False), ("Labour", "2015-10-01", "", False)
            ),
            1,
        ),
        # A day's gap into Non-affiliated that was never recorded as a switch: the move itself.
        (
            "lords",
            True,
            spells(
                ("Labour", "2001-06-07", "2019-10-27", False),
                ("Non-affiliated", "2019-10-28", "2024-05-23", False),
                ("Labour", "2024-05-24", "", True),
            ),
            1,
        ),
        # A recorded switch inside the Lords, no break at all: the Lords throughout.
        (
            "lords",
            True,
            spells(
                ("Labour", "1996-01-02", "2006-07-04", False),
                ("Non-affiliated", "2006-07-05", "", True),
            ),
            0,
        ),
        # An earlier spell left open in the source is a break too.
        (
            "lords",
            True,
            spells(("Labour", "1987-06-11", "", False), ("Labour", "2010-06-18", "", False)),
            1,
        ),
    ],
)
def test_which_spells_were_in_the_lords(
    house: str, had_seat: bool, history: list[Spell], first_in_lords: int
) -> None:
    assert lords_from(house, had_seat, history) == first_in_lords


def test_derived_records(source: Path) -> None:
    people = {record[0]: record for record in derive(source)["people"]}
    ann, bob, other = people[1], people[2], people[3]
    assert ann[3] == ["Ann Example", "Ann Q. Example"]
    # "~2020-01-05" keeps its meaning and gains the lower bound the comparisons use.
    assert ann[8] == [
        ["Labour", "2010-05-06", "~2020-01-03/2020-01-05", "commons"],
        ["Independent", "~2020-01-03/2020-01-05", "", "commons"],
    ]
    assert bob[3] == ["Lord Sample of Town", "Bob Sample", "Lord Sample"]
    assert [spell[3] for spell in bob[8]] == ["commons", "lords"]
    assert bob[9] == [["Minister of State", "Home Office", "MoS", "2012-01-01", "2014-01-01"]]
    assert other[8] == [["Crossbench", "2000-01-01", "", "lords"]]


def test_build_writes_a_loadable_deterministic_file(source: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.json.gz", tmp_path / "b.json.gz"
    assert main([str(source), "--out", str(first)]) == 0
    assert main([str(source), "--out", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    register = Register.load(first)
    assert register.attribution == ATTRIBUTION
    assert register[1].party_on(date(2020, 1, 3)) == "Independent"
    assert register[2].is_sitting_mp(date(2012, 6, 1))
    assert not register[2].is_sitting_mp(date(2016, 6, 1))


def test_build_refuses_a_source_without_the_attribution(source: Path, tmp_path: Path) -> None:
    (source / "SOURCE.md").write_text("No licence text here.", encoding="utf-8")
    with pytest.raises(SystemExit, match="no longer contains"):
        main([str(source), "--out", str(tmp_path / "out.json.gz")])


@pytest.mark.shared
def test_rebuild_from_shared_is_byte_identical_to_the_shipped_copy(tmp_path: Path) -> None:
    if not WESTMINSTER.is_dir():
        pytest.skip("../shared/westminster is not present")
    first, second = tmp_path / "a.json.gz", tmp_path / "b.json.gz"
    main([str(WESTMINSTER), "--out", str(first)])
    main([str(WESTMINSTER), "--out", str(second)])
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() == DEFAULT_OUT.read_bytes()
