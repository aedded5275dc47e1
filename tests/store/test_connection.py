"""The database: migrations, WAL, refusing a newer schema, timestamps."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.errors import StorageError
from bot.store.connection import Database, from_db, to_db
from bot.store.schema import SCHEMA_VERSION
from bot.store.sql import Store


async def test_new_database_is_migrated_and_in_wal_mode(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "sub" / "db.sqlite3")
    try:
        async with db.conn.execute("PRAGMA user_version") as cur:
            assert (await cur.fetchone())[0] == SCHEMA_VERSION
        async with db.conn.execute("PRAGMA journal_mode") as cur:
            assert (await cur.fetchone())[0] == "wal"
    finally:
        await db.close()


async def test_reopening_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    db = await Database.open(path)
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO feeds (name, url) VALUES ('a', 'http://x/')")
    await db.close()
    db = await Database.open(path)
    async with db.conn.execute("SELECT name FROM feeds") as cur:
        assert [r[0] for r in await cur.fetchall()] == ["a"]
    await db.close()


async def test_newer_schema_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StorageError, match="newer Division Bell"):
        await Database.open(path)


async def test_garbage_file_is_a_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError, match="unusable"):
        await Database.open(path)


async def test_failed_transaction_rolls_back(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "db.sqlite3")

    async def insert_then_fail() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO feeds (name, url) VALUES ('a', 'http://x/')")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await insert_then_fail()
    async with db.conn.execute("SELECT COUNT(*) FROM feeds") as cur:
        assert (await cur.fetchone())[0] == 0
    await db.close()


def test_timestamps_sort_as_text_and_round_trip() -> None:
    bst = timezone(timedelta(hours=1))
    a = datetime(2022, 1, 19, 12, 0, 0, 5, tzinfo=UTC)
    b = datetime(2022, 1, 19, 13, 30, tzinfo=bst)  # 12:30 UTC
    assert to_db(a) < to_db(b)
    assert from_db(to_db(b)) == b
    for moment in (a, b, datetime(2026, 11, 28, tzinfo=UTC)):  # whole seconds too
        back = from_db(to_db(moment))
        assert back == moment
        assert back is not None
        assert back.tzinfo is UTC  # always UTC, whatever zone went in
    with pytest.raises(ValueError, match="naive"):
        to_db(datetime(2022, 1, 1))  # noqa: DTZ001 - the point of the test


async def test_a_statement_waits_for_the_writer_and_commits_on_its_own(db: Store) -> None:
    # A poll records unchanged feeds with one statement each: it must never run inside
    # another task's open transaction, nor be lost when that one rolls back.
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO feeds (name, url) VALUES ('a', 'http://x/')")
    inside = asyncio.Event()
    release = asyncio.Event()

    async def failing_writer() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO feeds (name, url) VALUES ('b', 'http://y/')")
            inside.set()
            await release.wait()
            raise RuntimeError("rolled back")

    async def one_statement() -> None:
        async with db.statement() as conn:
            await conn.execute("UPDATE feeds SET title = 'kept' WHERE name = 'a'")

    writer = asyncio.create_task(failing_writer())
    await inside.wait()
    single = asyncio.create_task(one_statement())
    await asyncio.sleep(0.05)
    assert not single.done(), "the statement waits for the writer's transaction to end"
    release.set()
    with pytest.raises(RuntimeError, match="rolled back"):
        await writer
    await single
    async with db.conn.execute("SELECT name, title FROM feeds ORDER BY name") as cur:
        assert [tuple(r) for r in await cur.fetchall()] == [("a", "kept")]


async def test_a_statement_that_finds_the_file_locked_is_a_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    db = await Database.open(path, busy_timeout=0.1)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        with pytest.raises(StorageError, match="busy"):
            async with db.statement() as conn:
                await conn.execute("INSERT INTO feeds (name, url) VALUES ('a', 'http://x/')")
    finally:
        other.execute("ROLLBACK")
        other.close()
        await db.close()
