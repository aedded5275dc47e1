"""Who a defection report says joined which party: the claim Parliament is later asked about."""

from __future__ import annotations

from datetime import date

import pytest

from bot.knowledge.joining import defection_claim, joined_party
from bot.knowledge.register import Register

TODAY = date(2026, 12, 4)


@pytest.fixture(scope="module")
def register() -> Register:
    return Register.load()


@pytest.mark.parametrize(
    ("text", "party"),
    [
        ("Tory MP defects to Labour", "lab"),
        ("Former Tory MP to join Reform UK", "reform"),
        ("Backbencher crosses the floor to the Tories", "con"),
        ("MP defects from the Conservatives to the Lib Dems", "ld"),
        ("Labour MP joins Reform", "reform"),
        ("Why I joined the Greens, by defecting MP", "green"),
        ("MP quits Labour to sit as an Independent", None),  # no party anyone joins
        ("Reform UK welcomes a Conservative MP", None),  # who went where is not said
        ("MP defects over pension reform plans", None),  # "reform" is a party only capitalised
    ],
)
def test_the_party_is_the_one_someone_goes_to(text: str, party: str | None) -> None:
    assert joined_party(text) == party


def test_the_claim_names_a_sitting_mp_and_the_party(register: Register) -> None:
    claim = defection_claim("Tory MP Edward Leigh defects to Reform UK", "", register, TODAY)
    assert claim is not None
    assert (claim.person.id, claim.person.name, claim.party, claim.party_name) == (
        345,
        "Edward Leigh",
        "reform",
        "Reform UK",
    )


def test_the_summary_names_the_party_when_the_title_does_not(register: Register) -> None:
    claim = defection_claim(
        "Edward Leigh walks out on the Conservatives",
        "The veteran MP said he would join Reform UK.",
        register,
        TODAY,
    )
    assert claim is not None
    assert (claim.person.id, claim.party) == (345, "reform")


def test_someone_already_in_the_party_is_not_the_defector(register: Register) -> None:
    # Edward Leigh already sits for the Conservatives: he cannot be joining them.
    assert defection_claim("Edward Leigh defects to the Tories", "", register, TODAY) is None
    # The welcoming MP is passed over for the one who moved.
    title = "Reform's Lee Anderson welcomes Edward Leigh as he defects to Reform UK"
    claim = defection_claim(title, "", register, TODAY)
    assert claim is not None
    assert claim.person.id == 345


def test_no_claim_without_a_sitting_mp_or_a_party(register: Register) -> None:
    # Natalie Elphicke left the Commons in 2024: a report today names no sitting MP.
    assert defection_claim("Natalie Elphicke defects to Reform UK", "", register, TODAY) is None
    assert defection_claim("Tory MP Jane Marchmont defects to Labour", "", register, TODAY) is None
    assert defection_claim("Edward Leigh quits the Conservatives", "", register, TODAY) is None


def test_a_claim_is_judged_on_the_report_s_day(register: Register) -> None:
    claim = defection_claim(
        "Tory MP Natalie Elphicke crosses the floor to join Labour", "", register, date(2024, 5, 8)
    )
    assert claim is not None
    assert (claim.person.name, claim.party) == ("Natalie Elphicke", "lab")
