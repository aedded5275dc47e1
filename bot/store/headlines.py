"""Headlines seen: the dedupe memory (by entry key and by link) and the record behind `why`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain import Headline
from bot.store.connection import to_db
from bot.store.sql import Conn

_CHUNK = 500  # stay well under SQLite's bound-parameter limit
# Reads use execute_fetchall: one trip to aiosqlite's thread instead of three (execute, fetch,
# close). A cold cycle of many feeds makes thousands of store calls, and each trip is a
# thread hand-off (benchmarks/cycles.py).


async def known_keys(conn: Conn, feed: str, keys: Sequence[str]) -> set[str]:
    """Which of these entry keys this feed has shown before."""
    found: set[str] = set()
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT entry_key FROM headlines WHERE feed = ? AND entry_key IN ({marks})"
        found.update(row[0] for row in await conn.execute_fetchall(sql, (feed, *chunk)))
    return found


async def touch(conn: Conn, feed: str, keys: Iterable[str], now: datetime) -> None:
    """Record that these entries are still in the feed (retention counts from the last sighting)."""
    stamp = to_db(now)
    await conn.executemany(
        "UPDATE headlines SET last_seen_at = ? WHERE feed = ? AND entry_key = ?",
        [(stamp, feed, key) for key in keys],
    )


async def find_by_links(conn: Conn, links: Iterable[str]) -> dict[str, int | None]:
    """For each link seen before, the story a new headline with it joins (None: in no story).

    That is the story of the oldest earlier headline with the link that has one.
    """
    # One query per poll instead of one per new headline: each aiosqlite call is a round trip
    # to its thread, and a cold cycle made tens of thousands of them here. `link != ''` repeats
    # the partial index's own condition: SQLite only uses a partial index when the query states
    # its WHERE term, and without it this was a full table scan (benchmarks/scale.py).
    wanted = sorted({link for link in links if link})
    found: dict[str, int | None] = {}
    best: dict[str, tuple[bool, int]] = {}  # link -> (no story?, headline id) of the row kept
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT link, id, story_id FROM headlines WHERE link IN ({marks}) AND link != ''"
        for link, row_id, story_id in await conn.execute_fetchall(sql, chunk):
            rank = (story_id is None, row_id)
            if link not in best or rank < best[link]:
                best[link] = rank
                found[link] = story_id
    return found


_INSERT = (
    "INSERT INTO headlines (feed, entry_key, link, title, summary, outlet, published_at, "
    "first_seen_at, last_seen_at, categories, evidence, decision, story_id, joined_on) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class NewHeadline:
    """A headline to keep, with its categories and what was decided about it."""

    headline: Headline
    categories: Sequence[str]
    evidence: dict[str, list[str]]
    decision: str
    story_id: int | None  # its event
    joined_on: str | None = None  # why it joined its event (shared people, inquiry, …)


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
        row.joined_on,
    )


async def insert_headlines(conn: Conn, rows: Sequence[NewHeadline], now: datetime) -> None:
    """Keep several new headlines, in order, in one statement (one trip to the SQLite thread)."""
    if rows:
        stamp = to_db(now)
        await conn.executemany(_INSERT, [_values(row, stamp) for row in rows])
