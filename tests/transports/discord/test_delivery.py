"""Alerts posted by the bot, through the real Deliverer and a real SQLite outbox."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.commands import Caller, Commands
from bot.delivery.deliver import Deliverer, DeliveryReport
from bot.delivery.messages import Message, dump_message
from bot.domain import Alert, Destination, Overflow, OverflowItem
from bot.errors import DeliveryError
from bot.store import destinations as dest_store
from bot.store import outbox
from bot.store.connection import Database
from bot.transports.discord.format import discord_embed
from bot.transports.discord.sender import nonce_for
from bot.transports.discord.transport import DiscordTransport
from tests.support.discord_api import TOKEN, DiscordAPI
from tests.transports.discord.conftest import NOW
from tests.transports.discord.payloads import GUILD, HERE, OTHER, ROLE

HERE_DEST = Destination(1, f"discord:{HERE}", "discord", "#politics", GUILD, HERE)
OTHER_DEST = Destination(2, f"discord:{OTHER}", "discord", "#news", GUILD, OTHER)
VIEWER = Caller("discord", GUILD, "1", "Ada", can_manage=False)


def utcnow() -> datetime:
    return datetime.now(UTC)


def alert(use_cases: Commands, **changes: object) -> Alert:
    sample = replace(use_cases.sample_alert(), story_id=7, title="Tory MP defects @everyone")
    return replace(sample, **changes)  # type: ignore[arg-type]


async def queue(db: Database, message: Message, channel: str = HERE) -> int:
    """Subscribe a channel (as /westminster subscribe would) and queue one message for it."""
    async with db.transaction() as conn:
        await dest_store.subscribe(
            conn,
            key=f"discord:{channel}",
            kind="discord",
            label="#politics",
            scope=GUILD,
            channel=channel,
            categories=["defection"],
            mention=None,
            created_by="Ada",
            now=NOW,
        )
        destination = await dest_store.find_destination(conn, f"discord:{channel}")
        assert destination is not None
        await outbox.enqueue(conn, destination.id, "story:7", dump_message(message), utcnow())
    return destination.id


async def deliver(db: Database, transport: DiscordTransport) -> DeliveryReport:
    deliverer = Deliverer(db, {"discord": transport.sender}, clock=utcnow)
    return await deliverer.deliver_due()


async def outbox_rows(db: Database) -> list[tuple[str, str | None, str | None]]:
    sql = "SELECT status, remote_id, last_error FROM outbox ORDER BY id"
    async with db.conn.execute(sql) as cursor:
        return [tuple(r) for r in await cursor.fetchall()]  # type: ignore[misc]


async def test_alert_is_posted_as_an_embed_pinging_nobody(
    api: DiscordAPI, transport: DiscordTransport, use_cases: Commands
) -> None:
    story = alert(use_cases)
    message_id = await transport.sender(HERE_DEST, story)
    [body] = api.messages(HERE)
    assert message_id is not None
    assert message_id.isdigit()
    embed = body["embeds"][0]
    expected = discord_embed(story)
    for key in ("title", "url", "color", "description", "fields", "timestamp", "footer"):
        assert embed[key] == expected[key]
    assert body["allowed_mentions"] == {"parse": []}
    assert not body.get("content")
    assert body["nonce"] == nonce_for(HERE_DEST, story)
    assert len(body["nonce"]) <= 25
    assert body["enforce_nonce"] is True


async def test_a_role_is_mentioned_only_when_the_subscription_asks(
    api: DiscordAPI, transport: DiscordTransport, use_cases: Commands
) -> None:
    await transport.sender(HERE_DEST, alert(use_cases, mention=ROLE))
    [body] = api.messages(HERE)
    assert body["content"] == f"<@&{ROLE}>"
    mentions = body["allowed_mentions"]
    assert mentions["parse"] == []
    assert [str(r) for r in mentions["roles"]] == [ROLE]
    assert set(mentions) <= {"parse", "roles", "replied_user"}


async def test_a_resend_of_the_same_row_is_dropped_by_discord(
    api: DiscordAPI, transport: DiscordTransport, use_cases: Commands
) -> None:
    story = alert(use_cases)
    first = await transport.sender(HERE_DEST, story)
    # A crash after Discord accepted it: the same row is sent again, "also reported by" grown.
    again = await transport.sender(HERE_DEST, replace(story, also_reported_by=("Sky News",)))
    assert again == first
    assert len(api.messages(HERE)) == 1
    # Another channel, or another story, is another message.
    await transport.sender(OTHER_DEST, story)
    await transport.sender(HERE_DEST, replace(story, story_id=8))
    assert len(api.messages(HERE)) == 2
    assert len(api.messages(OTHER)) == 1


async def test_overflow_is_posted_with_the_overflow_embed(
    api: DiscordAPI, transport: DiscordTransport
) -> None:
    items = tuple(
        OverflowItem(f"Headline {i}", f"https://news.example/{i}", "pmqs") for i in range(3)
    )
    notice = Overflow(feed="BBC", outlet="BBC News", items=items)
    await transport.sender(HERE_DEST, notice)
    [body] = api.messages(HERE)
    assert body["embeds"][0]["title"] == "📰 3 more headlines from BBC News"
    assert body["allowed_mentions"] == {"parse": []}
    assert body["nonce"] == nonce_for(HERE_DEST, notice) != nonce_for(OTHER_DEST, notice)


async def test_the_deliverer_sends_through_the_bot_and_records_the_message_id(
    api: DiscordAPI, db: Database, transport: DiscordTransport, use_cases: Commands
) -> None:
    await queue(db, alert(use_cases))
    report = await deliver(db, transport)
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    [body] = api.messages(HERE)
    [(status, remote_id, error)] = await outbox_rows(db)
    assert (status, error) == ("sent", None)
    assert remote_id is not None
    assert body["embeds"][0]["title"].endswith("Tory MP defects @\u200beveryone")


@pytest.mark.parametrize(
    ("status", "reason"),
    [(403, "missing permission to post in #politics"), (404, "channel deleted")],
)
async def test_403_and_404_pause_the_subscription_and_show_in_status(
    api: DiscordAPI,
    db: Database,
    transport: DiscordTransport,
    use_cases: Commands,
    status: int,
    reason: str,
) -> None:
    await queue(db, alert(use_cases))
    api.fail(HERE, status)
    report = await deliver(db, transport)
    assert (report.sent, report.failed) == (0, 1)
    [row] = await dest_store.scope_subscriptions(db.conn, "discord", GUILD)
    assert row.broken_reason == reason
    assert (await outbox_rows(db))[0][0] == "pending"  # held until the channel is fixed
    assert f"#politics: {reason}" in (await use_cases.status(VIEWER)).plain()
    # Paused: no more tries until someone fixes it (subscribing again clears it).
    assert (await deliver(db, transport)).sent == 0
    assert len(api.calls("POST", f"/channels/{HERE}/messages")) == 1


async def test_a_429_is_retried_by_discord_py(
    api: DiscordAPI, db: Database, transport: DiscordTransport, use_cases: Commands
) -> None:
    await queue(db, alert(use_cases))
    api.fail(HERE, 429)
    report = await deliver(db, transport)
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    assert [c.status for c in api.calls("POST", f"/channels/{HERE}/messages")] == [429, 200]
    assert len(api.messages(HERE)) == 1


async def test_a_5xx_is_retried_later_and_keeps_the_subscription(
    api: DiscordAPI, db: Database, transport: DiscordTransport, use_cases: Commands
) -> None:
    await queue(db, alert(use_cases))
    api.fail(HERE, 503)
    report = await deliver(db, transport)
    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    [(status, _, error)] = await outbox_rows(db)
    assert status == "pending"
    assert error == "Discord error HTTP 503"
    [row] = await dest_store.scope_subscriptions(db.conn, "discord", GUILD)
    assert row.broken_reason is None


async def test_a_refused_token_marks_the_bot_down_once_and_keeps_alerts_queued(
    api: DiscordAPI,
    db: Database,
    use_cases: Commands,
    make_transport: Callable[..., DiscordTransport],
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = make_transport(token="wrong-token")
    try:
        with caplog.at_level(logging.INFO):
            await bot.open_rest()
            await bot.start()  # `run`: no crash, no retry loop
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1
        assert "DISCORD_TOKEN" in errors[0].getMessage()
        assert "wrong-token" not in caplog.text
        assert not bot.connected
        with pytest.raises(DeliveryError) as caught:
            await bot.sender(HERE_DEST, alert(use_cases))
        assert caught.value.retryable
        await queue(db, alert(use_cases))
        report = await deliver(db, bot)
        assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
        assert (await outbox_rows(db))[0][0] == "pending"
        assert [c.path for c in api.calls()] == ["/users/@me"]
    finally:
        await bot.stop()
        await bot.stop()


async def test_discord_unreachable_keeps_alerts_queued_without_marking_the_bot_down(
    db: Database, use_cases: Commands, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as sock:  # a loopback port with nothing listening
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/api/v10"
    bot = DiscordTransport(token=TOKEN, api_base=dead, db=db, commands=use_cases)
    try:
        await bot.open_rest()
        assert "discord: could not log in" in caplog.text
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        with pytest.raises(DeliveryError) as caught:
            await bot.sender(HERE_DEST, alert(use_cases))
        assert caught.value.retryable
        assert caught.value.reason == "Discord bot is not logged in"
    finally:
        await bot.stop()
