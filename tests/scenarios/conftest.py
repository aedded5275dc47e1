"""Loopback servers running in threads, for tests that drive the CLI as a subprocess."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.chat_server import ChatServer
from tests.support.feed_server import FeedServer, FeedServerThread


@pytest.fixture
def feeds() -> Iterator[FeedServerThread]:
    """A feed server a subprocess can reach."""
    with FeedServer.start_in_thread() as server:
        yield server


@pytest.fixture
def chat() -> Iterator[ChatServer]:
    """A webhook receiver a subprocess can reach."""
    server = ChatServer.start_in_thread()
    try:
        yield server
    finally:
        server.stop()
