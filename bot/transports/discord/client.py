"""The discord.py client: sharded, no privileged intents, no pings by default, tidy on removal."""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

import discord
from discord.gateway import DiscordWebSocket
from discord.http import Route
from yarl import URL

from bot.commands import Commands
from bot.domain import DestinationKey
from bot.store import destinations as dest_store
from bot.store.sql import Store
from bot.transports.discord.slash import Westminster, WestminsterTree

log = logging.getLogger(__name__)

KIND = "discord"
RATELIMIT_WAIT_MAX_S = 30.0  # longer 429 waits raise, and the outbox retries later instead


def configure_api(api_base: str) -> None:
    """Point every discord.py REST call (messages, interactions, /gateway/bot) at api_base.

    Route.BASE is class-wide in discord.py: one process talks to one Discord API.
    """
    Route.BASE = api_base.rstrip("/")


def intents() -> discord.Intents:
    """Guild events only (joins, removals, channel deletes): nothing privileged."""
    chosen = discord.Intents.none()
    chosen.guilds = True
    return chosen


def _sharding(shard_ids: tuple[int, ...] | None, shard_count: int | None) -> dict[str, Any]:
    # Left out when not configured: discord.py then shards automatically, as /gateway/bot says.
    if shard_ids is None:
        return {}
    return {"shard_ids": list(shard_ids), "shard_count": shard_count}


class DivisionBellClient(discord.AutoShardedClient):
    """One shard for a small bot; more when /gateway/bot says so (from 2,500 guilds). With
    `shard_ids` and `shard_count`, only those shards: replicas then share the bot's shards."""

    def __init__(
        self,
        db: Store,
        use_cases: Commands,
        manager_roles: Collection[int],
        *,
        shard_ids: tuple[int, ...] | None = None,
        shard_count: int | None = None,
    ) -> None:
        # The bot never joins voice: discord.py's warnings about missing voice libraries are noise.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        super().__init__(
            intents=intents(),
            # Every send pings nobody unless it opts in (a subscription's role, exactly).
            allowed_mentions=discord.AllowedMentions.none(),
            max_ratelimit_timeout=RATELIMIT_WAIT_MAX_S,
            **_sharding(shard_ids, shard_count),
        )
        self.db = db
        self.tree = WestminsterTree(self)
        self.tree.add_command(Westminster(use_cases, manager_roles))

    async def sync_commands(self, dev_guild: int | None) -> None:
        """Register /westminster globally, or in one guild at once for development."""
        if dev_guild is None:
            synced = await self.tree.sync()
            log.info("discord: %d slash command(s) synced globally", len(synced))
            return
        guild = discord.Object(dev_guild)
        self.tree.copy_global_to(guild=guild)
        synced = await self.tree.sync(guild=guild)
        log.info("discord: %d slash command(s) synced to guild %s", len(synced), dev_guild)

    async def launch_shards(self) -> None:
        """Connect this process's shards, through the gateway the configured API names."""
        if self.shard_ids is not None and not self.is_closed():
            # Given a shard_count, discord.py skips /gateway/bot and dials Discord's default
            # gateway; asking the configured api_base (as automatic sharding does) keeps a proxy
            # in the path. Class-wide like Route.BASE: one process talks to one Discord.
            _recommended, url, _limits = await self.http.get_bot_gateway()
            DiscordWebSocket.DEFAULT_GATEWAY = URL(url)
        await super().launch_shards()

    async def on_ready(self) -> None:
        """Log how far the bot reaches once every shard is connected."""
        if self.shard_ids is None:
            shards = f"{self.shard_count or 1} shard(s)"
        else:
            listed = ", ".join(map(str, self.shard_ids))
            shards = f"shard(s) {listed} of {self.shard_count}"
        reach = f"{len(self.guilds)} server(s), {shards}"
        log.info("discord: connected as %s in %s", self.user, reach)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Removed from a server (kicked, or the server deleted): forget its subscriptions."""
        async with self.db.transaction() as conn:
            dropped = await dest_store.remove_scope(conn, KIND, str(guild.id))
        log.info("discord: removed from server %s; dropped %d channel(s)", guild.id, dropped)

    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        """A channel was deleted: its subscriptions and queued alerts go with it."""
        async with self.db.transaction() as conn:
            removed = await dest_store.remove_destination(
                conn, DestinationKey.chat(KIND, str(channel.guild.id), str(channel.id))
            )
        if removed:
            log.info("discord: channel %s deleted; its subscriptions removed", channel.id)

    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        """A thread that was subscribed (by running subscribe inside it) was deleted."""
        async with self.db.transaction() as conn:
            removed = await dest_store.remove_destination(
                conn, DestinationKey.chat(KIND, str(payload.guild_id), str(payload.thread_id))
            )
        if removed:
            log.info("discord: thread %s deleted; its subscriptions removed", payload.thread_id)
