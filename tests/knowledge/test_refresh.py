"""Turning Members API histories into stored spells, spotting party changes, and the overlay."""

from __future__ import annotations

from datetime import date

from bot.knowledge.current import overlay
from bot.knowledge.members_records import HouseEntry, Member, MemberHistory, Party, PartyEntry
from bot.knowledge.refresh import PartyChange, RefreshSummary, party_changes, spells_of
from bot.knowledge.register import Register
from bot.store.people import StoredPerson, StoredSpell

CON = Party(4, "Conservative", "Con")
LAB = Party(15, "Labour", "Lab")
COOP = Party(23, "Labour (Co-op)", "Lab/Co-op")


def member(member_id: int, party: Party | None, house: str = "commons") -> Member:
    return Member(
        member_id, f"Member {member_id}", "", party, house, "Seat", "2024-07-04", "", True
    )


def history(member_id: int, parties: list[PartyEntry], houses: list[HouseEntry]) -> MemberHistory:
    return MemberHistory(member_id, (), tuple(parties), tuple(houses))


def test_re_elections_are_one_spell() -> None:
    # The API ends a membership at dissolution and starts the next on polling day.
    spells = spells_of(
        member(1, CON),
        history(
            1,
            [PartyEntry(CON, "2010-05-06", "2019-11-06"), PartyEntry(CON, "2019-12-12", "")],
            [
                HouseEntry("commons", "Seat", "2010-05-06", "2015-03-30"),
                HouseEntry("commons", "Seat", "2015-05-07", "2019-11-06"),
                HouseEntry("commons", "Seat", "2019-12-12", ""),
            ],
        ),
    )
    assert [(s.party, s.start, s.end, s.house) for s in spells] == [
        ("Conservative", "2010-05-06", "", "commons")
    ]


def test_a_move_to_the_lords_splits_the_spell_and_leaves_the_gap() -> None:
    spells = spells_of(
        member(2, CON, "lords"),
        history(
            2,
            [PartyEntry(CON, "1992-04-09", "")],
            [
                HouseEntry("commons", "Seat", "1992-04-09", "2017-05-03"),
                HouseEntry("lords", "Life peer", "2018-06-18", ""),
            ],
        ),
    )
    assert [(s.start, s.end, s.house) for s in spells] == [
        ("1992-04-09", "2017-05-03", "commons"),
        ("2018-06-18", "", "lords"),
    ]


def test_a_switch_stays_two_spells_and_no_history_falls_back_to_the_latest_party() -> None:
    switched = spells_of(
        member(3, LAB),
        history(
            3,
            [PartyEntry(CON, "2019-12-12", "2022-01-19"), PartyEntry(LAB, "2022-01-19", "")],
            [HouseEntry("commons", "Seat", "2019-12-12", "")],
        ),
    )
    assert [(s.party, s.end) for s in switched] == [("Conservative", "2022-01-19"), ("Labour", "")]
    assert [(s.party, s.start, s.end) for s in spells_of(member(4, LAB), None)] == [
        ("Labour", "2024-07-04", "")
    ]
    assert spells_of(member(5, None), None) == []


def test_party_changes_ignore_labour_co_op_and_unknown_people() -> None:
    register = Register.load()
    on = date(2026, 10, 1)
    wakeford = register[4871]  # Labour in the shipped register
    changes = party_changes(
        register, [member(4871, COOP), member(4066, LAB), member(999_999, CON)], on
    )
    assert wakeford.party_on(on) == "Labour"
    assert changes == [PartyChange(4066, "Member 4066", "Conservative", "Labour")]


def test_summary_line_lists_five_then_counts() -> None:
    changes = tuple(PartyChange(n, f"P{n}", "A", "B") for n in range(7))
    line = RefreshSummary(650, 800, changes, 0).line()
    assert line == (
        "refreshed 650 MPs and 800 peers; 7 party changes since the shipped register: "
        "P0 (A → B), P1 (A → B), P2 (A → B), P3 (A → B), P4 (A → B), and 2 more"
    )


def test_overlay_replaces_known_people_only() -> None:
    register = Register.load()
    people = [
        StoredPerson(4066, "Priti Patel", "commons", "Witham", "Reform UK", "2010-05-06"),
        StoredPerson(999_999, "Somebody New", "lords", "Life peer", "Crossbench", "2026-10-01"),
    ]
    spells = {
        4066: [
            StoredSpell(4066, "Conservative", "2010-05-06", "2026-09-01", "commons"),
            StoredSpell(4066, "Reform UK", "2026-09-01", "", "commons"),
        ],
        999_999: [StoredSpell(999_999, "Crossbench", "2026-10-01", "", "lords")],
    }
    current = overlay(register, people, spells)
    assert current[4066].party_on(date(2026, 10, 1)) == "Reform UK"
    assert current[4066].posts == register[4066].posts
    assert current.get(999_999) is None
    assert current.named("Priti Patel") == [current[4066]]
    assert register[4066].party_on(date(2026, 10, 1)) == "Conservative"  # the packaged copy
    assert overlay(register, [], {}) is register
