"""[discord] shard_ids / shard_count: each replica connects its own shards; the one running shard
0 registers the slash commands, and a command is answered by whichever replica receives it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.commands import Commands
from bot.config import load_settings
from bot.store.connection import Database
from bot.transports.base import TransportContext
from bot.transports.discord.transport import DiscordTransport, build
from tests.support.discord_api import TOKEN, DiscordAPI
from tests.transports.discord.payloads import GUILD, HERE, MANAGE, interaction_payload

# Discord puts a guild on shard (id >> 22) % shard_count: GUILD is on shard 1 of 2, EVEN on 0.
EVEN_GUILD = str(int(GUILD) + (1 << 22))
EVEN_CHANNEL = "2200000000000000001"
SKIP_LINE = "discord: not registering slash commands: this replica runs shard(s) 1"


async def until(condition: Callable[[], bool]) -> None:
    """Wait for a condition the bot reaches asynchronously; fail after a generous bound."""
    async with asyncio.timeout(15):
        while not condition():  # noqa: ASYNC110 - the bot offers no event to wait on
            await asyncio.sleep(0.02)


@pytest.fixture
async def gateway(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[DiscordAPI]:
    # The client points discord.py's class-wide default gateway at the stand-in: put it back.
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", DiscordWebSocket.DEFAULT_GATEWAY)
    # /gateway/bot advises one shard: the configured shard_count must win over it.
    async with DiscordAPI(shards=1) as server:
        server.gateway.add_guild(GUILD, {HERE: "politics"})
        server.gateway.add_guild(EVEN_GUILD, {EVEN_CHANNEL: "general"})
        yield server


@pytest.fixture
def replica(
    gateway: DiscordAPI, db: Database, use_cases: Commands
) -> Callable[[tuple[int, ...]], DiscordTransport]:
    def make(shard_ids: tuple[int, ...]) -> DiscordTransport:
        return DiscordTransport(
            token=TOKEN,
            api_base=gateway.api_base,
            db=db,
            commands=use_cases,
            shard_ids=shard_ids,
            shard_count=2,
        )

    return make


def guild_ids(bot: DiscordTransport) -> set[str]:
    return {str(guild.id) for guild in bot.client.guilds}


@pytest.mark.parametrize(
    ("shard", "guilds", "syncs"),
    [(0, {EVEN_GUILD}, 1), (1, {GUILD}, 0)],
    ids=["shard 0 registers", "shard 1 does not"],
)
async def test_a_replica_identifies_with_its_shard_and_only_shard_0_registers_commands(
    gateway: DiscordAPI,
    replica: Callable[[tuple[int, ...]], DiscordTransport],
    caplog: pytest.LogCaptureFixture,
    shard: int,
    guilds: set[str],
    syncs: int,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.transports.discord")
    bot = replica((shard,))
    try:
        await bot.start()
        await until(lambda: bot.connected)
        assert [i["shard"] for i in gateway.gateway.identified] == [[shard, 2]]
        assert guild_ids(bot) == guilds  # only the guilds Discord puts on that shard
        # Commands are registered before the gateway connects, so by now it is settled.
        assert len(gateway.calls("PUT")) == syncs
        skipped = [r.getMessage() for r in caplog.records if "not registering" in r.getMessage()]
        assert skipped == (
            [] if syncs else [f"{SKIP_LINE}, and the one running shard 0 registers them"]
        )
    finally:
        await bot.stop()


async def test_two_replicas_share_the_shards_and_each_answers_the_commands_it_receives(
    gateway: DiscordAPI, replica: Callable[[tuple[int, ...]], DiscordTransport]
) -> None:
    first, second = replica((0,)), replica((1,))
    try:
        await asyncio.gather(first.start(), second.start())
        await until(lambda: first.connected and second.connected)
        assert sorted(i["shard"] for i in gateway.gateway.identified) == [[0, 2], [1, 2]]
        assert [c.path for c in gateway.calls("PUT")] == [
            f"/applications/{gateway.gateway.app_id}/commands"
        ]
        assert [g["name"] for g in gateway.synced()] == ["westminster"]
        assert (guild_ids(first), guild_ids(second)) == ({EVEN_GUILD}, {GUILD})

        # The gateway sends each command to the shard that owns its guild: both are answered.
        await gateway.gateway.dispatch(
            "INTERACTION_CREATE", interaction_payload("categories", rights=MANAGE)
        )
        await gateway.gateway.dispatch("INTERACTION_CREATE", in_even_guild("categories"))
        await until(lambda: len(gateway.responses()) == 2)
        assert all("Defection" in response["content"] for response in gateway.responses())
    finally:
        await asyncio.gather(first.stop(), second.stop())


def in_even_guild(subcommand: str) -> dict[str, Any]:
    """The same command, run in EVEN_GUILD's channel."""
    payload = interaction_payload(subcommand, rights=MANAGE)
    payload["guild_id"] = EVEN_GUILD
    payload["channel_id"] = EVEN_CHANNEL
    payload["channel"] = {**payload["channel"], "id": EVEN_CHANNEL, "guild_id": EVEN_GUILD}
    payload["authorizing_integration_owners"] = {"0": EVEN_GUILD}
    return payload


async def test_the_run_builds_its_client_with_the_configured_shards(
    tmp_path: Path, db: Database, use_cases: Commands, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISCORD_DEV_GUILD_ID", raising=False)
    monkeypatch.setattr(Route, "BASE", Route.BASE)  # build() points it at the configured API
    config = tmp_path / "conf.toml"
    config.write_text("[discord]\nshard_ids = [1]\nshard_count = 2\n", encoding="utf-8")
    settings = load_settings(config, env={"DISCORD_TOKEN": TOKEN, "DIVISION_BELL_DATA": "/x"})
    bot = build(TransportContext(settings, db, use_cases, lambda: datetime.now(UTC)))
    assert isinstance(bot, DiscordTransport)
    assert (bot.client.shard_ids, bot.client.shard_count) == ([1], 2)
    await bot.stop()
