"""A Discord channel muted with the slash command's use case hears nothing until the mute ends,
then one digest, through the real outbox and Deliverer to the Discord stand-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.channel_settings import ChannelSettings
from bot.channel_watch import ChannelWatch
from bot.commands import Caller, Channel, Commands
from bot.delivery.deliver import Deliverer
from bot.delivery.holding import release_held
from bot.pipeline.classify import Classifier
from bot.store.connection import Database
from bot.transports.discord.transport import DiscordTransport
from tests.support.clock import Clock
from tests.support.discord_api import DiscordAPI
from tests.transports.control_helpers import TITLES, queue_alerts
from tests.transports.discord.payloads import GUILD, HERE


async def test_a_muted_discord_channel_hears_nothing_until_the_mute_ends(
    api: DiscordAPI, transport: DiscordTransport, db: Database
) -> None:
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    commands = Commands(db, Classifier.load().categories, (), clock)
    caller = Caller("discord", GUILD, "1", "Ada", can_manage=True)
    channel = Channel(HERE, "#politics")
    assert (await commands.subscribe(caller, channel, "defection")).ok
    assert (await ChannelWatch(ChannelSettings(commands)).mute(caller, channel, "30m")).ok
    deliverer = Deliverer(db, {"discord": transport.sender}, clock=clock)
    await queue_alerts(db, channel.key(caller), commands.sample_alert(), clock())
    assert (await deliverer.deliver_due()).held == 2
    assert api.messages(HERE) == []

    clock.now += timedelta(minutes=31)
    assert await release_held(db, now=clock(), zone="UTC") == 1
    assert (await deliverer.deliver_due()).sent == 1
    [message] = api.messages(HERE)
    embed = message["embeds"][0]
    assert all(title in embed["description"] for title in TITLES)
    assert "muted" in embed["title"]
