"""`division-bell poll` with SLACK_BOT_TOKEN delivers to Slack subscriptions over the Web API."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.commands import Commands
from bot.pipeline.classify import Classifier
from bot.store import destinations as dest_store
from tests.support import stored
from tests.support.cli import run_cli, toml_string, write_config
from tests.support.feed_server import FeedServer
from tests.support.rss import Item, rss_feed
from tests.support.slack_api import SlackApi
from tests.support.slack_data import BOT_TOKEN
from tests.transports.slack.helpers import ADMIN_CALLER, POLITICS


@pytest.fixture
def slack_thread() -> Iterator[SlackApi]:
    """The Slack stand-in in a thread, beside a CLI subprocess."""
    server = SlackApi.start_in_thread()
    try:
        yield server
    finally:
        server.stop()


async def subscribe_politics(folder: Path) -> None:
    """What `/westminster subscribe defection` in #politics leaves in the database."""
    db = await stored.open_test_store(folder)
    try:
        commands = Commands(db, Classifier.load().categories)
        reply = await commands.subscribe(ADMIN_CALLER, POLITICS, "defection")
        assert reply.ok
        assert await dest_store.find_destination(db.conn, POLITICS.key(ADMIN_CALLER))
    finally:
        await db.close()


@pytest.mark.usefixtures("cli_backend")
def test_poll_posts_the_alert_to_the_subscribed_slack_channel(
    tmp_path: Path, slack_thread: SlackApi
) -> None:
    item = Item(
        "Tory MP Jane Marchmont defects to Labour <!channel>",
        "https://news.example/marchmont",
        guid="m-1",
        published=datetime.now(UTC) - timedelta(minutes=5),
    )
    with FeedServer.start_in_thread() as feeds:
        feeds.set_feed("/bbc.xml", rss_feed("BBC News", [item]))
        config = write_config(
            tmp_path,
            feeds={"BBC": feeds.url("/bbc.xml")},
            extra=f"[slack]\napi_base = {toml_string(slack_thread.api_base)}\n",
        )
        asyncio.run(subscribe_politics(tmp_path))
        result = run_cli(
            ["--config", str(config), "poll"],
            cwd=tmp_path,
            env={"SLACK_BOT_TOKEN": BOT_TOKEN},
            timeout=60,
        )
    assert result.returncode == 0, result.stderr
    [post] = slack_thread.posts("C0POLITICS")
    heading = post["blocks"][0]["text"]["text"]
    assert heading.startswith("🔀 Defection: <https://news.example/marchmont|Tory MP Jane")
    assert "<!channel>" not in str(post)
    assert len(slack_thread.calls("auth.test")) == 1  # `poll` signs in over REST only
    assert slack_thread.calls("apps.connections.open") == []
    assert BOT_TOKEN not in result.stderr
