"""Discord bot delivery faults, through the real pipeline and discord.py to the loopback API.

Counted at the stand-in, which creates a message only once per nonce (as Discord does with
enforce_nonce): a resend after a timeout that Discord had already accepted is no repeat.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from bot.app import open_runtime
from bot.commands import Caller
from bot.config import Secrets, Settings, WebhookSettings
from bot.transports.discord.sender import DiscordSender
from tests.reliability.delivery import (
    GUILD,
    Clock,
    drain,
    exactly_once,
    opened,
    outage_then_recovery,
    outbox_counts,
    settings_for,
    story_feed,
    subscribe,
    tally,
    waiting,
)
from tests.reliability.figures import Row, record
from tests.reliability.helpers import closed_port
from tests.support.chat_server import ChatServer
from tests.support.discord_api import TOKEN, DiscordAPI
from tests.support.feed_server import FeedServerThread

OK, STORM, SERVER, LATE, DELETED, FORBIDDEN = (f"20000000000000001{n:02d}" for n in range(6))
VIEWER = Caller("discord", GUILD, "1", "Bob", can_manage=False)


@pytest.fixture
async def api() -> AsyncIterator[DiscordAPI]:
    async with DiscordAPI() as server:
        yield server


def titles(api: DiscordAPI, channel: str) -> list[str]:
    return [body["embeds"][0]["title"] for body in api.messages(channel)]


def bot_settings(
    folder: Path, feeds: FeedServerThread, api: DiscordAPI, webhooks: Sequence[WebhookSettings] = ()
) -> Settings:
    """The stories feed, the bot's token, and this stand-in as Discord."""
    return settings_for(
        folder,
        feeds.url("/stories.xml"),
        webhooks=webhooks,
        secrets=Secrets(discord_token=TOKEN),
        discord_base=api.api_base,
    )


async def test_discord_faults_lose_nothing_and_the_nonce_absorbs_a_late_answer(
    tmp_path: Path,
    feeds: FeedServerThread,
    api: DiscordAPI,
) -> None:
    feeds.set_feed("/stories.xml", story_feed())
    api.fail(STORM, *[429] * 12)  # more than discord.py's own five tries per request
    api.fail(SERVER, 503, 500, 503)
    api.stall(LATE, 2.0)  # created at once, answered after the send has given up
    api.fail(DELETED, 404)
    api.fail(FORBIDDEN, 403)
    clock = Clock()
    settings = bot_settings(tmp_path, feeds, api)
    async with open_runtime(settings, clock=clock) as runtime:
        [transport] = runtime.transports
        assert isinstance(transport.sender, DiscordSender)
        # One send may take 60 s in production; a second is plenty against loopback.
        transport.sender.send_timeout_s = 1.0
        await opened(runtime)
        await subscribe(runtime, "discord", [OK, STORM, SERVER, LATE, DELETED, FORBIDDEN])
        [polled] = await runtime.poller.poll_all(settings.feeds)
        assert polled.alerts == 3
        await drain(runtime, clock, passes=12)
        assert await waiting(runtime) == 0
        status = (await runtime.commands.status(VIEWER)).plain()

    for channel, fault in (
        (OK, "no fault"),
        (STORM, "429 storm (12 in a row)"),
        (SERVER, "5xx (503, 500, 503)"),
    ):
        exactly_once("Discord bot", fault, titles(api, channel))
    lost, repeats = tally(titles(api, LATE))
    posts = len(api.calls("POST", f"/channels/{LATE}/messages"))
    assert (lost, repeats, posts) == (0, 0, 4)  # one post sent twice, created once
    record(
        Row(
            "Discord bot",
            "timeout after Discord accepted",
            lost,
            repeats,
            note="resent with the same nonce; Discord (stand-in) kept the first",
        )
    )
    for channel, fault in ((DELETED, "deleted channel (404)"), (FORBIDDEN, "no permission (403)")):
        assert titles(api, channel) == []
        assert len(api.calls("POST", f"/channels/{channel}/messages")) == 1  # no retry loop
        assert f"#{channel}: " in status  # paused, with the reason, in /westminster status
        record(Row("Discord bot", fault, 0, note="paused after 1 POST, shown in status"))


async def test_a_revoked_token_marks_discord_down_once_and_keeps_alerts_queued(
    tmp_path: Path,
    feeds: FeedServerThread,
    chat: ChatServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    feeds.set_feed("/stories.xml", story_feed())
    rotated = "rotated-bot-token.NOT-A-SECRET"
    hook = WebhookSettings("discord", chat.url("/discord/side"), None, "side hook")
    clock = Clock()
    async with DiscordAPI(token=rotated) as api:  # Discord now only accepts the new token
        settings = bot_settings(tmp_path, feeds, api, webhooks=[hook])
        caplog.set_level(logging.INFO)
        async with open_runtime(settings, clock=clock) as runtime:
            await opened(runtime)
            await subscribe(runtime, "discord", [OK])
            await runtime.poller.poll_all(settings.feeds)
            await drain(runtime, clock, passes=5)
            queued = await outbox_counts(runtime, "pending")
        down = [r for r in caplog.records if r.levelno >= logging.ERROR and "discord" in r.name]
        assert len(down) == 1, [r.getMessage() for r in down]
        assert "refused" in down[0].getMessage()
        assert queued == 3  # the Discord alerts wait; the webhook's went out
        assert tally(post["embeds"][0]["title"] for post in chat.received("/discord/side")) == (
            0,
            0,
        )
        assert len(api.calls("GET", "/users/@me")) == 1  # one login attempt, no crash loop
        assert api.messages(OK) == []
        # The operator puts the new token in and restarts: everything queued goes, once.
        fixed = settings_for(
            tmp_path,
            feeds.url("/stories.xml"),
            webhooks=[hook],
            secrets=Secrets(discord_token=rotated),
            discord_base=api.api_base,
        )
        async with open_runtime(fixed, clock=clock) as runtime:
            await opened(runtime)
            await drain(runtime, clock)
            assert await outbox_counts(runtime, "pending") == 0
        exactly_once(
            "Discord bot",
            "revoked token (401 at login)",
            titles(api, OK),
            note="1 ERROR, 1 login try, alerts queued; sent once after restart",
        )


async def test_a_token_revoked_while_running_marks_discord_down_once(
    tmp_path: Path,
    feeds: FeedServerThread,
    api: DiscordAPI,
    caplog: pytest.LogCaptureFixture,
) -> None:
    feeds.set_feed("/stories.xml", story_feed())
    clock = Clock()
    settings = bot_settings(tmp_path, feeds, api)
    caplog.set_level(logging.INFO)
    async with open_runtime(settings, clock=clock) as runtime:
        await opened(runtime)
        await subscribe(runtime, "discord", [OK])
        await runtime.poller.poll_all(settings.feeds)
        api.token = "reset-in-the-developer-portal"  # the token dies after login
        await drain(runtime, clock, passes=4)
        queued = await outbox_counts(runtime, "pending")
        [transport] = runtime.transports
        assert transport.connected is False  # /healthz turns unhealthy
    down = [r for r in caplog.records if r.levelno >= logging.ERROR and "discord" in r.name]
    assert len(down) == 1, [r.getMessage() for r in down]
    assert queued == 3
    # The first send found out; the rest waited instead of each hitting the 401 in turn.
    assert len(api.calls("POST", f"/channels/{OK}/messages")) == 1
    api.token = TOKEN
    async with open_runtime(settings, clock=clock) as runtime:
        await opened(runtime)
        await drain(runtime, clock)
    exactly_once(
        "Discord bot",
        "token revoked while running (401 on send)",
        titles(api, OK),
        note="1 ERROR, transport down, alerts queued; sent once after restart",
    )


async def test_discord_unreachable_keeps_alerts_until_it_answers(
    tmp_path: Path, feeds: FeedServerThread, api: DiscordAPI
) -> None:
    feeds.set_feed("/stories.xml", story_feed())
    lost, repeats = await outage_then_recovery(
        tmp_path,
        feeds.url("/stories.xml"),
        platform="discord",
        channel=OK,
        secrets=Secrets(discord_token=TOKEN),
        down={"discord_base": f"http://127.0.0.1:{closed_port()}/api/v10"},
        up={"discord_base": api.api_base},
        received=lambda: titles(api, OK),
    )
    assert (lost, repeats) == (0, 0)
    record(Row("Discord bot", "connection refused, then up", lost, repeats))


async def test_after_a_permission_fix_every_held_alert_goes_out(
    tmp_path: Path, feeds: FeedServerThread, api: DiscordAPI
) -> None:
    feeds.set_feed("/stories.xml", story_feed())
    api.fail(FORBIDDEN, 403)
    clock = Clock()
    settings = bot_settings(tmp_path, feeds, api)
    async with open_runtime(settings, clock=clock) as runtime:
        await opened(runtime)
        await subscribe(runtime, "discord", [FORBIDDEN])
        await runtime.poller.poll_all(settings.feeds)
        await drain(runtime, clock)
        await subscribe(runtime, "discord", [FORBIDDEN])  # "I fixed the permissions"
        await drain(runtime, clock)
    assert tally(titles(api, FORBIDDEN)) == (0, 0)
