"""Read-only counts of what a database saw, by time: `replay`'s per-day table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store.connection import from_db
from bot.store.sql import Conn


@dataclass(frozen=True, slots=True)
class Tallies:
    """When each message was queued (by kind) and when each headline was first seen."""

    sent: list[tuple[str, datetime]]  # (kind: alert, edit, reply, followup; when sent)
    headlines: list[tuple[datetime, bool]]  # (first seen; has a category)


async def tallies(conn: Conn, sent: list[tuple[str, datetime]]) -> Tallies:
    """The messages sent (as counted by the caller), and every headline's first-seen time and
    categorisation."""
    # The whole table, not grouped in SQL: the caller buckets by day in a time zone SQLite lacks.
    async with conn.execute(
        "SELECT first_seen_at, categories != '' FROM headlines ORDER BY id"
    ) as cursor:
        seen = [(_when(stamp), bool(categorised)) for stamp, categorised in await cursor.fetchall()]
    return Tallies(list(sent), seen)


def _when(stamp: str) -> datetime:
    moment = from_db(stamp)
    if moment is None:  # both columns are NOT NULL
        raise ValueError("a NOT NULL time column held NULL")
    return moment
