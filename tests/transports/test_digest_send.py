"""A digest sent through both webhook formats (to the loopback receiver) and to the console."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.config import DisplaySettings, WebhookSettings
from bot.domain import Destination, DestinationKey
from bot.transports.console import ConsoleSender
from bot.transports.webhooks import WebhookSender
from tests.support.chat_server import ChatServer
from tests.transports.digest_data import digest, hostile_digest, huge_digest

TOKEN = "tok3n-s3cret-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuv"
DISCORD_HOOK = f"/api/webhooks/1234567890/{TOKEN}"
SLACK_HOOK = "/slack/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"
CONSOLE = Destination(1, DestinationKey.CONSOLE, "console", "console")


@pytest.fixture
async def chat() -> AsyncIterator[ChatServer]:
    async with ChatServer() as server:
        yield server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


def webhook(chat: ChatServer, platform: str) -> tuple[WebhookSettings, Destination]:
    """A named webhook that pings on its alerts (role 42 / @here), and its destination."""
    path = DISCORD_HOOK if platform == "discord" else SLACK_HOOK
    mention = "42" if platform == "discord" else "here"
    settings = WebhookSettings(platform, chat.url(path), None, f"news-{platform}", True, mention)
    return settings, Destination(1, settings.key, f"webhook:{platform}", settings.name)


async def test_a_discord_webhook_posts_a_digest_as_one_embed_pinging_nobody(
    chat: ChatServer, session: aiohttp.ClientSession
) -> None:
    settings, destination = webhook(chat, "discord")
    sender = WebhookSender(session, [settings], timeout=5.0)
    remote_id = await sender(destination, digest("quiet"))
    assert remote_id is not None  # a plain new message, like any other
    [body] = chat.received(DISCORD_HOOK)
    [embed] = body["embeds"]
    assert embed["title"] == "🌙 While quiet hours were on: 3 events"
    assert (
        "[Tory MP Jane Marchmont defects to Labour](https://news.example/defection)"
        in (embed["description"])
    )
    # The webhook's mention is for alerts: a summary never pings.
    assert "content" not in body
    assert body["allowed_mentions"] == {"parse": []}
    assert chat.edits(DISCORD_HOOK) == []


@pytest.mark.parametrize("platform", ["discord", "slack"])
async def test_huge_and_hostile_digests_are_accepted_by_both_webhook_formats(
    chat: ChatServer, session: aiohttp.ClientSession, platform: str
) -> None:
    settings, destination = webhook(chat, platform)
    sender = WebhookSender(session, [settings], timeout=5.0)
    # The receiver refuses what the real API would (over 50 blocks, 3000, 4096, 6000, …).
    await sender(destination, huge_digest(10))
    await sender(destination, huge_digest(60, part=2, parts=3))
    await sender(destination, hostile_digest())
    path = DISCORD_HOOK if platform == "discord" else SLACK_HOOK
    assert [a.status for a in chat.attempts(path)] == [200, 200, 200]
    sent = json.dumps(chat.received(path)[-1], ensure_ascii=False)
    for ping in ("@everyone", "<@&123456>", "<!channel>", "<!here>", "<!subteam"):
        assert ping not in sent


async def test_a_slack_webhook_posts_blocks_and_the_listing_as_fallback_text(
    chat: ChatServer, session: aiohttp.ClientSession
) -> None:
    settings, destination = webhook(chat, "slack")
    await WebhookSender(session, [settings], timeout=5.0)(destination, digest("muted"))
    [body] = chat.received(SLACK_HOOK)
    assert body["blocks"][0]["text"]["text"].startswith("*🔕 While this channel was muted (")
    assert len(body["blocks"]) == 4
    assert (
        "<https://news.example/by-election|By-election called in Somewhere North>" in (body["text"])
    )
    assert "<!here>" not in body["text"]  # the webhook's @here is for alerts only
    assert body["unfurl_links"] is False


async def test_the_console_prints_a_digest_as_a_message_of_its_own() -> None:
    stream = io.StringIO()
    console = ConsoleSender(stream, DisplaySettings("Europe/London"))
    assert await console(CONSOLE, digest("digest", part=2, parts=2)) is None
    text = stream.getvalue()
    assert text.startswith("🗞️ Westminster digest · 22:00–07:00 GMT (continued, 2/2)\n")
    assert "  • 🔀 Tory MP Jane Marchmont defects to Labour\n" in text
    assert text.endswith("    Elections · 1 report · PoliticsHome\n\n")
