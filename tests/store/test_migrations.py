"""Upgrading a database written by an earlier version keeps its data."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bot.store import events as event_store
from bot.store import feeds as feed_store
from bot.store import watches
from bot.store.connection import Database
from bot.store.schema import MIGRATIONS, SCHEMA_VERSION


async def test_a_version_1_database_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(MIGRATIONS[0])
        conn.execute("PRAGMA user_version = 1")
        conn.execute(
            "INSERT INTO feeds (name, url, failures, last_error) "
            "VALUES ('BBC', 'http://x/', 2, 'HTTP 500')"
        )
    db = await Database.open(path)
    try:
        async with db.conn.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        assert row is not None
        assert row[0] == SCHEMA_VERSION
        state = await feed_store.get_feed(db.conn, "BBC")
        assert state is not None
        assert (state.failures, state.last_error) == (2, "HTTP 500")
        # Unknown until the next failure or read: never guessed.
        assert state.failing_since is None
        assert state.last_parsed_at is None
    finally:
        await db.close()


async def test_a_version_6_database_gains_party_watches_and_keeps_its_events(
    tmp_path: Path,
) -> None:
    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as conn:
        for script in MIGRATIONS[:6]:
            conn.executescript(script)
        conn.execute("PRAGMA user_version = 6")
        conn.execute(
            "INSERT INTO stories (id, created_at, title, link, categories, signature, "
            "last_report_at, revision) VALUES (7, '2024-05-08T12:00:00.000000Z', "
            "'Elphicke defects', 'https://x/1', 'defection', '{}', "
            "'2024-05-08T12:00:00.000000Z', 7)"
        )
    db = await Database.open(path)
    try:
        async with db.conn.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        assert row is not None
        assert row[0] == SCHEMA_VERSION == 8
        state = await event_store.event_state(db.conn, 7)
        assert state is None  # no reports recorded: nothing to show, and no error
        assert await watches.watch_of(db.conn, 7) is None
        assert await watches.open_watches(db.conn, datetime.now(UTC)) == []
        titles = await db.conn.execute_fetchall("SELECT title FROM stories")
        assert [tuple(t) for t in titles] == [("Elphicke defects",)]
    finally:
        await db.close()
