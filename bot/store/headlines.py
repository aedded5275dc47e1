"""Headlines seen and the stories they form: the dedupe memory and the history behind `why`."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.domain import Headline, Signature
from bot.store.connection import from_db, to_db

_CHUNK = 500  # stay well under SQLite's bound-parameter limit
# Reads use execute_fetchall: one trip to aiosqlite's thread instead of three (execute, fetch,
# close). A cold 500-feed cycle makes ~14,000 store calls, and each trip costs ~0.1 ms of
# thread hand-off on a 2-core machine (benchmarks/cycles.py).


@dataclass(frozen=True, slots=True)
class StoryRef:
    """A recent story, enough to match a new headline against it."""

    id: int
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
        found.update(row[0] for row in await conn.execute_fetchall(sql, (feed, *chunk)))
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
    # `link != ''` repeats the partial index's own condition: SQLite only uses a partial index
    # when the query states its WHERE term, and without it this was a full table scan per new
    # headline (EXPLAIN QUERY PLAN: SCAN headlines; see benchmarks/scale.py).
    rows = await conn.execute_fetchall(
        "SELECT id, story_id FROM headlines WHERE link = ? AND link != '' "
        "ORDER BY story_id IS NULL, id LIMIT 1",
        (link,),
    )
    return next(((row[0], row[1]) for row in rows), None)


async def find_by_links(
    conn: aiosqlite.Connection, links: Iterable[str]
) -> dict[str, tuple[int, int | None]]:
    """find_by_link for many links at once: {link: (headline id, story id)} for those seen."""
    # One query per poll instead of one per new headline: each aiosqlite call is a round trip
    # to its thread, and a cold 500-feed cycle made 25,000 of them here.
    wanted = sorted({link for link in links if link})
    found: dict[str, tuple[int, int | None]] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT link, id, story_id FROM headlines WHERE link IN ({marks}) AND link != ''"
        for link, row_id, story_id in await conn.execute_fetchall(sql, chunk):
            best = found.get(link)
            # The same preference as find_by_link: a row with a story, then the oldest.
            if best is None or (story_id is None, row_id) < (best[1] is None, best[0]):
                found[link] = (row_id, story_id)
    return found


_INSERT = (
    "INSERT INTO headlines (feed, entry_key, link, title, summary, outlet, published_at, "
    "first_seen_at, last_seen_at, categories, evidence, decision, story_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class NewHeadline:
    """A headline to keep, with its categories and what was decided about it."""

    headline: Headline
    categories: Sequence[str]
    evidence: dict[str, list[str]]
    decision: str
    story_id: int | None


def _values(row: NewHeadline, stamp: str) -> tuple[object, ...]:
    headline = row.headline
    return (
        headline.feed,
        headline.entry_key,
        headline.link,
        headline.title,
        headline.summary,
        headline.outlet,
        to_db(headline.published) if headline.published else None,
        stamp,
        stamp,
        ",".join(row.categories),
        json.dumps(row.evidence, ensure_ascii=False),
        row.decision,
        row.story_id,
    )


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
    row = NewHeadline(headline, categories, evidence, decision, story_id)
    (found,) = await conn.execute_fetchall(_INSERT + " RETURNING id", _values(row, to_db(now)))
    return int(found[0])


async def insert_headlines(
    conn: aiosqlite.Connection, rows: Sequence[NewHeadline], now: datetime
) -> None:
    """Keep several new headlines, in order, in one statement (one trip to the SQLite thread)."""
    if rows:
        stamp = to_db(now)
        await conn.executemany(_INSERT, [_values(row, stamp) for row in rows])


async def recent_stories(conn: aiosqlite.Connection, since: datetime) -> list[StoryRef]:
    """Stories created since `since`, newest first: the window for cross-outlet matching."""
    # Read through stories_created_at and sorted here: ordering by id in SQL made SQLite walk
    # the whole table in id order (5.6 ms at 40,000 stories, growing with history), and a sort
    # in SQL costs more than this one. Only what matching needs: with the titles and links too,
    # reading the window took 45% longer (901 stories at 1M headlines; benchmarks/scale.py).
    rows = await conn.execute_fetchall(
        "SELECT id, categories, signature, alerted_at FROM stories WHERE created_at >= ?",
        (to_db(since),),
    )
    stories = [_story_ref(tuple(row)) for row in rows]
    stories.sort(key=lambda story: story.id, reverse=True)
    return stories


@functools.lru_cache(maxsize=4096)
def _story_ref(row: tuple[int, str, str, str | None]) -> StoryRef:
    # Every poll with a categorised headline reloads the 48-hour window (1,500 stories with 500
    # feeds), and decoding each row's JSON and date again stalled the event loop for 30-80 ms
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


async def story_outlets(conn: aiosqlite.Connection, story_id: int) -> list[str]:
    """Outlets that carried a story, in the order they reported it."""
    rows = await conn.execute_fetchall(
        "SELECT outlet FROM headlines WHERE story_id = ? GROUP BY outlet ORDER BY MIN(id)",
        (story_id,),
    )
    return [row[0] for row in rows]
