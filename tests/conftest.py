"""Shared pytest fixtures: ../shared, loopback servers a subprocess can reach, a new database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.store.connection import Database
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


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A new database (real SQLite file, migrated) in the test's temporary folder."""
    database = await Database.open(tmp_path / "db.sqlite3")
    try:
        yield database
    finally:
        await database.close()
