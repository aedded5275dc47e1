"""The Discord transport's lifecycle: REST-only login for `poll`, login + gateway for `run`.

A refused token is not a crash: the transport says so once, at ERROR, reports itself down for
/healthz, and its sender keeps alerts queued (retryable) until the token is fixed.
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
from bot.delivery.deliver import Sender
from bot.errors import ConfigError
from bot.store.connection import Database
from bot.transports.base import Transport, TransportContext
from bot.transports.discord.access import parse_roles
from bot.transports.discord.client import DivisionBellClient, configure_api
from bot.transports.discord.sender import DiscordSender

log = logging.getLogger(__name__)

LOGIN_TIMEOUT_S = 30.0
LOGIN_RETRY_MIN_S = 5.0
LOGIN_RETRY_MAX_S = 300.0
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
        db: Database,
        commands: Commands,
        manager_roles: tuple[str, ...] = (),
        dev_guild: int | None = None,
    ) -> None:
        configure_api(api_base)
        self._token = token
        self._dev_guild = dev_guild
        self.client = DivisionBellClient(db, commands, parse_roles(manager_roles))
        self.sender: Sender = DiscordSender(self.client, self.rest_problem, self._token_refused)
        self._logged_in = False
        self._attempted = False  # login ran at least once, so the client has loop-bound state
        self._fatal: str | None = None  # set once; never cleared without a restart
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def rest_problem(self) -> str | None:
        """Why the bot cannot post right now, or None when it can."""
        if self._fatal is not None:
            return f"Discord bot is down: {self._fatal}"
        if not self._logged_in:
            return "Discord bot is not logged in"
        return None

    @property
    def connected(self) -> bool:
        """Logged in, every shard's gateway open and ready."""
        client = self.client
        return (
            self._fatal is None
            and self._logged_in
            and client.is_ready()
            and not client.is_closed()
            and all(not shard.is_closed() for shard in client.shards.values())
        )

    def _down(self, reason: str) -> None:
        # The one loud line: the rest of the service keeps running without Discord.
        self._fatal = reason
        log.error(
            "discord: %s; the Discord bot is down and alerts for Discord channels stay queued "
            "until this is fixed and the service restarted",
            reason,
        )

    def _token_refused(self) -> None:
        if self._fatal is None:
            self._down("the bot token (DISCORD_TOKEN) was refused by Discord")

    async def _login(self) -> bool:
        """One login attempt: True on success; a refused token marks the transport down."""
        self._attempted = True
        try:
            async with asyncio.timeout(LOGIN_TIMEOUT_S):
                await self.client.login(self._token)
        except discord.LoginFailure:
            self._down("the bot token (DISCORD_TOKEN) was refused by Discord")
            return False
        except (*_TRANSIENT, TimeoutError) as exc:
            log.warning("discord: could not log in (%s: %s)", type(exc).__name__, exc)
            return False
        self._logged_in = True
        log.info("discord: logged in as %s", self.client.user)
        return True

    async def open_rest(self) -> None:
        """Log in over REST only (what `poll` needs): no gateway, no command sync."""
        if not self._logged_in and self._fatal is None:
            await self._login()

    async def start(self) -> None:
        """Log in, then sync commands and hold the gateway open in a background task."""
        if self._task is not None or self._fatal is not None:
            return
        if not self._logged_in:
            await self._login()
        if self._fatal is None:
            self._task = asyncio.create_task(self._serve(), name="discord-gateway")

    async def _serve(self) -> None:
        delay = LOGIN_RETRY_MIN_S
        while not self._logged_in:
            # Discord unreachable at start-up: keep trying; the rest of the service runs.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=delay)
            if self._stopping.is_set():
                return
            delay = min(delay * 2, LOGIN_RETRY_MAX_S)
            # static_login opens a fresh session on the connector each time: close the failed
            # one first, and let discord.py make a new connector (closing the session closed it).
            await self.client.http.close()
            self.client.http.connector = discord.utils.MISSING
            if not await self._login() and self._fatal is not None:
                return
        try:
            await self.client.sync_commands(self._dev_guild)
        except _TRANSIENT as exc:
            log.error("discord: could not register slash commands: %s", exc)
        try:
            await self.client.connect(reconnect=True)
        except asyncio.CancelledError:
            raise
        except discord.PrivilegedIntentsRequired:
            self._down("Discord refused the gateway intents")
        except Exception as exc:  # connect() already retried what can be retried
            if not self._stopping.is_set():
                self._down(f"gateway connection failed ({type(exc).__name__}: {exc})")

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
    )
