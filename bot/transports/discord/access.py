"""Who is calling and which channel they mean: an Interaction → the neutral Caller and Channel.

Everything comes from the interaction payload itself (member permissions, role ids, resolved
channel permissions), so it works without the gateway's caches.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from typing import Any

import discord
from discord import app_commands

from bot.commands import Caller, Channel

log = logging.getLogger(__name__)

# Channels a bot can post embeds to: text and announcement channels.
POSTABLE = [discord.ChannelType.text, discord.ChannelType.news]


def parse_roles(values: Iterable[str]) -> frozenset[int]:
    """Role ids from `[discord] manager_roles`; anything that is not an id is logged and ignored."""
    found: set[int] = set()
    for value in values:
        if value.strip().isdigit():
            found.add(int(value))
        else:
            log.warning("[discord] manager_roles: %r is not a role id; ignored", value)
    return frozenset(found)


class TargetChannel(app_commands.Transformer):
    """A channel option limited to text and announcement channels, kept as the resolved data.

    discord.TextChannel would need the gateway's channel cache; the resolved AppCommandChannel
    carries the name and, what matters here, the caller's permissions in that channel.
    """

    @property
    def type(self) -> discord.AppCommandOptionType:
        """Discord offers a channel picker."""
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        """Only channels the bot can post alerts in."""
        return POSTABLE

    async def transform(self, interaction: discord.Interaction[Any], value: Any, /) -> Any:
        """Accept the resolved channel as it is."""
        if not isinstance(value, app_commands.AppCommandChannel):
            raise app_commands.TransformerError(value, self.type, self)
        return value


def role_ids(user: discord.User | discord.Member) -> frozenset[int]:
    """The caller's role ids as the interaction gave them."""
    if not isinstance(user, discord.Member):
        return frozenset()
    # Member.roles lists only roles found in the guild cache; the payload's ids are complete.
    return frozenset(user._roles)


def target_channel(
    interaction: discord.Interaction[Any], chosen: app_commands.AppCommandChannel | None
) -> tuple[Channel, discord.Permissions]:
    """The channel a command acts on (the chosen one, else this one) and the caller's rights."""
    if chosen is not None:
        return Channel(str(chosen.id), f"#{chosen.name}"), chosen.permissions
    here = interaction.channel
    name = getattr(here, "name", None)
    channel_id = str(interaction.channel_id or "")
    label = f"#{name}" if name else f"channel {channel_id}"
    # Interaction.permissions are the caller's permissions in the channel the command ran in.
    return Channel(channel_id, label), interaction.permissions


def make_caller(
    interaction: discord.Interaction[Any],
    rights: discord.Permissions | None,
    manager_roles: Collection[int],
) -> Caller:
    """The neutral Caller; may manage when they have Manage Channels there or a manager role."""
    user = interaction.user
    can_manage = bool(rights is not None and rights.manage_channels)
    if not can_manage and manager_roles:
        can_manage = bool(role_ids(user) & set(manager_roles))
    return Caller(
        platform="discord",
        scope=str(interaction.guild_id or ""),
        user=str(user.id),
        user_label=user.display_name,
        can_manage=can_manage,
    )


def bot_cannot_post(interaction: discord.Interaction[Any]) -> str | None:
    """What the bot lacks to post alerts in the channel the command ran in, if anything."""
    rights = interaction.app_permissions
    missing = [
        name
        for name, ok in (
            ("View Channel", rights.view_channel),
            ("Send Messages", rights.send_messages),
            ("Embed Links", rights.embed_links),
        )
        if not ok
    ]
    return ", ".join(missing) if missing else None
