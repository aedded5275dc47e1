"""`run`'s side of the bot: start() over the loopback gateway, events, clean-up, stop()."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from bot.commands import Caller, Channel, Commands
from bot.errors import ConfigError
from bot.store import destinations as dest_store
from bot.store.connection import Database
from bot.transports.discord.transport import DiscordTransport, dev_guild_from_env
from tests.support.discord_api import TOKEN, DiscordAPI
from tests.transports.discord.payloads import GUILD, HERE, MANAGE, OTHER, interaction_payload

OTHER_GUILD = "1100000000000000001"
ELSEWHERE = "2100000000000000001"  # a channel in OTHER_GUILD
ADMIN = Caller("discord", GUILD, "1", "Ada", can_manage=True)
OTHER_ADMIN = Caller("discord", OTHER_GUILD, "2", "Bo", can_manage=True)
GUILDS_INTENT = 1  # discord.Intents.guilds; nothing privileged


async def until(condition: Callable[[], bool]) -> None:
    """Wait for a condition the bot reaches asynchronously; fail after a generous bound."""
    async with asyncio.timeout(15):
        while not condition():  # noqa: ASYNC110 - the bot offers no event to wait on
            await asyncio.sleep(0.02)


@pytest.fixture
async def sharded() -> AsyncIterator[DiscordAPI]:
    async with DiscordAPI(shards=2) as server:
        server.gateway.add_guild(GUILD, {HERE: "politics", OTHER: "news"})
        server.gateway.add_guild(OTHER_GUILD, {ELSEWHERE: "general"})
        yield server


async def keys(db: Database) -> set[str]:
    async with db.conn.execute("SELECT key FROM destinations") as cursor:
        return {row[0] for row in await cursor.fetchall()}


async def test_run_connects_every_shard_answers_commands_and_cleans_up(
    sharded: DiscordAPI, db: Database, use_cases: Commands
) -> None:
    for caller, channel in ((ADMIN, HERE), (ADMIN, OTHER), (OTHER_ADMIN, ELSEWHERE)):
        await use_cases.subscribe(caller, Channel(channel, f"#{channel}"), "pmqs")
    bot = DiscordTransport(token=TOKEN, api_base=sharded.api_base, db=db, commands=use_cases)
    try:
        await bot.start()
        await until(lambda: bot.connected)
        # The shard count and gateway URL came from /gateway/bot on the configured api_base.
        assert sorted(i["shard"] for i in sharded.gateway.identified) == [[0, 2], [1, 2]]
        assert {i["intents"] for i in sharded.gateway.identified} == {GUILDS_INTENT}
        assert [g["name"] for g in sharded.synced()] == ["westminster"]
        assert len(bot.client.guilds) == 2

        # A slash command arriving over the gateway is answered over REST.
        await sharded.gateway.dispatch(
            "INTERACTION_CREATE", interaction_payload("categories", rights=MANAGE)
        )
        await until(lambda: len(sharded.responses()) == 1)
        assert "Defection" in sharded.responses()[0]["content"]

        # A deleted channel takes its subscriptions with it.
        await sharded.gateway.dispatch(
            "CHANNEL_DELETE", {"id": OTHER, "type": 0, "guild_id": GUILD}
        )
        await until(lambda: OTHER not in {c.id for c in bot.client.get_all_channels()})
        await until_db(db, lambda found: f"discord:{OTHER}" not in found)

        # An outage (unavailable) keeps subscriptions; removal from the guild drops them.
        await sharded.gateway.dispatch("GUILD_DELETE", {"id": OTHER_GUILD, "unavailable": True})
        await sharded.gateway.dispatch("GUILD_DELETE", {"id": GUILD})
        await until_db(db, lambda found: f"discord:{HERE}" not in found)
        assert await keys(db) == {f"discord:{ELSEWHERE}"}
        assert await dest_store.scope_subscriptions(db.conn, "discord", GUILD) == []
    finally:
        await bot.stop()
    assert not bot.connected
    await bot.stop()  # twice is fine


async def until_db(db: Database, condition: Callable[[set[str]], bool]) -> None:
    async with asyncio.timeout(15):
        while not condition(await keys(db)):  # noqa: ASYNC110 - polling the real database
            await asyncio.sleep(0.02)


async def test_dev_guild_syncs_commands_to_that_guild_on_start(
    sharded: DiscordAPI, db: Database, use_cases: Commands
) -> None:
    bot = DiscordTransport(
        token=TOKEN,
        api_base=sharded.api_base,
        db=db,
        commands=use_cases,
        dev_guild=int(GUILD),
    )
    try:
        await bot.start()
        await until(lambda: bool(sharded.calls("PUT")))
        [put] = sharded.calls("PUT")
        assert put.path.endswith(f"/guilds/{GUILD}/commands")
    finally:
        await bot.stop()


def test_dev_guild_id_comes_from_the_environment_and_is_checked() -> None:
    assert dev_guild_from_env({}) is None
    assert dev_guild_from_env({"DISCORD_DEV_GUILD_ID": f" {GUILD} "}) == int(GUILD)
    with pytest.raises(ConfigError, match="DISCORD_DEV_GUILD_ID: expected a Discord server id"):
        dev_guild_from_env({"DISCORD_DEV_GUILD_ID": "my-server"})
