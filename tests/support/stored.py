"""What a CLI test's database holds: the SQLite file beside its config, or (under the
`cli_backend` fixture's PostgreSQL turn) the database its [storage] url_env names; read and
written with one SQL (`?` placeholders, translated for PostgreSQL as the store does)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import tomllib
from collections.abc import Sequence
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from bot.store.opening import open_store
from bot.store.pg_conn import PgConn
from bot.store.sql import Store, to_db
from tests.support import cli as cli_support

SQLITE_FILE = "db.sqlite3"  # where write_config puts the SQLite database
CONFIG_FILE = "division-bell.toml"  # and its config


def database_url(folder: Path | None = None) -> str | None:
    """The PostgreSQL URL of the config in `folder` (its [storage] url_env), or of configs
    written now when no folder is given; None for the SQLite file."""
    variable = cli_support.DEFAULT_DATABASE_ENV
    config = folder / CONFIG_FILE if folder else None
    if config and config.exists():
        storage = tomllib.loads(config.read_text(encoding="utf-8")).get("storage", {})
        variable = storage.get("url_env")
    return os.environ[variable] if variable else None


def backend() -> str:
    """Which backend configs written now use: "postgresql" or "sqlite"."""
    return "postgresql" if database_url() else "sqlite"


def fetch(folder: Path, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
    """Every row a read query returns, as plain tuples; stored times as to_db's text."""
    url = database_url(folder)
    if url is None:
        # The file itself, without migrating: a test may look while a `run` holds it.
        with closing(sqlite3.connect(folder / SQLITE_FILE)) as conn:
            rows = conn.execute(sql, tuple(params)).fetchall()
    else:
        rows = asyncio.run(_on_postgres(url, sql, params))
    return [tuple(map(_as_text, row)) for row in rows]


def execute(folder: Path, sql: str, params: Sequence[object] = ()) -> None:
    """Run one writing statement and commit it."""
    url = database_url(folder)
    if url is None:
        with closing(sqlite3.connect(folder / SQLITE_FILE)) as conn, conn:
            conn.execute(sql, tuple(params))
    else:
        asyncio.run(_on_postgres(url, sql, params))


async def open_test_store(folder: Path) -> Store:
    """The test config's database opened (and migrated) as the bot opens it."""
    return await open_store(folder / SQLITE_FILE, database_url(folder))


async def _on_postgres(url: str, sql: str, params: Sequence[object]) -> list[Any]:
    # In UTC, as the store's own connections are.
    connection = await asyncpg.connect(url, server_settings={"timezone": "UTC"})
    try:
        return list(await PgConn(connection).execute_fetchall(sql, tuple(params)))
    finally:
        await connection.close()


def _as_text(value: object) -> object:
    return to_db(value) if isinstance(value, datetime) else value
