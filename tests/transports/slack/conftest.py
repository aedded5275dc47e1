"""Fixtures for the Slack app tests: the loopback Slack, and a transport over a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.support.slack_api import SlackApi
from tests.transports.slack.helpers import HttpClient, Rig, open_rig

MakeRig = Callable[..., Awaitable[Rig]]


@pytest.fixture
async def slack() -> AsyncIterator[SlackApi]:
    """The Slack stand-in on this test's event loop."""
    async with SlackApi() as api:
        yield api


@pytest.fixture
async def make_rig(
    tmp_path: Path, slack: SlackApi, store_url: str | None
) -> AsyncIterator[MakeRig]:
    """make_rig(app_token=…, signing_secret=…, transport options) → a Rig; closed after.
    Each test runs on SQLite and again on PostgreSQL (one rig per test: it owns the database)."""
    opened: list[Rig] = []

    async def make(**settings: Any) -> Rig:
        folder = tmp_path / f"rig{len(opened)}"
        assert not (store_url and opened), "one rig per test on PostgreSQL"
        made = await open_rig(folder, slack, url=store_url, **settings)
        opened.append(made)
        return made

    try:
        yield make
    finally:
        for made in opened:
            await made.transport.stop()
            await made.db.close()


@pytest.fixture
async def rig(make_rig: MakeRig) -> Rig:
    """An HTTP-mode rig (signing secret, no app token), signed in."""
    made = await make_rig()
    await made.transport.open_rest()
    return made


@pytest.fixture
async def http(rig: Rig) -> AsyncIterator[HttpClient]:
    """An HTTP client for the service's app (the one `run` serves on [http] listen)."""
    async with TestClient(TestServer(rig.http_app)) as client:
        yield client
