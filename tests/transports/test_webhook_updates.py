"""WebhookSender.edit / reply against the loopback webhook stand-in: edits, and what they meet."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.config import WebhookSettings
from bot.domain import Destination
from bot.errors import DeliveryError, EditsExhausted, MessageGone
from bot.transports.webhooks import WebhookSender
from tests.support.chat_server import ChatServer, Reply
from tests.transports.events_data import alert, event, follow_up, hostile_event, huge_event

TOKEN = "tok3n-s3cret-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuv"
HOOK = f"/api/webhooks/1234567890/{TOKEN}"
SLACK_HOOK = "/slack/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"


@pytest.fixture
async def chat() -> AsyncIterator[ChatServer]:
    async with ChatServer() as server:
        yield server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


def hook(chat: ChatServer, platform: str = "discord", path: str = HOOK) -> WebhookSettings:
    name = f"newsroom-{platform}"
    return WebhookSettings(platform, chat.url(path), None, name, named=True, mention="42")


def destination(settings: WebhookSettings) -> Destination:
    kind = f"webhook:{settings.platform}"
    return Destination(1, settings.key, kind, settings.name)


async def posted(chat: ChatServer, session: aiohttp.ClientSession) -> tuple[WebhookSender, str]:
    """A sender, and the id of the alert it posted (as the outbox keeps it)."""
    settings = hook(chat)
    sender = WebhookSender(session, [settings], timeout=5.0)
    remote_id = await sender(destination(settings), alert(None, mention="42"))
    assert remote_id is not None
    return sender, remote_id


async def test_an_edit_patches_the_message_with_the_event_as_it_stands(
    chat: ChatServer, session: aiohttp.ClientSession
) -> None:
    sender, remote_id = await posted(chat, session)
    await sender.edit(destination(hook(chat)), remote_id, alert(event(4), mention="42"))
    [edit] = chat.edits(HOOK)
    assert edit.path == f"{HOOK}/messages/{remote_id}"
    assert "wait" not in edit.query
    [embed] = edit.body["embeds"]
    coverage = {f["name"]: f["value"] for f in embed["fields"]}["Coverage"]
    assert coverage.startswith("4 reports · BBC News, The Guardian, The Telegraph")
    latest = {f["name"]: f["value"] for f in embed["fields"]}["Latest"]
    assert "(https://news.example/report-3)" in latest
    # The post's mention line and its allowed_mentions, so the edit changes nothing else.
    assert edit.body["content"] == "<@&42>"
    assert edit.body["allowed_mentions"] == {"parse": [], "roles": ["42"]}
    assert "username" not in edit.body


async def test_an_edit_of_a_message_in_a_thread_keeps_the_thread_id(
    chat: ChatServer, session: aiohttp.ClientSession
) -> None:
    settings = hook(chat, path=HOOK)
    settings = WebhookSettings("discord", settings.url + "?thread_id=777", None, "t", named=True)
    sender = WebhookSender(session, [settings])
    await sender.edit(destination(settings), "55", alert(event(4)))
    [edit] = chat.edits(HOOK)
    assert edit.query == {"thread_id": "777"}


async def test_hostile_event_text_never_pings_in_an_edit(
    chat: ChatServer, session: aiohttp.ClientSession
) -> None:
    sender, remote_id = await posted(chat, session)
    await sender.edit(destination(hook(chat)), remote_id, alert(hostile_event()))
    [edit] = chat.edits(HOOK)
    assert edit.body["allowed_mentions"] == {"parse": []}
    body = str(edit.body["embeds"])
    assert "@everyone" not in body
    assert "<@&123456>" not in body


async def test_an_edit_of_200_reports_and_huge_titles_is_accepted(
    chat: ChatServer, session: aiohttp.ClientSession
) -> None:
    sender, remote_id = await posted(chat, session)
    await sender.edit(destination(hook(chat)), remote_id, alert(huge_event(), title="T" * 9000))
    assert len(chat.edits(HOOK)) == 1  # the stand-in refuses what Discord would (limits)


async def test_a_deleted_message_is_message_gone(
    chat: ChatServer, session: aiohttp.ClientSession
) -> None:
    sender, remote_id = await posted(chat, session)
    chat.script(f"{HOOK}/messages/{remote_id}", [404])
    with pytest.raises(MessageGone) as caught:
        await sender.edit(destination(hook(chat)), remote_id, alert(event(4)))
    assert not caught.value.retryable
    assert TOKEN not in str(caught.value)


async def test_a_deleted_webhook_stays_what_it_is_for_posts(
    chat: ChatServer, session: aiohttp.ClientSession
) -> None:
    sender, remote_id = await posted(chat, session)
    unknown_webhook = Reply(404, body={"message": "Unknown Webhook", "code": 10015})
    chat.script(f"{HOOK}/messages/{remote_id}", [unknown_webhook])
    with pytest.raises(DeliveryError) as caught:
        await sender.edit(destination(hook(chat)), remote_id, alert(event(4)))
    assert type(caught.value) is DeliveryError
    assert not caught.value.retryable


async def test_the_edit_cap_is_edits_exhausted(
    chat: ChatServer, session: aiohttp.ClientSession
) -> None:
    sender, remote_id = await posted(chat, session)
    capped = Reply(400, body={"message": "Maximum number of edits", "code": 30046})
    chat.script(f"{HOOK}/messages/{remote_id}", [capped])
    with pytest.raises(EditsExhausted):
        await sender.edit(destination(hook(chat)), remote_id, alert(event(4)))


@pytest.mark.parametrize(
    ("reply", "wait"),
    [
        (Reply(429, body={"retry_after": 2.5, "global": False}), 2.5),
        (Reply(500, headers={"Retry-After": "7"}), 7.0),
        (Reply(503), None),
    ],
)
async def test_rate_limits_and_server_errors_are_retried_later(
    chat: ChatServer, session: aiohttp.ClientSession, reply: Reply, wait: float | None
) -> None:
    sender, remote_id = await posted(chat, session)
    chat.script(f"{HOOK}/messages/{remote_id}", [reply])
    with pytest.raises(DeliveryError) as caught:
        await sender.edit(destination(hook(chat)), remote_id, alert(event(4)))
    assert not isinstance(caught.value, MessageGone | EditsExhausted)
    assert caught.value.retryable
    assert caught.value.retry_after == wait


async def test_slack_format_webhooks_cannot_edit_and_no_webhook_replies_in_a_thread(
    chat: ChatServer, session: aiohttp.ClientSession
) -> None:
    slack = hook(chat, "slack", SLACK_HOOK)
    discord = hook(chat)
    sender = WebhookSender(session, [slack, discord])
    with pytest.raises(DeliveryError, match="cannot edit") as caught:
        await sender.edit(destination(slack), "1", alert(event(4)))
    assert not caught.value.retryable
    for settings in (slack, discord):
        with pytest.raises(DeliveryError, match="needs the bot") as refused:
            await sender.reply(destination(settings), "1", follow_up())
        assert not refused.value.retryable
    assert chat.attempts(SLACK_HOOK) == []
    assert chat.edits(HOOK) == []


async def test_follow_ups_post_to_both_kinds_of_webhook(
    chat: ChatServer, session: aiohttp.ClientSession
) -> None:
    slack, discord = hook(chat, "slack", SLACK_HOOK), hook(chat)
    sender = WebhookSender(session, [slack, discord])
    await sender(destination(slack), follow_up(3, latest=hostile_event().latest))
    await sender(destination(discord), follow_up(3))
    [slack_body] = chat.received(SLACK_HOOK)
    assert slack_body["text"].startswith("📰 3 more reports on <https://news.example/report-0|")
    assert "<!channel>" not in slack_body["text"]
    assert "@everyone" not in slack_body["text"]
    [discord_body] = chat.received(HOOK)
    assert discord_body["embeds"][0]["title"].startswith("📰 3 more reports on Johnson")
    assert discord_body["allowed_mentions"] == {"parse": []}
