"""Webhook delivery faults: every alert arrives once, counted at the receiver, or is kept.

Three stories go through the real pipeline to one webhook per fault (Discord and Slack format).
A repeat is possible only where a send timed out after the receiver had accepted it: an incoming
webhook has no idempotency key, so those are counted and reported, not hidden.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from bot.app import open_runtime
from bot.config import WebhookSettings
from bot.delivery.deliver import Deliverer
from bot.transports.webhooks import WebhookSender
from tests.reliability.delivery import (
    Clock,
    drain,
    outbox_counts,
    settings_for,
    story_feed,
    tally,
    waiting,
)
from tests.reliability.figures import Row, record
from tests.reliability.helpers import closed_port
from tests.support.chat_server import ChatServer, Reply
from tests.support.feed_server import FeedServerThread

SEND_TIMEOUT_S = 1.0  # the real 15 s would make each timeout case cost 15 s
LATE = SEND_TIMEOUT_S + 1.5


@dataclass(frozen=True)
class Case:
    """A webhook misbehaving in one way, and what the receiver must end up with."""

    script: list[int | Reply]
    delivered: bool = True  # False: the webhook is gone; alerts are kept as failed, not retried
    repeats: int = 0
    repeats_from: str = ""


AFTER_POSTING = "a send timed out after the webhook had posted it (webhooks take no nonce)"
CASES: dict[str, Case] = {
    "/discord/ok": Case([]),
    "/discord/429-storm": Case([429] * 20),
    "/discord/5xx": Case([500, 502, 503, 500]),
    "/discord/timeout-unanswered": Case([Reply(503, delay=LATE)] * 2),
    "/discord/timeout-after-posting": Case(
        [Reply(200, delay=LATE)], repeats=1, repeats_from=AFTER_POSTING
    ),
    "/discord/deleted-404": Case([404] * 3, delivered=False),
    "/discord/revoked-401": Case([401] * 3, delivered=False),
    "/slack/ok": Case([]),
    "/slack/429-storm": Case([Reply(429, headers={"Retry-After": "0"})] * 20),
    "/slack/5xx": Case([500, 503]),
    "/slack/timeout-after-posting": Case(
        [Reply(200, delay=LATE)], repeats=1, repeats_from=AFTER_POSTING
    ),
    "/slack/archived-410": Case([410] * 3, delivered=False),
}


def _texts(chat: ChatServer, path: str) -> list[str]:
    posts = chat.received(path)
    if path.startswith("/slack"):
        return [post["text"] for post in posts]
    return [post["embeds"][0]["title"] for post in posts]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def test_webhook_faults_lose_nothing_and_repeat_only_after_a_posted_timeout(
    tmp_path: Path,
    feeds: FeedServerThread,
    chat: ChatServer,
    session: aiohttp.ClientSession,
) -> None:
    feeds.set_feed("/stories.xml", story_feed())
    down_port = closed_port()
    hooks = [WebhookSettings(path.split("/")[1], chat.url(path), None, path) for path in CASES] + [
        WebhookSettings(kind, f"http://127.0.0.1:{down_port}/{kind}/refused", None, f"{kind} down")
        for kind in ("discord", "slack")
    ]
    for path, case in CASES.items():
        chat.script(path, case.script)
    clock = Clock()
    settings = settings_for(tmp_path, feeds.url("/stories.xml"), webhooks=hooks)
    async with open_runtime(settings, clock=clock) as runtime:
        fast = WebhookSender(session, hooks, timeout=SEND_TIMEOUT_S)
        runtime.deliverer = Deliverer(
            runtime.db, {"webhook:discord": fast, "webhook:slack": fast}, clock=clock
        )
        [polled] = await runtime.poller.poll_all(settings.feeds)
        assert polled.alerts == 3
        await drain(runtime, clock, passes=4)
        assert await waiting(runtime) >= 6  # the refused hosts' alerts (and the storm's) wait
        revived = ChatServer.start_in_thread(down_port)  # the host comes back on the same URL
        try:
            await drain(runtime, clock, passes=30)
            refused = {kind: _texts(revived, f"/{kind}/refused") for kind in ("discord", "slack")}
        finally:
            revived.stop()
        assert await waiting(runtime) == 0
        failed = await outbox_counts(runtime, "failed")
        held = await outbox_counts(runtime, "pending")

    # A destination that is gone holds all its alerts, the refused one first, until it is fixed.
    gone = [path for path, case in CASES.items() if not case.delivered]
    assert (failed, held) == (0, 3 * len(gone))
    for path, case in CASES.items():
        texts = _texts(chat, path)
        attempts = len(chat.attempts(path))
        if not case.delivered:
            assert texts == []
            assert attempts == 1, path  # marked broken at once, never retried
            note = "gone: marked broken after 1 POST; 1 alert failed, 2 held (see report)"
            record(Row("webhook", path, lost=0, note=note))
            continue
        lost, repeats = tally(texts)
        assert (lost, repeats) == (0, case.repeats), (path, texts)
        record(Row("webhook", path, lost, repeats, case.repeats_from, note=f"{attempts} POSTs"))
    for kind, texts in refused.items():
        assert tally(texts) == (0, 0)
        record(Row("webhook", f"/{kind} connection refused, then up", 0))
