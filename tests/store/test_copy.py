"""bot/store/copy.py: a SQLite snapshot into an empty PostgreSQL database, all or nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.errors import StorageError
from bot.store import schema
from bot.store.connection import Database
from bot.store.copy import TABLES, CountMismatch, TargetNotEmpty, copy_snapshot
from bot.store.postgres import PostgresDatabase
from bot.store.sql import to_db
from tests.store.helpers import at

# One row or more in every table, ids deliberately sparse; story 7 continues story 9 (a later
# id), so the copy cannot rely on a table's rows arriving parents first.
ROWS: dict[str, list[tuple[Any, ...]]] = {
    "feeds": [
        ("BBC", "https://bbc.example/rss", "BBC Politics", '"e1"', None, "h", to_db(at(0)),
         to_db(at(5)), to_db(at(5)), None, None, 0, to_db(at(10)), to_db(at(5)), None),
    ],
    "destinations": [
        (3, "webhook:desk", "webhook", "desk", "", "", 1, None, None, to_db(at(0)), "fp",
         "edit", "{}"),
        (8, "discord:42", "discord", "#politics", "g1", "42", 1, "gone", to_db(at(2)),
         to_db(at(1)), None, "thread", '{"quiet_hours": "22:00-07:00"}'),
    ],
    "subscriptions": [(8, "defection", "@here", "ann", to_db(at(1)))],
    "stories": [
        (7, to_db(at(1)), "Tory MP defects", "https://n.example/a", '["defection"]', "sig", None,
         "{}", to_db(at(1)), 12, 9, None, None),
        (9, to_db(at(0)), "Earlier", "https://n.example/0", '["defection"]', "sig0",
         to_db(at(0.5)), "{}", to_db(at(0)), 11, None, "first", to_db(at(0.25))),
    ],
    "headlines": [
        (40, "BBC", "k1", "https://n.example/a", "Tory MP defects", "s", "BBC", to_db(at(-1)),
         to_db(at(1)), to_db(at(2)), '["defection"]', "{}", "alerted", 7, "first"),
    ],
    "outbox": [
        (15, 3, "story:9", "{}", "sent", 1, to_db(at(0)), to_db(at(0)), None, None,
         to_db(at(0.5)), "m1", None, "alert", 9, 1, None),
        (16, 8, "story:7", "{}", "held", 0, to_db(at(1)), to_db(at(1)), None, None, None, None,
         None, "alert", 7, 0, "quiet"),
    ],
    "ops_notices": [("feed:BBC", "failing", to_db(at(3)))],
    "people": [(4514, "Jane Example", "Commons", "Eastshire", "Labour", "2019-12-12")],
    "party_spells": [(4514, "Conservative", "2019-12-12", "2024-01-02", "Commons")],
    "people_refresh": [(1, to_db(at(4)), "https://members.example")],
    "party_watches": [
        (7, 4514, "Jane Example", "Labour", to_db(at(1)), to_db(at(60)), "open", None, None,
         None),
    ],
}  # fmt: skip


def fill(path: Path, rows: dict[str, list[tuple[Any, ...]]] = ROWS) -> None:
    """Write these rows, column by column in schema order, into the SQLite file."""
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("PRAGMA foreign_keys = OFF")  # story 7 names story 9 before it exists
        for table, table_rows in rows.items():
            marks = ",".join("?" * len(table_rows[0]))
            conn.executemany(f"INSERT INTO {table} VALUES ({marks})", table_rows)  # noqa: S608


@pytest.fixture
async def snapshot(tmp_path: Path) -> Path:
    """A migrated SQLite file holding ROWS."""
    path = tmp_path / "snapshot.sqlite3"
    await (await Database.open(path)).close()
    fill(path)
    return path


@pytest.fixture
async def target(postgres_dsn: str) -> AsyncIterator[PostgresDatabase]:
    """The empty, migrated PostgreSQL database."""
    db = await PostgresDatabase.open(postgres_dsn)
    try:
        yield db
    finally:
        await db.close()


def as_stored(value: object) -> object:
    return to_db(value) if isinstance(value, datetime) else value


async def target_rows(db: PostgresDatabase, table: str) -> list[tuple[Any, ...]]:
    """The table's rows in PostgreSQL, times as to_db's text, in the source's order."""
    async with db.pool.acquire() as con:
        columns = [
            r[0]
            for r in await con.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_name = $1 "
                "ORDER BY ordinal_position",
                table,
            )
        ]
        rows = await con.fetch(f"SELECT {', '.join(columns)} FROM {table}")  # noqa: S608
    return sorted((tuple(as_stored(v) for v in row) for row in rows), key=repr)


async def counts(db: PostgresDatabase) -> dict[str, int]:
    async with db.pool.acquire() as con:
        return {t: int(await con.fetchval(f"SELECT count(*) FROM {t}")) for t in TABLES}  # noqa: S608


async def test_every_table_arrives_with_its_ids_and_times(
    snapshot: Path, target: PostgresDatabase
) -> None:
    copied = await copy_snapshot(snapshot, target)
    assert [c.table for c in copied] == list(TABLES)
    assert {c.table: (c.source, c.target) for c in copied} == {
        t: (len(ROWS[t]), len(ROWS[t])) for t in TABLES
    }
    for table in TABLES:
        # Every value equal, the times the same moments (timestamptz, read back as datetimes).
        assert await target_rows(target, table) == sorted(ROWS[table], key=repr), table
    async with target.pool.acquire() as con:
        kinds = await con.fetchval("SELECT pg_typeof(created_at)::text FROM stories WHERE id = 7")
    assert kinds == "timestamp with time zone"


async def test_identity_sequences_move_past_the_copied_ids(
    snapshot: Path, target: PostgresDatabase
) -> None:
    await copy_snapshot(snapshot, target)
    async with target.transaction() as conn:
        story = await conn.execute_fetchall(
            "INSERT INTO stories (created_at, title, link, categories, signature) "
            "VALUES (?, 'new', 'https://n.example/new', '[]', 's') RETURNING id",
            (to_db(at(9)),),
        )
        dest = await conn.execute_fetchall(
            "INSERT INTO destinations (key, kind, label, created_at) "
            "VALUES ('console', 'console', 'console', ?) RETURNING id",
            (to_db(at(9)),),
        )
        sent = await conn.execute_fetchall(
            "INSERT INTO outbox (destination_id, dedupe_key, message, created_at, "
            "next_attempt_at) VALUES (3, 'n', '{}', ?, ?) RETURNING id",
            (to_db(at(9)), to_db(at(9))),
        )
        line = await conn.execute_fetchall(
            "INSERT INTO headlines (feed, entry_key, link, title, summary, outlet, first_seen_at,"
            " last_seen_at, categories, evidence, decision) VALUES ('BBC', 'k2', '', 't', '',"
            " 'BBC', ?, ?, '[]', '{}', 'none') RETURNING id",
            (to_db(at(9)), to_db(at(9))),
        )
    assert (story[0][0], dest[0][0], sent[0][0], line[0][0]) == (10, 9, 17, 41)


async def test_a_table_that_holds_rows_is_named_and_nothing_is_written(
    snapshot: Path, target: PostgresDatabase
) -> None:
    async with target.pool.acquire() as con:
        await con.execute(
            "INSERT INTO ops_notices VALUES ('x', 'already here', now())",
        )
    with pytest.raises(TargetNotEmpty, match="ops_notices") as caught:
        await copy_snapshot(snapshot, target)
    assert caught.value.tables == ["ops_notices"]
    assert await counts(target) == {t: int(t == "ops_notices") for t in TABLES}


async def test_a_count_that_differs_rolls_everything_back(
    snapshot: Path, target: PostgresDatabase
) -> None:
    async with target.pool.acquire() as con:
        # A trigger that swallows rows: the copy "succeeds" but people_refresh stays short.
        await con.execute(
            "CREATE FUNCTION swallow() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RETURN NULL; END $$; "
            "CREATE TRIGGER swallow BEFORE INSERT ON people_refresh "
            "FOR EACH ROW EXECUTE FUNCTION swallow()"
        )
    with pytest.raises(CountMismatch, match=r"people_refresh 1 → 0") as caught:
        await copy_snapshot(snapshot, target)
    assert [c.table for c in caught.value.counts if not c.matches] == ["people_refresh"]
    assert await counts(target) == dict.fromkeys(TABLES, 0)


# A fault in the snapshot, and how the copy names it, before anything is written.
SNAPSHOT_FAULTS = {
    "a value that is not a time": (
        ["UPDATE outbox SET sent_at = 'yesterday' WHERE id = 15"],
        r"outbox\.sent_at: 'yesterday'",
    ),
    "a dangling reference": (
        # Its subscription stays.
        ["PRAGMA foreign_keys = OFF", "DELETE FROM destinations WHERE id = 8"],
        r"subscriptions row \d+ → destinations",
    ),
    "a snapshot from a newer version": (
        [f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}"],
        "newer Division Bell",
    ),
}


@pytest.mark.parametrize(("statements", "named"), SNAPSHOT_FAULTS.values(), ids=SNAPSHOT_FAULTS)
async def test_a_fault_in_the_snapshot_is_named_and_nothing_is_written(
    snapshot: Path, target: PostgresDatabase, statements: list[str], named: str
) -> None:
    with closing(sqlite3.connect(snapshot)) as conn, conn:
        for statement in statements:
            conn.execute(statement)
    with pytest.raises(StorageError, match=named):
        await copy_snapshot(snapshot, target)
    assert await counts(target) == dict.fromkeys(TABLES, 0)


async def test_an_older_snapshot_is_migrated_before_it_is_copied(
    tmp_path: Path, target: PostgresDatabase
) -> None:
    path = tmp_path / "v7.sqlite3"
    with closing(sqlite3.connect(path)) as conn:
        for script in schema.MIGRATIONS[:7]:
            conn.executescript(script)
        conn.execute("PRAGMA user_version = 7")
    fill(path, {t: [row[:-1] for row in ROWS[t]] if t in ("destinations", "outbox") else ROWS[t]
                for t in ROWS})  # fmt: skip
    copied = await copy_snapshot(path, target)
    assert all(c.matches and c.source == len(ROWS[c.table]) for c in copied)
    async with target.pool.acquire() as con:
        assert await con.fetchval("SELECT control FROM destinations WHERE id = 8") == "{}"


async def test_the_copy_knows_every_table_of_both_schemas(
    tmp_path: Path, postgres_dsn: str
) -> None:
    path = tmp_path / "fresh.sqlite3"
    await (await Database.open(path)).close()
    with closing(sqlite3.connect(path)) as conn:
        sqlite_tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master "
                                                    "WHERE type = 'table'")}  # fmt: skip
    await (await PostgresDatabase.open(postgres_dsn)).close()
    con = await asyncpg.connect(postgres_dsn)
    try:
        pg_tables = {
            r[0]
            for r in await con.fetch(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_name != 'schema_version'"
            )
        }
    finally:
        await con.close()
    # A migration adding a table must add it to TABLES too, or the copy would leave it behind.
    assert sqlite_tables == pg_tables == set(TABLES)
