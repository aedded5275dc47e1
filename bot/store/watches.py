"""Party watches: a defection alert's claim that a sitting MP joined a party, checked against
Parliament's record for up to a week (table `party_watches`, one per event).

A watch is open until the Members API records the move (confirmed: the party and the date
Parliament gives) or its week is out (expired). Only a confirmed watch is ever shown to readers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.store.connection import from_db, to_db
from bot.store.sql import Conn

OPEN, CONFIRMED, EXPIRED = "open", "confirmed", "expired"


@dataclass(frozen=True, slots=True)
class Watch:
    """What an alert claimed and what became of the claim."""

    event_id: int
    person_id: int  # the register's (and the Members API's) id
    person_name: str
    party: str  # the party the report said they joined, as the parties gazetteer codes it
    first_report: datetime
    until: datetime
    status: str = OPEN
    confirmed_party: str | None = None  # as Parliament labels it
    recorded_on: date | None = None  # the date Parliament gives for the move
    closed_at: datetime | None = None


_COLUMNS = (
    "event_id, person_id, person_name, party, first_report_at, until, status, confirmed_party, "
    "recorded_on, closed_at"
)


def _watch(row: Sequence[object]) -> Watch:
    first, until = from_db(str(row[4])), from_db(str(row[5]))
    assert first is not None  # noqa: S101 - NOT NULL columns
    assert until is not None  # noqa: S101
    return Watch(
        event_id=int(str(row[0])),
        person_id=int(str(row[1])),
        person_name=str(row[2]),
        party=str(row[3]),
        first_report=first,
        until=until,
        status=str(row[6]),
        confirmed_party=None if row[7] is None else str(row[7]),
        recorded_on=None if row[8] is None else date.fromisoformat(str(row[8])),
        closed_at=from_db(None if row[9] is None else str(row[9])),
    )


async def add_watch(conn: Conn, watch: Watch) -> bool:
    """Start watching an event's claim; False if the event is already watched."""
    async with conn.execute(
        "INSERT INTO party_watches (event_id, person_id, person_name, party, first_report_at, "
        "until) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
        (
            watch.event_id,
            watch.person_id,
            watch.person_name,
            watch.party,
            to_db(watch.first_report),
            to_db(watch.until),
        ),
    ) as cursor:
        return await cursor.fetchone() is not None


async def open_watches(conn: Conn, now: datetime) -> list[Watch]:
    """The watches still open at `now`, oldest first."""
    rows = await conn.execute_fetchall(
        f"SELECT {_COLUMNS} FROM party_watches WHERE status = ? AND until > ? ORDER BY event_id",
        (OPEN, to_db(now)),
    )
    return [_watch(r) for r in rows]


async def expire_watches(conn: Conn, now: datetime) -> list[Watch]:
    """Close the open watches whose week is out at `now`; returns them."""
    rows = await conn.execute_fetchall(
        f"UPDATE party_watches SET status = ?, closed_at = ? WHERE status = ? AND until <= ? "
        f"RETURNING {_COLUMNS}",
        (EXPIRED, to_db(now), OPEN, to_db(now)),
    )
    return sorted((_watch(r) for r in rows), key=lambda w: w.event_id)


async def confirm_watch(
    conn: Conn, event_id: int, party: str, recorded_on: date, now: datetime
) -> bool:
    """Record that Parliament confirmed an open watch; False if it was not open."""
    async with conn.execute(
        "UPDATE party_watches SET status = ?, confirmed_party = ?, recorded_on = ?, "
        "closed_at = ? WHERE event_id = ? AND status = ? RETURNING event_id",
        (CONFIRMED, party, recorded_on.isoformat(), to_db(now), event_id, OPEN),
    ) as cursor:
        return await cursor.fetchone() is not None


async def watch_of(conn: Conn, event_id: int) -> Watch | None:
    """An event's watch, whatever became of it (None if it was never watched)."""
    rows = list(
        await conn.execute_fetchall(
            f"SELECT {_COLUMNS} FROM party_watches WHERE event_id = ?", (event_id,)
        )
    )
    return _watch(rows[0]) if rows else None
