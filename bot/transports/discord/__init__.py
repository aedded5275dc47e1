"""Discord bot transport: /westminster slash commands and alerts posted by the bot.

`build(context)` is what bot.app calls when DISCORD_TOKEN is set. Modules: client (discord.py
client and clean-up events), slash (the command group), access (callers and permissions),
render (replies as Discord text), sender (alerts over REST), transport (lifecycle).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from bot.errors import ConfigError
from bot.transports.base import Transport, TransportContext
from bot.transports.discord.transport import DiscordTransport

__all__ = ["DiscordTransport", "build", "dev_guild_from_env"]

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
