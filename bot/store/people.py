"""Westminster people as the last `people refresh` read them: replaced whole, read back whole."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store.connection import from_db, to_db
from bot.store.sql import Conn


@dataclass(frozen=True, slots=True)
class StoredPerson:
    """One current member of either House, as the Members API listed them."""

    id: int
    name: str
    house: str  # "commons" or "lords"
    seat: str  # the constituency for an MP; the kind of peerage for a peer
    party: str
    membership_start: str  # ISO date


@dataclass(frozen=True, slots=True)
class StoredSpell:
    """One party spell of a refreshed person; `end` is '' while open."""

    person_id: int
    party: str
    start: str
    end: str
    house: str


@dataclass(frozen=True, slots=True)
class RefreshRecord:
    """When the stored people were read, and from which API."""

    refreshed_at: datetime
    source: str


async def replace_people(
    conn: Conn,
    people: list[StoredPerson],
    spells: list[StoredSpell],
    record: RefreshRecord,
) -> None:
    """Replace everything a previous refresh stored (call inside one transaction)."""
    await conn.execute("DELETE FROM party_spells")
    await conn.execute("DELETE FROM people")
    await conn.executemany(
        "INSERT INTO people (id, name, house, seat, party, membership_start) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(p.id, p.name, p.house, p.seat, p.party, p.membership_start) for p in people],
    )
    await conn.executemany(
        "INSERT INTO party_spells (person_id, party, start_date, end_date, house) "
        "VALUES (?, ?, ?, ?, ?)",
        [(s.person_id, s.party, s.start, s.end, s.house) for s in spells],
    )
    await conn.execute(
        "INSERT INTO people_refresh (id, refreshed_at, source) VALUES (1, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET refreshed_at = excluded.refreshed_at, "
        "source = excluded.source",
        (to_db(record.refreshed_at), record.source),
    )


async def stored_people(conn: Conn) -> list[StoredPerson]:
    """Every refreshed person, by id."""
    async with conn.execute(
        "SELECT id, name, house, seat, party, membership_start FROM people ORDER BY id"
    ) as cursor:
        return [StoredPerson(*row) for row in await cursor.fetchall()]


async def stored_spells(conn: Conn) -> dict[int, list[StoredSpell]]:
    """Every refreshed person's party spells, oldest first."""
    spells: dict[int, list[StoredSpell]] = {}
    async with conn.execute(
        "SELECT person_id, party, start_date, end_date, house FROM party_spells "
        "ORDER BY person_id, start_date, end_date, party, house"
    ) as cursor:
        for row in await cursor.fetchall():
            spells.setdefault(row[0], []).append(StoredSpell(*row))
    return spells


async def last_refresh(conn: Conn) -> RefreshRecord | None:
    """When and from where the stored people were read; None before the first refresh."""
    async with conn.execute("SELECT refreshed_at, source FROM people_refresh") as cursor:
        row = await cursor.fetchone()
    moment = from_db(row[0]) if row else None
    return RefreshRecord(moment, row[1]) if row and moment else None
