"""Read-only counts of what a database queued and saw, by time: `replay`'s per-day table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.store.connection import from_db


@dataclass(frozen=True, slots=True)
class Tallies:
    """When each message was queued (by kind) and when each headline was first seen."""

    queued: list[tuple[str, datetime]]  # (outbox kind: alert, edit, reply, followup; created)
    headlines: list[tuple[datetime, bool]]  # (first seen; has a category)


async def tallies(conn: aiosqlite.Connection) -> Tallies:
    """Every outbox row's kind and time, and every headline's first-seen time and categorisation."""
    # Whole tables, not grouped in SQL: the caller buckets by day in a time zone SQLite lacks.
    async with conn.execute("SELECT kind, created_at FROM outbox ORDER BY id") as cursor:
        queued = [(str(kind), _when(stamp)) for kind, stamp in await cursor.fetchall()]
    async with conn.execute(
        "SELECT first_seen_at, categories != '' FROM headlines ORDER BY id"
    ) as cursor:
        seen = [(_when(stamp), bool(categorised)) for stamp, categorised in await cursor.fetchall()]
    return Tallies(queued, seen)


def _when(stamp: str) -> datetime:
    moment = from_db(stamp)
    if moment is None:  # both columns are NOT NULL
        raise ValueError("a NOT NULL time column held NULL")
    return moment
