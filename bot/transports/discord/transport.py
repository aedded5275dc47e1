"""The Discord transport's lifecycle: REST-only login for `poll`, login + gateway for `run`.

A refused token is not a crash: the transport's health says so once, at ERROR, /healthz shows it
down, and its sender keeps alerts queued (retryable) until the token is fixed and the service
restarted (Discord never takes back a token it refused: a reset token is a new one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Mapping

import aiohttp
import discord

from bot.commands import Commands
from bot.config.types import registers_commands
from bot.delivery.deliver import Editor, Sender
from bot.errors import ConfigError
from bot.store.sql import Store
from bot.transports.base import Transport, TransportContext
from bot.transports.common import TransportHealth
from bot.transports.discord.access import parse_roles
from bot.transports.discord.client import DivisionBellClient, configure_api
from bot.transports.discord.editor import DiscordEditor
from bot.transports.discord.sender import LOGIN_REFUSED, SEND_TIMEOUT_S, DiscordSender

log = logging.getLogger(__name__)

LOGIN_TIMEOUT_S = 30.0
_TRANSIENT = (discord.HTTPException, discord.GatewayNotFound, aiohttp.ClientError, OSError)


class DiscordTransport:
    """The Discord bot: slash commands over the gateway, alerts over REST."""

    name: str = "discord"
    kinds: tuple[str, ...] = ("discord",)

    def __init__(
        self,
        *,
        token: str,
        api_base: str,
        db: Store,
        commands: Commands,
        manager_roles: tuple[str, ...] = (),
        dev_guild: int | None = None,
        send_timeout_s: float = SEND_TIMEOUT_S,
        shard_ids: tuple[int, ...] | None = None,
        shard_count: int | None = None,
    ) -> None:
        configure_api(api_base)
        self._token = token
        self._dev_guild = dev_guild
        self._registers_commands = registers_commands(shard_ids)
        self.health = TransportHealth(
            "Discord bot", log, remedy="Fix this, then restart the service."
        )
        self.client = DivisionBellClient(
            db,
            commands,
            parse_roles(manager_roles),
            shard_ids=shard_ids,
            shard_count=shard_count,
        )
        self.sender: Sender = DiscordSender(self.client, self.health, send_timeout_s=send_timeout_s)
        self.editor: Editor | None = DiscordEditor(
            self.client, self.health, send_timeout_s=send_timeout_s
        )
        self._attempted = False  # login ran at least once, so the client has loop-bound state
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @property
    def connected(self) -> bool:
        """Logged in, every shard's gateway open and ready."""
        client = self.client
        return (
            self.health.up
            and client.is_ready()
            and not client.is_closed()
            and all(not shard.is_closed() for shard in client.shards.values())
        )

    async def _login(self) -> bool:
        """One login attempt: True on success; a refused token marks the transport down."""
        self._attempted = True
        try:
            async with asyncio.timeout(LOGIN_TIMEOUT_S):
                await self.client.login(self._token)
        except discord.LoginFailure:
            self.health.mark_down(LOGIN_REFUSED)
            return False
        except (*_TRANSIENT, TimeoutError) as exc:
            log.warning("discord: could not log in (%s: %s)", type(exc).__name__, exc)
            return False
        self.health.mark_up()
        log.info("discord: logged in as %s", self.client.user)
        return True

    async def open_rest(self) -> None:
        """Log in over REST only (what `poll` needs): no gateway, no command sync."""
        if not self.health.signed_in and self.health.down_reason is None:
            await self._login()

    async def start(self) -> None:
        """Log in, then sync commands and hold the gateway open in a background task."""
        if self._task is not None or self.health.down_reason is not None:
            return
        if not self.health.signed_in:
            await self._login()
        if self.health.down_reason is None:
            self._task = asyncio.create_task(self._serve(), name="discord-gateway")

    async def _login_again(self) -> None:
        # static_login opens a fresh session on the connector each time: close the failed one
        # first, and let discord.py make a new connector (closing the session closed it).
        await self.client.http.close()
        self.client.http.connector = discord.utils.MISSING
        await self._login()

    async def _serve(self) -> None:
        # Discord unreachable at start-up: keep trying; the rest of the service runs.
        await self.health.sign_in_until_up(self._login_again)
        if not self.health.up:
            return
        await self._register_commands()
        try:
            await self.client.connect(reconnect=True)
        except asyncio.CancelledError:
            raise
        except discord.PrivilegedIntentsRequired:
            self.health.mark_down("Discord refused the gateway intents")
        except Exception as exc:  # connect() already retried what can be retried
            if not self._stopping.is_set():
                self.health.mark_down(f"gateway connection failed ({type(exc).__name__}: {exc})")

    async def _register_commands(self) -> None:
        if not self._registers_commands:
            # Discord keeps one set of commands per bot; the replica running shard 0 owns it.
            shards = ", ".join(map(str, self.client.shard_ids or ()))
            log.info(
                "discord: not registering slash commands: this replica runs shard(s) %s, and "
                "the one running shard 0 registers them",
                shards,
            )
            return
        try:
            await self.client.sync_commands(self._dev_guild)
        except _TRANSIENT as exc:
            log.error("discord: could not register slash commands: %s", exc)

    async def stop(self) -> None:
        """Close the gateway and REST session; safe twice and after a failed start."""
        self._stopping.set()
        task, self._task = self._task, None
        if task is not None:
            # Cancelled first: mid-connect, discord.py would otherwise retry a shard on the
            # closed session for a while before it noticed the client was closing.
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._attempted and not self.client.is_closed():
            await self.client.close()


DEV_GUILD_ENV = "DISCORD_DEV_GUILD_ID"


def dev_guild_from_env(env: Mapping[str, str] | None = None) -> int | None:
    """The server to sync commands to at once (development), from DISCORD_DEV_GUILD_ID."""
    value = (os.environ if env is None else env).get(DEV_GUILD_ENV, "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ConfigError(f"{DEV_GUILD_ENV}: expected a Discord server id (digits), got {value!r}")
    return int(value)


def build(context: TransportContext) -> Transport:
    """The Discord transport for this run (not connected yet)."""
    settings = context.settings
    token = settings.secrets.discord_token
    if not token:
        raise ConfigError("DISCORD_TOKEN is not set")
    return DiscordTransport(
        token=token,
        api_base=settings.discord.api_base,
        db=context.db,
        commands=context.commands,
        manager_roles=settings.discord.manager_roles,
        dev_guild=dev_guild_from_env(),
        shard_ids=settings.discord.shard_ids,
        shard_count=settings.discord.shard_count,
    )
