"""The PostgreSQL store beside SQLite: migrations in step, migrating safely, clear errors."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiosqlite
import asyncpg
import pytest

from bot.errors import StorageError
from bot.store import schema, schema_pg
from bot.store.connection import Database
from bot.store.postgres import PostgresDatabase

Shape = dict[str, set[str]]


async def sqlite_shape(path: Path) -> tuple[Shape, set[str]]:
    """Every table's columns, and every index name, of a migrated SQLite file."""
    await (await Database.open(path)).close()
    async with aiosqlite.connect(path) as conn:
        tables = [
            r[0]
            for r in await conn.execute_fetchall(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            )
        ]
        shape = {
            t: {r[1] for r in await conn.execute_fetchall(f"PRAGMA table_info({t})")}
            for t in tables
        }
        indexes = {
            r[0]
            for r in await conn.execute_fetchall(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            )
        }
    return shape, indexes


async def postgres_shape(url: str) -> tuple[Shape, set[str]]:
    """Every table's columns, and every index we named, of a migrated PostgreSQL database."""
    await (await PostgresDatabase.open(url)).close()
    conn = await asyncpg.connect(url)
    try:
        shape: Shape = {}
        for row in await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name != 'schema_version'"
        ):
            shape.setdefault(row[0], set()).add(row[1])
        indexes = {
            r[0]
            for r in await conn.fetch(
                "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' "
                "AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'"
            )
        }
    finally:
        await conn.close()
    return shape, indexes


def test_both_backends_have_the_same_number_of_migrations() -> None:
    assert len(schema_pg.MIGRATIONS) == len(schema.MIGRATIONS)
    assert schema_pg.SCHEMA_VERSION == schema.SCHEMA_VERSION


async def test_both_backends_migrate_to_the_same_tables_columns_and_indexes(
    tmp_path: Path, postgres_dsn: str
) -> None:
    lite_tables, lite_indexes = await sqlite_shape(tmp_path / "db.sqlite3")
    pg_tables, pg_indexes = await postgres_shape(postgres_dsn)
    assert pg_tables == lite_tables
    assert pg_indexes == lite_indexes


async def test_every_stored_time_is_a_timestamptz(postgres_dsn: str) -> None:
    await (await PostgresDatabase.open(postgres_dsn)).close()
    conn = await asyncpg.connect(postgres_dsn)
    try:
        rows = await conn.fetch(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' AND (column_name LIKE '%\\_at' OR column_name IN "
            "('until', 'failing_since'))"
        )
    finally:
        await conn.close()
    assert len(rows) > 20
    assert {(r[0], r[1]) for r in rows if r[2] != "timestamp with time zone"} == set()


async def test_replicas_starting_together_migrate_once(postgres_dsn: str) -> None:
    opened = await asyncio.gather(*(PostgresDatabase.open(postgres_dsn) for _ in range(4)))
    for db in opened:
        await db.close()
    conn = await asyncpg.connect(postgres_dsn)
    try:
        versions = [r[0] for r in await conn.fetch("SELECT version FROM schema_version")]
    finally:
        await conn.close()
    assert sorted(versions) == list(range(1, schema_pg.SCHEMA_VERSION + 1))


async def test_a_database_from_a_newer_version_is_refused(postgres_dsn: str) -> None:
    await (await PostgresDatabase.open(postgres_dsn)).close()
    conn = await asyncpg.connect(postgres_dsn)
    await conn.execute("INSERT INTO schema_version (version) VALUES (999)")
    await conn.close()
    with pytest.raises(StorageError, match="newer Division Bell"):
        await PostgresDatabase.open(postgres_dsn)


async def test_an_unreachable_server_is_a_storage_error_without_the_password() -> None:
    with pytest.raises(StorageError) as caught:
        await PostgresDatabase.open("postgresql://bell:s3cretPassw0rd@127.0.0.1:9/division_bell")
    assert "cannot connect" in str(caught.value)
    assert "bell:***@127.0.0.1:9" in str(caught.value)
    assert "s3cretPassw0rd" not in str(caught.value)
