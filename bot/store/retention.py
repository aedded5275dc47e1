"""Retention: forget headlines long gone from their feeds, orphaned stories and old sent alerts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.store.sql import Store, is_none_of, to_db

# Rows deleted per transaction: keeps each write short, so polls never wait long behind pruning.
CHUNK = 2_000


@dataclass(frozen=True, slots=True)
class Pruned:
    """How many rows one pruning pass removed."""

    headlines: int = 0
    stories: int = 0
    outbox: int = 0


async def prune(
    db: Store, *, cutoff: datetime, configured: Sequence[str], chunk: int = CHUNK
) -> Pruned:
    """Delete what retention allows, in short transactions; safe beside running polls.

    A headline goes only when it has been absent from its feed since `cutoff`: its feed was read
    after it was last seen there (a 304 proves nothing, so an entry that sits in an unchanging
    feed for months is kept and never re-alerts), or its feed is no longer configured (re-adding
    a feed counts as a first poll, whose backfill window keeps old entries silent).
    `chunk` is the most rows one transaction deletes.
    """
    stamp = to_db(cutoff)
    unlisted = is_none_of("h.feed", len(configured))
    headlines = await _delete_chunks(
        db,
        "DELETE FROM headlines WHERE id IN (SELECT h.id FROM headlines h "
        f"LEFT JOIN feeds f ON f.name = h.feed WHERE h.last_seen_at < ? AND ({unlisted} "
        "OR f.last_parsed_at > h.last_seen_at) LIMIT ?)",
        (stamp, *configured),
        chunk,
    )
    # The newest story is never deleted: SQLite reuses the highest rowid once it is gone, and a
    # reused story id would collide with an old "story:N" outbox key.
    stories = await _delete_chunks(
        db,
        "DELETE FROM stories WHERE id IN (SELECT s.id FROM stories s WHERE s.created_at < ? "
        "AND s.id < (SELECT MAX(id) FROM stories) "
        "AND NOT EXISTS (SELECT 1 FROM headlines h WHERE h.story_id = s.id) LIMIT ?)",
        (stamp,),
        chunk,
    )
    outbox = await _delete_chunks(
        db,
        "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox "
        "WHERE (status IN ('sent', 'digested') AND sent_at < ?) "
        "OR (status IN ('gone', 'exhausted') AND created_at < ?) LIMIT ?)",
        (stamp, stamp),
        chunk,
    )
    return Pruned(headlines=headlines, stories=stories, outbox=outbox)


async def _delete_chunks(db: Store, sql: str, params: tuple[object, ...], chunk: int) -> int:
    total = 0
    while True:
        async with db.transaction() as conn:
            cursor = await conn.execute(sql, (*params, chunk))
            deleted = cursor.rowcount
            await cursor.close()
        total += max(deleted, 0)
        if deleted < chunk:
            return total
