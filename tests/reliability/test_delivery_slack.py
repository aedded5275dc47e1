"""Slack app delivery faults, through the real pipeline and slack_sdk to the loopback Web API.

chat.postMessage has no idempotency key, so a send that times out after Slack posted it is sent
again: that repeat is counted and reported, the only one allowed.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import open_runtime
from bot.commands import Caller
from bot.config import Secrets
from bot.transports.slack.app import SlackTransport
from tests.reliability.delivery import (
    TEAM,
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
from tests.support.feed_server import FeedServerThread
from tests.support.slack_api import SlackApi
from tests.support.slack_data import BOT_TOKEN, Failure, ratelimited

VIEWER = Caller("slack", TEAM, "U0MEMBER", "bob", can_manage=False)
AFTER_POSTING = "a send timed out after Slack had posted it (chat.postMessage takes no key)"


@pytest.fixture
async def slack() -> AsyncIterator[SlackApi]:
    async with SlackApi() as server:
        yield server


def texts(slack: SlackApi, channel: str) -> list[str]:
    return [str(post["text"]) for post in slack.posts(channel)]


def posts_to(slack: SlackApi, channel: str) -> int:
    return sum(c.params.get("channel") == channel for c in slack.calls("chat.postMessage"))


async def test_slack_faults_lose_nothing_and_repeat_only_after_a_posted_timeout(
    tmp_path: Path,
    feeds: FeedServerThread,
    slack: SlackApi,
) -> None:
    feeds.set_feed("/stories.xml", story_feed())
    slack.fail("C0STORM", ratelimited(1), *[Failure("ratelimited", 429)] * 8)
    slack.fail("C0SERVER", Failure(status=500), Failure(status=503))
    slack.stall("C0LATE", 2.5)
    slack.fail("C0GONE", Failure("channel_not_found"))
    slack.fail("C0OUT", Failure("not_in_channel"))
    slack.fail("C0ARCH", Failure("is_archived"))
    clock = Clock()
    settings = settings_for(
        tmp_path,
        feeds.url("/stories.xml"),
        secrets=Secrets(slack_bot_token=BOT_TOKEN),
        slack_base=slack.api_base,
    )
    async with open_runtime(settings, clock=clock) as runtime:
        [transport] = runtime.transports
        assert isinstance(transport, SlackTransport)
        transport.client.timeout = 1  # the Web API client's timeout: 15 s in production
        await opened(runtime)
        channels = ["C0OK", "C0STORM", "C0SERVER", "C0LATE", "C0GONE", "C0OUT", "C0ARCH"]
        await subscribe(runtime, "slack", channels)
        [polled] = await runtime.poller.poll_all(settings.feeds)
        assert polled.alerts == 3
        await drain(runtime, clock, passes=15)
        assert await waiting(runtime) == 0
        status = (await runtime.commands.status(VIEWER)).plain()

    for channel, fault in (
        ("C0OK", "no fault"),
        ("C0STORM", "429 storm (9 in a row)"),
        ("C0SERVER", "5xx (500, 503)"),
    ):
        lost, repeats = tally(texts(slack, channel))
        assert (lost, repeats) == (0, 0), fault
        record(Row("Slack app", fault, lost, repeats, note=f"{posts_to(slack, channel)} calls"))
    lost, repeats = tally(texts(slack, "C0LATE"))
    assert (lost, repeats) == (0, 1)
    record(Row("Slack app", "timeout after Slack accepted", lost, repeats, AFTER_POSTING))
    for channel, fault in (
        ("C0GONE", "deleted channel (channel_not_found)"),
        ("C0OUT", "not in channel"),
        ("C0ARCH", "archived channel"),
    ):
        assert texts(slack, channel) == []
        assert posts_to(slack, channel) == 1  # paused at once, never retried
        assert f"#{channel}: " in status
        record(Row("Slack app", fault, 0, note="paused after 1 call, shown in status"))


async def test_a_refused_token_marks_slack_down_once_and_keeps_alerts_queued(
    tmp_path: Path,
    feeds: FeedServerThread,
    slack: SlackApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    feeds.set_feed("/stories.xml", story_feed())
    slack.refuse(BOT_TOKEN, "invalid_auth")  # revoked before start: auth.test says so
    clock = Clock()
    settings = settings_for(
        tmp_path,
        feeds.url("/stories.xml"),
        secrets=Secrets(slack_bot_token=BOT_TOKEN),
        slack_base=slack.api_base,
    )
    caplog.set_level(logging.INFO)
    async with open_runtime(settings, clock=clock) as runtime:
        await opened(runtime)
        [transport] = runtime.transports
        await subscribe(runtime, "slack", ["C0OK"])
        await runtime.poller.poll_all(settings.feeds)
        await drain(runtime, clock, passes=4)
        assert transport.connected is False
        assert await outbox_counts(runtime, "pending") == 3
        down = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(down) == 1, [r.getMessage() for r in down]
        assert "DOWN" in down[0].getMessage()
        # Retried slowly (each try waits the transport's down-retry delay, here an hour
        # passes between passes), one call a pass, never a tight loop.
        assert len(slack.calls("chat.postMessage")) <= 4
        assert len(slack.calls("auth.test")) == 1
        slack.accept(BOT_TOKEN)  # the app is reinstalled with the same token
        await drain(runtime, clock)
        assert transport.connected is True
    exactly_once(
        "Slack app",
        "revoked token (invalid_auth)",
        texts(slack, "C0OK"),
        note="1 ERROR, transport down, queued; sent once when accepted again",
    )


async def test_slack_unreachable_keeps_alerts_until_it_answers(
    tmp_path: Path, feeds: FeedServerThread, slack: SlackApi
) -> None:
    feeds.set_feed("/stories.xml", story_feed())
    lost, repeats = await outage_then_recovery(
        tmp_path,
        feeds.url("/stories.xml"),
        platform="slack",
        channel="C0OK",
        secrets=Secrets(slack_bot_token=BOT_TOKEN),
        down={"slack_base": f"http://127.0.0.1:{closed_port()}/api/"},
        up={"slack_base": slack.api_base},
        received=lambda: texts(slack, "C0OK"),
    )
    assert (lost, repeats) == (0, 0)
    record(Row("Slack app", "connection refused, then up", lost, repeats))
