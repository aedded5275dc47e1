"""What the UK Parliament Members API answers, as typed records, read strictly from its JSON.

Only the fields Division Bell uses are read; anything missing or of the wrong type is a
MalformedResponse naming where in the document it was, so a changed API fails clearly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

HOUSES = {1: "commons", 2: "lords"}


class MalformedResponse(ValueError):
    """The JSON is not in the shape the Members API documents; says where."""


@dataclass(frozen=True, slots=True)
class Party:
    """A party as the Members API labels it (a suspended whip shows as Independent)."""

    id: int
    name: str
    abbreviation: str


@dataclass(frozen=True, slots=True)
class Member:
    """A member from Search or Members/{id}: who, which House, which party now."""

    id: int
    name: str  # nameDisplayAs, e.g. "Christian Wakeford" or "Lord Cameron of Chipping Norton"
    list_name: str  # nameListAs, e.g. "Wakeford, Christian"
    party: Party | None
    house: str  # "commons" or "lords"
    seat: str  # membershipFrom: the constituency, or the kind of peerage
    start: str  # ISO date the latest membership began
    end: str  # ISO date it ended, '' while current
    active: bool  # membershipStatus.statusIsActive


@dataclass(frozen=True, slots=True)
class PartyEntry:
    """One entry of a party history; `end` is '' while open."""

    party: Party
    start: str
    end: str


@dataclass(frozen=True, slots=True)
class HouseEntry:
    """One membership of a House; `end` is '' while current."""

    house: str
    seat: str
    start: str
    end: str


@dataclass(frozen=True, slots=True)
class MemberHistory:
    """A member's name, party and House histories from Members/History."""

    id: int
    names: tuple[str, ...]
    parties: tuple[PartyEntry, ...]
    houses: tuple[HouseEntry, ...]


def field(data: Any, key: str, where: str) -> Any:
    """data[key], when data is an object that has it."""
    if not isinstance(data, dict):
        raise MalformedResponse(f"{where}: expected an object, got {type(data).__name__}")
    if key not in data:
        raise MalformedResponse(f"{where}.{key}: missing")
    return data[key]


def integer(data: Any, key: str, where: str) -> int:
    """An integer field."""
    value = field(data, key, where)
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedResponse(f"{where}.{key}: expected an integer, got {value!r}")
    return value


def text(data: Any, key: str, where: str, *, optional: bool = False) -> str:
    """A string field ('' for null or absent when optional)."""
    if optional:
        if not isinstance(data, dict):
            raise MalformedResponse(f"{where}: expected an object, got {type(data).__name__}")
        value = data.get(key)
        if value is None:
            return ""
    else:
        value = field(data, key, where)
    if not isinstance(value, str):
        raise MalformedResponse(f"{where}.{key}: expected a string, got {value!r}")
    return value


def day(data: Any, key: str, where: str, *, optional: bool = False) -> str:
    """An ISO date from a date-time field such as "2019-12-12T00:00:00" ('' for null)."""
    value = text(data, key, where, optional=optional)
    if not value:
        return ""
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        raise MalformedResponse(f"{where}.{key}: not a date: {value!r}") from None


def array(data: Any, key: str, where: str) -> list[Any]:
    """An array field."""
    value = field(data, key, where)
    if not isinstance(value, list):
        raise MalformedResponse(f"{where}.{key}: expected an array, got {type(value).__name__}")
    return value


def house_name(data: Any, key: str, where: str) -> str:
    """'commons' or 'lords' from the API's House number."""
    number = integer(data, key, where)
    if number not in HOUSES:
        raise MalformedResponse(f"{where}.{key}: unknown House {number}")
    return HOUSES[number]


def party_from(data: Any, where: str) -> Party:
    """A Party object."""
    name = text(data, "name", where)
    return Party(integer(data, "id", where), name, text(data, "abbreviation", where, optional=True))


def member_from(data: Any, where: str) -> Member:
    """A Member from a Search item's or Members/{id}'s `value`."""
    raw_party = field(data, "latestParty", where)
    membership = field(data, "latestHouseMembership", where)
    at = f"{where}.latestHouseMembership"
    status = membership.get("membershipStatus") if isinstance(membership, dict) else None
    return Member(
        id=integer(data, "id", where),
        name=text(data, "nameDisplayAs", where),
        list_name=text(data, "nameListAs", where, optional=True),
        party=None if raw_party is None else party_from(raw_party, f"{where}.latestParty"),
        house=house_name(membership, "house", at),
        seat=text(membership, "membershipFrom", at, optional=True),
        start=day(membership, "membershipStartDate", at, optional=True),
        end=day(membership, "membershipEndDate", at, optional=True),
        active=bool(status.get("statusIsActive")) if isinstance(status, dict) else False,
    )


def history_from(data: Any, where: str) -> MemberHistory:
    """A MemberHistory from one Members/History element's `value`."""
    parties = []
    for number, entry in enumerate(array(data, "partyHistory", where)):
        at = f"{where}.partyHistory[{number}]"
        party = party_from(field(entry, "party", at), f"{at}.party")
        parties.append(
            PartyEntry(party, day(entry, "startDate", at), day(entry, "endDate", at, optional=True))
        )
    houses = []
    for number, entry in enumerate(array(data, "houseMembershipHistory", where)):
        at = f"{where}.houseMembershipHistory[{number}]"
        houses.append(
            HouseEntry(
                house_name(entry, "house", at),
                text(entry, "membershipFrom", at, optional=True),
                day(entry, "membershipStartDate", at),
                day(entry, "membershipEndDate", at, optional=True),
            )
        )
    names = tuple(
        text(entry, "nameDisplayAs", f"{where}.nameHistory[{number}]")
        for number, entry in enumerate(data.get("nameHistory") or [])
    )
    return MemberHistory(integer(data, "id", where), names, tuple(parties), tuple(houses))
