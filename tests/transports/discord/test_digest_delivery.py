"""Digests posted by the Discord bot: through the real outbox and Deliverer to the stand-in."""

from __future__ import annotations

from dataclasses import replace

from bot.domain import Destination
from bot.store.connection import Database
from bot.transports.discord.format import discord_webhook_payload
from bot.transports.discord.sender import nonce_for
from bot.transports.discord.transport import DiscordTransport
from tests.support.discord_api import DiscordAPI
from tests.transports.digest_data import digest, hostile_digest, huge_digest
from tests.transports.discord.payloads import GUILD, HERE, OTHER
from tests.transports.discord.test_delivery import deliver, outbox_rows, queue
from tests.transports.test_digest_format import within_discord_limits

HERE_DEST = Destination(1, f"discord:{HERE}", "discord", "#politics", GUILD, HERE)
OTHER_DEST = Destination(2, f"discord:{OTHER}", "discord", "#news", GUILD, OTHER)


async def test_the_deliverer_posts_a_queued_digest_as_one_embed(
    api: DiscordAPI, db: Database, transport: DiscordTransport
) -> None:
    sample = digest("quiet")
    await queue(db, sample)  # through the outbox's JSON, as after a restart
    report = await deliver(db, transport)
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    [body] = api.messages(HERE)
    assert body["embeds"][0]["title"] == "🌙 While quiet hours were on: 3 events"
    assert (
        body["embeds"][0]["description"]
        == discord_webhook_payload(sample)["embeds"][0]["description"]
    )
    assert not body.get("content")  # a summary pings no role
    assert body["allowed_mentions"]["parse"] == []
    assert not body["allowed_mentions"].get("roles")
    [(status, remote_id, error)] = await outbox_rows(db)
    assert (status, error) == ("sent", None)
    assert remote_id is not None
    assert remote_id.isdigit()


async def test_each_part_of_a_digest_is_its_own_message_and_a_resend_is_dropped(
    api: DiscordAPI, transport: DiscordTransport
) -> None:
    first, second = digest("digest", part=1, parts=2), digest("digest", part=2, parts=2)
    assert nonce_for(HERE_DEST, first) != nonce_for(HERE_DEST, second)
    assert nonce_for(HERE_DEST, first) != nonce_for(OTHER_DEST, first)
    sent = await transport.sender(HERE_DEST, first)
    await transport.sender(HERE_DEST, second)
    # A crash after Discord took the first part: its row is sent again, and dropped.
    again = await transport.sender(HERE_DEST, first)
    assert again == sent
    titles = [body["embeds"][0]["title"] for body in api.messages(HERE)]
    assert titles == [
        "🗞️ Westminster digest (1/2)",
        "🗞️ Westminster digest (continued, 2/2)",
    ]
    # Another period is another digest.
    later = replace(first, until=first.until.replace(hour=18))
    assert nonce_for(HERE_DEST, later) != nonce_for(HERE_DEST, first)


async def test_huge_and_hostile_digests_post_within_limits_and_ping_nobody(
    api: DiscordAPI, transport: DiscordTransport
) -> None:
    await transport.sender(HERE_DEST, huge_digest(10))
    await transport.sender(HERE_DEST, hostile_digest())
    huge, hostile = api.messages(HERE)
    within_discord_limits(huge["embeds"][0])
    assert huge["embeds"][0]["description"].count("\n\n") == 10  # the period, then 10 events
    text = str(hostile["embeds"])
    for ping in ("@everyone", "@here", "<@&123456>", "<@42>"):
        assert ping not in text
    assert not hostile.get("content")
