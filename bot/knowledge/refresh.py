"""`people refresh`: current MPs and peers from the Members API into the database, in one go.

Everything is read before anything is written, and the write replaces what the previous refresh
stored in one transaction: an API failure part-way leaves the previous state untouched.
Government posts are not read here; they stay as the packaged register has them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import NamedTuple

from bot.knowledge.members_api import MembersApi
from bot.knowledge.members_records import HouseEntry, Member, MemberHistory
from bot.knowledge.register import Register
from bot.store.people import RefreshRecord, StoredPerson, StoredSpell, replace_people
from bot.store.sql import Store

# Same party, same House, back within this long: one spell. The Members API ends a Commons
# membership at dissolution and starts the next on polling day (about five weeks later); the
# packaged register merges such runs, so the refreshed spells do too.
_SAME_RUN_GAP_DAYS = 45
# Labels the packaged register does not count as a switch from each other.
_SAME_PARTY = {"Labour (Co-op)": "Labour"}


class PartyChange(NamedTuple):
    """A current member whose party differs from the packaged register's."""

    person_id: int
    name: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class RefreshSummary:
    """What a refresh stored and what it found changed since the packaged register."""

    mps: int
    peers: int
    changes: tuple[PartyChange, ...]
    unknown: int  # current members the packaged register does not know (e.g. new peers)

    def line(self, shown: int = 5) -> str:
        """One line for the terminal."""
        head = f"refreshed {self.mps} MPs and {self.peers} peers"
        if self.unknown:
            head += f" ({self.unknown} not in the shipped register)"
        if not self.changes:
            return f"{head}; no party changes since the shipped register"
        listed = [f"{c.name} ({c.before} → {c.after})" for c in self.changes[:shown]]
        more = len(self.changes) - shown
        if more > 0:
            listed.append(f"and {more} more")
        noun = "party change" if len(self.changes) == 1 else "party changes"
        return f"{head}; {len(self.changes)} {noun} since the shipped register: {', '.join(listed)}"


def gap_days(end: str, start: str) -> int:
    """Days from one spell's end to the next one's start (negative when they overlap)."""
    return (date.fromisoformat(start) - date.fromisoformat(end)).days


def membership_on(day: str, houses: tuple[HouseEntry, ...]) -> HouseEntry | None:
    """The latest membership begun by `day` (the first one if none was yet)."""
    begun = [entry for entry in houses if entry.start <= day]
    if begun:
        return max(begun, key=lambda entry: entry.start)
    return min(houses, key=lambda entry: entry.start) if houses else None


def piece(
    member: Member, party: str, start: str, end: str, houses: tuple[HouseEntry, ...]
) -> StoredSpell:
    """One stretch of a party spell within one membership, cut short where the membership ended."""
    membership = membership_on(start, houses)
    if membership is None:
        return StoredSpell(member.id, party, start, end, member.house)
    if membership.end and start < membership.end and (not end or membership.end < end):
        end = membership.end  # e.g. an MP between leaving the Commons and entering the Lords
    return StoredSpell(member.id, party, start, end, membership.house)


def spells_of(member: Member, history: MemberHistory | None) -> list[StoredSpell]:
    """The member's party spells, each split where they moved House, same-party runs merged."""
    if history is None or not history.parties:
        party = member.party.name if member.party else ""
        return [StoredSpell(member.id, party, member.start, "", member.house)] if party else []
    pieces: list[StoredSpell] = []
    for entry in sorted(history.parties, key=lambda e: e.start):
        cuts = sorted(
            {
                h.start
                for h in history.houses
                if entry.start < h.start and (not entry.end or h.start < entry.end)
            }
        )
        bounds = [entry.start, *cuts, entry.end]
        for start, end in itertools.pairwise(bounds):
            pieces.append(piece(member, entry.party.name, start, end, history.houses))
    return merge_runs(pieces)


def merge_runs(pieces: list[StoredSpell]) -> list[StoredSpell]:
    """Join consecutive spells of one party in one House separated by less than an election."""
    merged: list[StoredSpell] = []
    for current in pieces:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.end
            and (last.party, last.house) == (current.party, current.house)
            and gap_days(last.end, current.start) <= _SAME_RUN_GAP_DAYS
        ):
            merged[-1] = replace(last, end=current.end)
        else:
            merged.append(current)
    return merged


def stored_person(member: Member) -> StoredPerson:
    """The people row for a current member."""
    party = member.party.name if member.party else ""
    return StoredPerson(member.id, member.name, member.house, member.seat, party, member.start)


def party_changes(register: Register, members: list[Member], on: date) -> list[PartyChange]:
    """Current members whose party today differs from the packaged register's latest one."""
    changes = []
    for member in members:
        person = register.get(member.id)
        if person is None or member.party is None or not person.parties:
            continue
        spell = person.spell_on(on) or person.parties[-1]
        before, after = spell.party, member.party.name
        if _SAME_PARTY.get(before, before) != _SAME_PARTY.get(after, after):
            changes.append(PartyChange(member.id, member.name, before, after))
    return changes


async def refresh_people(
    db: Store, api: MembersApi, register: Register, now: datetime
) -> RefreshSummary:
    """Read every current member and their party history, then replace the stored copy."""
    mps = await api.search("commons")
    peers = await api.search("lords")
    members = list({m.id: m for m in [*mps, *peers]}.values())
    histories = {h.id: h for h in await api.history(m.id for m in members)}
    people = [stored_person(m) for m in members]
    spells = [spell for m in members for spell in spells_of(m, histories.get(m.id))]
    async with db.transaction() as conn:
        await replace_people(conn, people, spells, RefreshRecord(now, api.base_url))
    changes = party_changes(register, members, now.date())
    unknown = sum(1 for m in members if register.get(m.id) is None)
    return RefreshSummary(len(mps), len(peers), tuple(changes), unknown)
