"""The real `division-bell poll` delivering to a bot subscription over REST alone."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.store import destinations as dest_store
from tests.support import stored
from tests.support.cli import run_cli, toml_string, write_config
from tests.support.discord_api import TOKEN, DiscordAPI
from tests.support.feed_server import FeedServerThread
from tests.support.rss import Item, rss_feed
from tests.transports.discord.payloads import GUILD, HERE, ROLE

DEFECTION = Item(
    "Tory MP Jane Marchmont defects to Labour",
    "https://news.example/politics/marchmont",
    guid="m-1",
    published=datetime.now(UTC) - timedelta(minutes=10),
    summary="The MP crossed the floor before Prime Minister's Questions.",
)


@pytest.fixture
def discord_api() -> Iterator[DiscordAPI]:
    server = DiscordAPI.start_in_thread()
    try:
        yield server
    finally:
        server.stop()


# Every test here runs on SQLite and again on PostgreSQL.
pytestmark = pytest.mark.usefixtures("cli_backend")


async def _subscribe(folder: Path) -> None:
    db = await stored.open_test_store(folder)
    try:
        async with db.transaction() as conn:
            await dest_store.subscribe(
                conn,
                key=f"discord:{HERE}",
                kind="discord",
                label="#politics",
                scope=GUILD,
                channel=HERE,
                categories=["defection"],
                mention=ROLE,
                created_by="Ada",
                now=datetime.now(UTC),
            )
    finally:
        await db.close()


def outbox_statuses(folder: Path) -> list[str]:
    return [status for (status,) in stored.fetch(folder, "SELECT status FROM outbox ORDER BY id")]


@pytest.fixture
def config(tmp_path: Path, discord_api: DiscordAPI, feeds: FeedServerThread) -> Path:
    """A config whose [discord] api_base is the stand-in, and a subscribed channel in its DB."""
    feeds.set_feed("/bbc.xml", rss_feed("BBC", [DEFECTION]))
    path = write_config(
        tmp_path,
        feeds={"BBC Politics": feeds.url("/bbc.xml")},
        extra=f"[discord]\napi_base = {toml_string(discord_api.api_base)}\n",
    )
    asyncio.run(_subscribe(tmp_path))
    return path


def poll(config: Path, token: str) -> str:
    result = run_cli(
        ["--config", str(config), "poll"], cwd=config.parent, env={"DISCORD_TOKEN": token}
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_poll_posts_to_bot_subscriptions_over_rest_only(
    config: Path, discord_api: DiscordAPI
) -> None:
    stderr = poll(config, TOKEN)
    assert " ERROR " not in stderr
    [posted] = discord_api.messages(HERE)
    assert "Jane Marchmont defects to Labour" in posted["embeds"][0]["title"]
    assert posted["content"] == f"<@&{ROLE}>"
    assert [str(r) for r in posted["allowed_mentions"]["roles"]] == [ROLE]
    assert posted["enforce_nonce"] is True
    assert outbox_statuses(config.parent) == ["sent"]
    # REST only: no gateway, no command sync.
    assert discord_api.gateway.identified == []
    assert discord_api.calls("GET", "/gateway") == []
    assert discord_api.calls("PUT") == []
    poll(config, TOKEN)
    assert len(discord_api.messages(HERE)) == 1


def test_poll_with_a_refused_token_says_so_once_and_keeps_the_alert(
    config: Path, discord_api: DiscordAPI
) -> None:
    stderr = poll(config, "wrong-token")
    assert stderr.count(" ERROR ") == 1
    assert "DISCORD_TOKEN" in stderr
    assert "wrong-token" not in stderr
    assert discord_api.messages(HERE) == []
    assert outbox_statuses(config.parent) == ["pending"]
