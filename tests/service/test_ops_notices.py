"""Ops notices: once when a feed fails for an hour or a subscription breaks; once on recovery."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.config import Settings, load_settings
from bot.config.ops import OpsSettings
from bot.domain import FeedSource
from bot.service.ops_notices import OpsNotifier
from bot.store import destinations as dest_store
from bot.store import feeds as feed_store
from bot.store.connection import Database
from tests.support.chat_server import ChatServer

T0 = datetime(2024, 1, 2, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def chat() -> AsyncIterator[ChatServer]:
    async with ChatServer() as server:
        yield server


def settings_with(tmp_path: Path, platform: str, url: str) -> Settings:
    base = load_settings(None, env={"DIVISION_BELL_DATA": str(tmp_path)})
    return replace(
        base,
        feeds=(FeedSource("BBC", "http://127.0.0.1:9/bbc"),),
        ops=OpsSettings(platform, url),
    )


async def test_a_feed_failing_for_an_hour_is_announced_once_and_its_recovery_once(
    tmp_path: Path, db: Database, chat: ChatServer
) -> None:
    settings = settings_with(tmp_path, "discord", chat.url("/discord/ops"))
    assert settings.ops is not None
    clock = Clock()
    async with db.transaction() as conn:
        await feed_store.sync_feeds(conn, [("BBC", "http://127.0.0.1:9/bbc"), ("Old", "http://x/")])
        for name in ("BBC", "Old"):  # "Old" is no longer configured: never announced
            await feed_store.record_failure(
                conn, name, now=T0, error="HTTP 503 @everyone", next_poll_at=T0
            )
    async with aiohttp.ClientSession() as session:
        notifier = OpsNotifier(db, settings, settings.ops, session, clock=clock)
        clock.now = T0 + timedelta(minutes=59)
        assert await notifier.check() == 0
        clock.now = T0 + timedelta(hours=1)
        assert await notifier.check() == 1
        assert await notifier.check() == 0
        restarted = OpsNotifier(db, settings, settings.ops, session, clock=clock)
        assert await restarted.check() == 0  # the notice is remembered in SQLite
        async with db.transaction() as conn:
            await feed_store.record_success(
                conn,
                "BBC",
                now=clock.now,
                next_poll_at=clock.now,
                etag=None,
                last_modified=None,
                body_hash=None,
                title=None,
            )
        assert await restarted.check() == 1
        assert await restarted.check() == 0
    problem, recovery = chat.received("/discord/ops")
    assert (
        "feed BBC is failing since 02 Jan 09:00 UTC, 1 failed polls in a row" in problem["content"]
    )
    assert "@everyone" not in problem["content"]  # escaped, like feed text
    assert problem["allowed_mentions"] == {"parse": []}
    assert recovery["content"] == "✅ Division Bell: feed BBC has recovered"


async def test_a_broken_subscription_is_announced_once_and_a_failed_post_is_retried(
    tmp_path: Path, db: Database, chat: ChatServer
) -> None:
    chat.mode("/ops", "slack")
    chat.script("/ops", [500])
    settings = settings_with(tmp_path, "slack", chat.url("/ops"))
    assert settings.ops is not None
    async with db.transaction() as conn:
        dest = await dest_store.upsert_destination(
            conn, key="discord:1", kind="discord", label="#politics", now=T0
        )
        await dest_store.mark_broken(conn, dest, "Missing Permissions <!channel>", T0)
    async with aiohttp.ClientSession() as session:
        notifier = OpsNotifier(db, settings, settings.ops, session, clock=Clock())
        assert await notifier.check() == 0  # the ops webhook answered 500: nothing recorded
        assert await notifier.check() == 1
        assert await notifier.check() == 0
        async with db.transaction() as conn:
            await dest_store.clear_broken(conn, dest)
        assert await notifier.check() == 1
    problem, recovery = chat.received("/ops")
    assert "discord destination #politics is broken, alerts paused" in problem["text"]
    assert "<!channel>" not in problem["text"]
    assert recovery["text"] == "✅ Division Bell: discord destination #politics has recovered"
