"""What every /westminster command shares: answering with a Reply, and working only in servers."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.commands import Reply
from bot.transports.discord.render import render_reply


async def answer(interaction: discord.Interaction[Any], reply: Reply) -> None:
    """Send a Reply: the first message as the response, any overflow as follow-ups."""
    chunks = render_reply(reply)
    if not interaction.response.is_done():
        await interaction.response.send_message(chunks[0], ephemeral=reply.ephemeral)
        chunks = chunks[1:]
    for chunk in chunks:
        await interaction.followup.send(chunk, ephemeral=reply.ephemeral)


class ServerGroup(app_commands.Group):
    """A command group that works only in servers: a subscription or setting belongs to one.

    A subcommand group needs its own check: discord.py asks only the group a command is bound
    to, not the group above it.
    """

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Servers only: Discord enforces it too, but a channel's settings need a server."""
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage
        return True
