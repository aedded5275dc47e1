"""Interaction payloads as Discord sends them, for dispatching through the real CommandTree."""

from __future__ import annotations

import itertools
from typing import Any

import discord

from tests.support.discord_api import APP_ID

GUILD = "1000000000000000001"
HERE = "2000000000000000001"  # the channel commands are run in
OTHER = "2000000000000000002"  # a channel picked in the `channel` option
ROLE = "3000000000000000001"  # a role picked in the `mention` option
MANAGER_ROLE = "3000000000000000002"  # named in [discord] manager_roles
COMMAND_ID = "4000000000000000001"
MANAGE = discord.Permissions(view_channel=True, send_messages=True, manage_channels=True)
MEMBER = discord.Permissions(view_channel=True, send_messages=True)
BOT_CAN_POST = discord.Permissions(view_channel=True, send_messages=True, embed_links=True)
EPHEMERAL = 64
_ids = itertools.count(5_000_000_000_000_000_001)


def option(name: str, value: object) -> dict[str, Any]:
    """A filled-in option: strings, integers, channels (7) and roles (8) by their Python type."""
    kinds = {str: 3, int: 4}
    return {"name": name, "type": kinds.get(type(value), 3), "value": value}


def channel_option(channel: str, name: str, rights: discord.Permissions) -> dict[str, Any]:
    """The `channel` option and its resolved data (with the caller's rights in that channel)."""
    resolved = {"id": channel, "name": name, "type": 0, "permissions": str(rights.value)}
    return {"name": "channel", "type": 7, "value": channel, "_resolved": ("channels", resolved)}


def role_option(role: str, name: str = "news-pings") -> dict[str, Any]:
    """The `mention` option and its resolved role."""
    resolved = {
        "id": role,
        "name": name,
        "permissions": "0",
        "position": 1,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": True,
    }
    return {"name": "mention", "type": 8, "value": role, "_resolved": ("roles", resolved)}


def interaction_payload(
    subcommand: str,
    *options: dict[str, Any],
    rights: discord.Permissions = MEMBER,
    roles: tuple[str, ...] = (),
    bot_rights: discord.Permissions = BOT_CAN_POST,
    user: tuple[str, str] = ("6000000000000000001", "Ada"),
    autocomplete: bool = False,
) -> dict[str, Any]:
    """/westminster SUBCOMMAND in channel HERE of GUILD, by a member with these rights and roles."""
    resolved: dict[str, dict[str, Any]] = {}
    plain = []
    for opt in options:
        if "_resolved" in opt:
            kind, data = opt["_resolved"]
            resolved.setdefault(kind, {})[data["id"]] = data
        plain.append({k: v for k, v in opt.items() if k != "_resolved"})
    user_id, name = user
    return {
        "id": str(next(_ids)),
        "application_id": APP_ID,
        "type": 4 if autocomplete else 2,
        "token": f"interaction-token-{next(_ids)}",
        "version": 1,
        "guild_id": GUILD,
        "channel_id": HERE,
        "channel": {"id": HERE, "type": 0, "name": "politics", "guild_id": GUILD, "position": 0},
        "member": {
            "user": {
                "id": user_id,
                "username": name.lower(),
                "global_name": name,
                "avatar": None,
                "discriminator": "0",
            },
            "roles": list(roles),
            "permissions": str(rights.value),
            "joined_at": "2024-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
        },
        "app_permissions": str(bot_rights.value),
        "locale": "en-GB",
        "guild_locale": "en-GB",
        "attachment_size_limit": 8_000_000,
        "entitlements": [],
        "authorizing_integration_owners": {"0": GUILD},
        "context": 0,
        "data": {
            "id": COMMAND_ID,
            "name": "westminster",
            "type": 1,
            "options": [{"name": subcommand, "type": 1, "options": plain}],
            "resolved": resolved,
        },
    }


def group_payload(
    group: str, subcommand: str, *options: dict[str, Any], **kwargs: Any
) -> dict[str, Any]:
    """/westminster GROUP SUBCOMMAND (a subcommand group such as `settings quiet`)."""
    payload = interaction_payload(subcommand, *options, **kwargs)
    inner = payload["data"]["options"]
    payload["data"]["options"] = [{"name": group, "type": 2, "options": inner}]
    return payload
