"""Stories: one event as several outlets reported it, matched across feeds and alerted once."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.domain import Signature
from bot.store.connection import from_db, to_db


@dataclass(frozen=True, slots=True)
class StoryRef:
    """A recent story, enough to match a new headline against it."""

    id: int
    categories: tuple[str, ...]
    signature: Signature
    alerted_at: datetime | None


async def recent_stories(conn: aiosqlite.Connection, since: datetime) -> list[StoryRef]:
    """Stories created since `since`, newest first: the window for cross-outlet matching."""
    # Read through stories_created_at and sorted here: ordering by id in SQL made SQLite walk
    # the whole table in id order (a cost growing with history), and a sort in SQL costs more
    # than this one. Only what matching needs: the titles and links would make reading the
    # window markedly slower (benchmarks/scale.py).
    rows = await conn.execute_fetchall(
        "SELECT id, categories, signature, alerted_at FROM stories WHERE created_at >= ?",
        (to_db(since),),
    )
    stories = [_story_ref(tuple(row)) for row in rows]
    stories.sort(key=lambda story: story.id, reverse=True)
    return stories


@functools.lru_cache(maxsize=4096)
def _story_ref(row: tuple[int, str, str, str | None]) -> StoryRef:
    # Every poll with a categorised headline reloads the 48-hour window (thousands of stories
    # with many feeds), and decoding each row's JSON and date again stalled the event loop
    # (benchmarks/cycles.py). A row that has not changed gives the same frozen StoryRef, so it
    # is built once; keyed on every column, it is safe across databases.
    story_id, categories, signature, alerted_at = row
    return StoryRef(
        id=story_id,
        categories=tuple(filter(None, categories.split(","))),
        signature=Signature.from_json(json.loads(signature)),
        alerted_at=from_db(alerted_at),
    )


async def create_story(
    conn: aiosqlite.Connection,
    *,
    title: str,
    link: str,
    categories: Sequence[str],
    signature: Signature,
    now: datetime,
) -> int:
    """Start a new story from its first headline."""
    (row,) = await conn.execute_fetchall(
        "INSERT INTO stories (created_at, title, link, categories, signature) "
        "VALUES (?, ?, ?, ?, ?) RETURNING id",
        (to_db(now), title, link, ",".join(categories), json.dumps(signature.to_json())),
    )
    return int(row[0])


async def mark_story_alerted(conn: aiosqlite.Connection, story_id: int, now: datetime) -> None:
    """Remember that a story's alert was queued, so later reports only join it."""
    await conn.execute("UPDATE stories SET alerted_at = ? WHERE id = ?", (to_db(now), story_id))


async def also_reported_by(
    conn: aiosqlite.Connection, story_id: int, outlet: str
) -> tuple[str, ...]:
    """The other outlets that carried a story (all but `outlet`), in the order they reported it."""
    rows = await conn.execute_fetchall(
        "SELECT outlet FROM headlines WHERE story_id = ? AND outlet != ? "
        "GROUP BY outlet ORDER BY MIN(id)",
        (story_id, outlet),
    )
    return tuple(row[0] for row in rows)
