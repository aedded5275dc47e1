"""The /westminster slash-command group: Discord options in, bot.commands use cases, replies out.

Guild-only and with no default_member_permissions: that would apply to the whole group and hide
the read-only subcommands from members. Who may change things is decided by bot.commands; this
module only works out, from the interaction, whether the caller can manage the channel.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from typing import Any

import discord
from discord import app_commands

from bot.channel_settings import ChannelSettings
from bot.channel_watch import ChannelWatch
from bot.commands import REFUSAL, Commands, Reply
from bot.delivery.messages import Message
from bot.domain import CategoryInfo, Destination
from bot.transports.discord.access import (
    TargetChannel,
    bot_cannot_post,
    make_caller,
    target_channel,
)
from bot.transports.discord.control import Settings, Watch
from bot.transports.discord.interaction import answer
from bot.transports.discord.sender import post

log = logging.getLogger(__name__)

GROUP = "westminster"
# What a failed test post adds: the three permissions an alert needs in a channel.
POST_ADVICE = "I need View Channel, Send Messages and Embed Links there."
Target = app_commands.Transform[app_commands.AppCommandChannel, TargetChannel]
Count = app_commands.Range[int, 1, 10]
_CHOICES_MAX = 25  # Discord shows at most 25 autocomplete choices
# The `updates` modes as Discord lists them: the value is what bot.commands takes.
UPDATES_CHOICES = [
    app_commands.Choice(name="edit: update the alert in place (default)", value="edit"),
    app_commands.Choice(name="thread: reply in a thread under the alert", value="thread"),
    app_commands.Choice(name="off: one alert per event, no updates", value="off"),
]


def category_choices(
    categories: Mapping[str, CategoryInfo], current: str
) -> list[app_commands.Choice[str]]:
    """Autocomplete: 'all' and the categories whose name or label contains what was typed."""
    needle = current.strip().lower()
    choices = [app_commands.Choice(name="All categories", value="all")]
    choices += [
        app_commands.Choice(name=f"{c.emoji} {c.label}"[:100], value=c.name)
        for c in categories.values()
    ]
    return [c for c in choices if needle in c.name.lower() or needle in c.value][:_CHOICES_MAX]


class Westminster(app_commands.Group):
    """/westminster: subscribe a channel to Westminster alerts and inspect them."""

    def __init__(self, use_cases: Commands, manager_roles: Collection[int]) -> None:
        super().__init__(
            name=GROUP,
            description="Westminster alerts: defections, no-confidence letters, PMQs, inquiries",
            guild_only=True,
            allowed_contexts=app_commands.AppCommandContext(guild=True),
            allowed_installs=app_commands.AppInstallationType(guild=True),
        )
        self.use_cases = use_cases
        self.manager_roles = frozenset(manager_roles)
        settings = ChannelSettings(use_cases)
        self.watching = ChannelWatch(settings)
        self.add_command(Settings(settings, self.manager_roles))
        self.add_command(Watch(self.watching, self.manager_roles))

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Servers only: Discord enforces it too, but a subscription needs a server to belong to."""
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage
        return True

    def _choices(self, current: str) -> list[app_commands.Choice[str]]:
        return category_choices(self.use_cases.categories, current)

    @app_commands.command(description="Send one category (or all) of alerts to a channel")
    @app_commands.describe(
        category="Which alerts (default: all of them)",
        channel="Where to post them (default: this channel)",
        mention="A role to ping with each of these alerts (default: none)",
        recent="Also post the last 24 hours' alerts in these categories (default: no)",
    )
    async def subscribe(
        self,
        interaction: discord.Interaction[Any],
        category: str | None = None,
        channel: Target | None = None,
        mention: discord.Role | None = None,
        recent: bool = False,
    ) -> None:
        """Subscribe a channel; only people who may manage it."""
        target, rights = target_channel(interaction, channel)
        caller = make_caller(interaction, rights, self.manager_roles)
        if caller.can_manage and mention is not None and mention.is_default():
            await answer(
                interaction, Reply.text("Pick a role to mention, not @everyone.", ok=False)
            )
            return
        role = str(mention.id) if mention is not None else None
        reply = await self.use_cases.subscribe(caller, target, category, role, recent=recent)
        missing = bot_cannot_post(interaction) if reply.ok and channel is None else None
        if missing:
            note = f"Note: I can't post alerts here yet. Please give me {missing} in this channel."
            reply = Reply((*reply.lines, (note,)), ephemeral=reply.ephemeral, ok=reply.ok)
        await answer(interaction, reply)

    @subscribe.autocomplete("category")
    async def _subscribe_category(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return self._choices(current)

    @app_commands.command(description="Stop one category (or all) of alerts in a channel")
    @app_commands.describe(
        category="Which alerts to stop (default: all of them)",
        channel="Which channel (default: this channel)",
    )
    async def unsubscribe(
        self,
        interaction: discord.Interaction[Any],
        category: str | None = None,
        channel: Target | None = None,
    ) -> None:
        """Unsubscribe a channel; only people who may manage it."""
        target, rights = target_channel(interaction, channel)
        caller = make_caller(interaction, rights, self.manager_roles)
        await answer(interaction, await self.use_cases.unsubscribe(caller, target, category))

    @unsubscribe.autocomplete("category")
    async def _unsubscribe_category(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return self._choices(current)

    @app_commands.command(description="What later reports of an event already alerted do here")
    @app_commands.describe(
        mode="Edit the alert, reply in a thread under it, or nothing",
        channel="Which channel (default: this channel)",
    )
    @app_commands.choices(mode=UPDATES_CHOICES)
    async def updates(
        self,
        interaction: discord.Interaction[Any],
        mode: app_commands.Choice[str],
        channel: Target | None = None,
    ) -> None:
        """Set a subscribed channel's updates mode; only people who may manage it."""
        target, rights = target_channel(interaction, channel)
        caller = make_caller(interaction, rights, self.manager_roles)
        reply = await self.use_cases.set_updates(caller, target, mode.value)
        missing = _cannot_thread(interaction) if mode.value == "thread" and reply.ok else None
        if missing and channel is None:
            note = f"Note: to reply in threads here I need {missing} in this channel."
            reply = Reply((*reply.lines, (note,)), ephemeral=reply.ephemeral, ok=reply.ok)
        await answer(interaction, reply)

    @app_commands.command(name="list", description="This server's alert subscriptions")
    async def list_(self, interaction: discord.Interaction[Any]) -> None:
        """Every subscription in this server, with who made it and when."""
        caller = make_caller(interaction, None, ())
        await answer(interaction, await self.use_cases.list(caller))

    @app_commands.command(description="The alert categories and what each one means")
    async def categories(self, interaction: discord.Interaction[Any]) -> None:
        """Names, emoji and one-line definitions."""
        await answer(interaction, self.use_cases.categories_reply())

    @app_commands.command(description="The latest events: reports, outlets, last update")
    @app_commands.describe(category="Only this category", count="How many (1 to 10, default 5)")
    async def latest(
        self, interaction: discord.Interaction[Any], category: str | None = None, count: Count = 5
    ) -> None:
        """The latest events from the database."""
        await answer(interaction, await self.use_cases.latest(category, count))

    @latest.autocomplete("category")
    async def _latest_category(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return self._choices(current)

    @app_commands.command(description="Feed health, paused subscriptions and alerts waiting")
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        """Feeds, this server's paused subscriptions, outbox depth."""
        caller = make_caller(interaction, None, ())
        await answer(interaction, await self.use_cases.status(caller))

    @app_commands.command(description="Did this article alert, and why (or why not)?")
    @app_commands.describe(url="The article's link")
    async def why(
        self, interaction: discord.Interaction[Any], url: app_commands.Range[str, 1, 2000]
    ) -> None:
        """Explain the decision about one article."""
        await answer(interaction, await self.use_cases.why(url))

    @app_commands.command(description="Post a sample alert here, to check permissions and looks")
    async def test(self, interaction: discord.Interaction[Any]) -> None:
        """A harmless sample alert in this channel; only people who may manage it."""
        target, rights = target_channel(interaction, None)
        caller = make_caller(interaction, rights, self.manager_roles)

        async def send(destination: Destination, message: Message) -> str | None:
            # Posting may outlast Discord's 3 s to answer: say "thinking…" first.
            await interaction.response.defer(ephemeral=True, thinking=True)
            # No fixed nonce: each test is a new message, even twice in a minute.
            channel = int(destination.channel)
            sent = await post(
                interaction.client, channel, message, label=destination.label, nonce=None
            )
            return None if sent is None else str(sent.id)

        reply = await self.use_cases.test(caller, target, send, advice=POST_ADVICE)
        await answer(interaction, reply)

    @app_commands.command(description="Hold a channel's alerts for a while; they come as one after")
    @app_commands.describe(
        duration="How long, like 30m, 2h or 1d (at most 30 days)",
        channel="Which channel (default: this channel)",
    )
    async def mute(
        self,
        interaction: discord.Interaction[Any],
        duration: app_commands.Range[str, 1, 20],
        channel: Target | None = None,
    ) -> None:
        """Mute a channel; only people who may manage it."""
        target, rights = target_channel(interaction, channel)
        caller = make_caller(interaction, rights, self.manager_roles)
        await answer(interaction, await self.watching.mute(caller, target, duration))

    @app_commands.command(description="End a channel's mute now")
    @app_commands.describe(channel="Which channel (default: this channel)")
    async def unmute(
        self, interaction: discord.Interaction[Any], channel: Target | None = None
    ) -> None:
        """Unmute a channel; only people who may manage it."""
        target, rights = target_channel(interaction, channel)
        caller = make_caller(interaction, rights, self.manager_roles)
        await answer(interaction, await self.watching.unmute(caller, target))


def _cannot_thread(interaction: discord.Interaction[Any]) -> str | None:
    """What the bot lacks to start a thread under its alert and reply in it, if anything."""
    rights = interaction.app_permissions
    needs = (
        ("Create Public Threads", rights.create_public_threads),
        ("Send Messages in Threads", rights.send_messages_in_threads),
    )
    missing = [name for name, ok in needs if not ok]
    return " and ".join(missing) if missing else None


def error_text(error: app_commands.AppCommandError) -> str:
    """A plain sentence for a command that failed; never a traceback."""
    if isinstance(error, app_commands.TransformerError | app_commands.CommandSignatureMismatch):
        return "I couldn't use one of those options. Please pick it from the list and try again."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "These commands work only in a server."
    if isinstance(error, app_commands.CheckFailure):
        return REFUSAL
    return "Sorry, something went wrong on my side. It has been logged; please try again later."


class WestminsterTree(app_commands.CommandTree[Any]):
    """The command tree; failures are logged once and answered with a plain sentence."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError, /
    ) -> None:
        """Log the failure (with traceback only for our own bugs) and tell the caller plainly."""
        name = interaction.command.qualified_name if interaction.command else "?"
        if isinstance(error, app_commands.CommandInvokeError):
            log.error("/%s failed", name, exc_info=error.original)
        else:
            log.info("/%s refused: %s", name, error)
        try:
            await answer(interaction, Reply.text(error_text(error), ok=False))
        except discord.HTTPException as exc:  # the interaction may have expired meanwhile
            log.warning("/%s: could not send the error reply: %s", name, exc)
