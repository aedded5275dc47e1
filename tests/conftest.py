"""Shared pytest fixtures: ../shared, loopback servers a subprocess can reach, a new database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.store.connection import Database
from bot.store.postgres import PostgresDatabase
from bot.store.sql import Store
from tests.support.chat_server import ChatServer
from tests.support.feed_server import FeedServer, FeedServerThread

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED = PROJECT_ROOT.parent / "shared"


@pytest.fixture
def shared_dir() -> Path:
    """../shared, or skip the test cleanly when it is not beside the checkout."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED


@pytest.fixture
def feeds() -> Iterator[FeedServerThread]:
    """A feed server in a thread, reachable from a subprocess."""
    with FeedServer.start_in_thread() as server:
        yield server


@pytest.fixture
def chat() -> Iterator[ChatServer]:
    """A webhook receiver in a thread, reachable from a subprocess."""
    server = ChatServer.start_in_thread()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest) -> str | None:
    """Each backend in turn: None for SQLite, else a fresh PostgreSQL database's URL."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_dsn"))
    return None


@pytest.fixture
async def db(store_url: str | None, tmp_path: Path) -> AsyncIterator[Store]:
    """A new, migrated database: a real SQLite file in the test's temporary folder, and (the
    same test again) a fresh database on the throwaway PostgreSQL server."""
    if store_url:
        database: Store = await PostgresDatabase.open(store_url)
    else:
        database = await Database.open(tmp_path / "db.sqlite3")
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def postgres_dsn() -> AsyncIterator[str]:
    """TEMPORARY: a fresh database on the server DIVISION_BELL_TEST_POSTGRES_DSN names."""
    import os
    import uuid

    import asyncpg

    admin = os.environ.get("DIVISION_BELL_TEST_POSTGRES_DSN")
    if not admin:
        pytest.skip("no PostgreSQL")
    name = "t" + uuid.uuid4().hex[:12]
    con = await asyncpg.connect(admin)
    await con.execute(f"CREATE DATABASE {name}")
    await con.close()
    yield admin.rsplit("/", 1)[0] + "/" + name
    con = await asyncpg.connect(admin)
    await con.execute(f"DROP DATABASE {name} WITH (FORCE)")
    await con.close()
