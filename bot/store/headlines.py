"""Headlines seen and the stories they form: the dedupe memory and the history behind `why`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.domain import Headline
from bot.pipeline.stories import Signature
from bot.store.connection import from_db, to_db

_CHUNK = 500  # stay well under SQLite's bound-parameter limit


@dataclass(frozen=True, slots=True)
class StoryRef:
    """A recent story, enough to match a new headline against it."""

    id: int
    title: str
    link: str
    categories: tuple[str, ...]
    signature: Signature
    alerted_at: datetime | None


async def known_keys(conn: aiosqlite.Connection, feed: str, keys: Sequence[str]) -> set[str]:
    """Which of these entry keys this feed has shown before."""
    found: set[str] = set()
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT entry_key FROM headlines WHERE feed = ? AND entry_key IN ({marks})"
        async with conn.execute(sql, (feed, *chunk)) as cursor:
            found.update(row[0] for row in await cursor.fetchall())
    return found


async def touch(conn: aiosqlite.Connection, feed: str, keys: Iterable[str], now: datetime) -> None:
    """Record that these entries are still in the feed (retention counts from the last sighting)."""
    stamp = to_db(now)
    await conn.executemany(
        "UPDATE headlines SET last_seen_at = ? WHERE feed = ? AND entry_key = ?",
        [(stamp, feed, key) for key in keys],
    )


async def find_by_link(conn: aiosqlite.Connection, link: str) -> tuple[int, int | None] | None:
    """(headline id, story id) of an earlier headline with this canonical link, if any."""
    if not link:
        return None
    async with conn.execute(
        "SELECT id, story_id FROM headlines WHERE link = ? ORDER BY story_id IS NULL, id LIMIT 1",
        (link,),
    ) as cursor:
        row = await cursor.fetchone()
    return (row[0], row[1]) if row else None


async def insert_headline(
    conn: aiosqlite.Connection,
    headline: Headline,
    *,
    categories: Sequence[str],
    evidence: dict[str, list[str]],
    decision: str,
    story_id: int | None,
    now: datetime,
) -> int:
    """Keep a new headline with its categories and what was decided about it."""
    published = to_db(headline.published) if headline.published else None
    async with conn.execute(
        "INSERT INTO headlines (feed, entry_key, link, title, summary, outlet, published_at, "
        "first_seen_at, last_seen_at, categories, evidence, decision, story_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            headline.feed,
            headline.entry_key,
            headline.link,
            headline.title,
            headline.summary,
            headline.outlet,
            published,
            to_db(now),
            to_db(now),
            ",".join(categories),
            json.dumps(evidence, ensure_ascii=False),
            decision,
            story_id,
        ),
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None  # noqa: S101 - RETURNING always yields the inserted row
    return int(row[0])


async def recent_stories(conn: aiosqlite.Connection, since: datetime) -> list[StoryRef]:
    """Stories created since `since`, newest first: the window for cross-outlet matching."""
    async with conn.execute(
        "SELECT id, title, link, categories, signature, alerted_at FROM stories "
        "WHERE created_at >= ? ORDER BY id DESC",
        (to_db(since),),
    ) as cursor:
        rows = await cursor.fetchall()
    return [
        StoryRef(
            id=row[0],
            title=row[1],
            link=row[2],
            categories=tuple(filter(None, row[3].split(","))),
            signature=Signature.from_json(json.loads(row[4])),
            alerted_at=from_db(row[5]),
        )
        for row in rows
    ]


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
    async with conn.execute(
        "INSERT INTO stories (created_at, title, link, categories, signature) "
        "VALUES (?, ?, ?, ?, ?) RETURNING id",
        (to_db(now), title, link, ",".join(categories), json.dumps(signature.to_json())),
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None  # noqa: S101 - RETURNING always yields the inserted row
    return int(row[0])


async def mark_story_alerted(conn: aiosqlite.Connection, story_id: int, now: datetime) -> None:
    """Remember that a story's alert was queued, so later reports only join it."""
    await conn.execute("UPDATE stories SET alerted_at = ? WHERE id = ?", (to_db(now), story_id))


async def story_outlets(conn: aiosqlite.Connection, story_id: int) -> list[str]:
    """Outlets that carried a story, in the order they reported it."""
    async with conn.execute(
        "SELECT outlet FROM headlines WHERE story_id = ? GROUP BY outlet ORDER BY MIN(id)",
        (story_id,),
    ) as cursor:
        return [row[0] for row in await cursor.fetchall()]
