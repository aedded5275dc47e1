"""/westminster settings … and /westminster watch …: Discord options in, channel control out.

Two subcommand groups of /westminster. Discord cannot run a group by itself, so reading a
channel's settings is `/westminster settings show`. Who may change things is decided by the use
cases (bot.channel_settings, bot.channel_watch), as for subscribing.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from zoneinfo import available_timezones

import discord
from discord import app_commands

from bot.channel_settings import ChannelSettings
from bot.channel_watch import ChannelWatch
from bot.commands import Caller, Channel
from bot.control.settings import MAX_MIN_REPORTS
from bot.transports.discord.access import TargetChannel, make_caller, target_channel
from bot.transports.discord.interaction import ServerGroup, answer

Target = app_commands.Transform[app_commands.AppCommandChannel, TargetChannel]
Outlets = app_commands.Range[int, 1, MAX_MIN_REPORTS]
Choices = list[app_commands.Choice[str]]
CHOICES_MAX = 25  # Discord shows at most 25 autocomplete choices
CHANNEL = "Which channel (default: this channel)"
EXCEPT = "Categories that still alert at once, e.g. defection,pmqs (none: no exceptions)"
QUIET_EXAMPLES = ("off", "22:00-07:00", "23:00-07:00", "21:00-08:00")
DIGEST_EXAMPLES = ("off", "hourly", "08:00", "08:00,18:00", "07:00,12:00,18:00")
_ZONES: list[str] = []  # the IANA names, sorted once on first need


def examples(values: Collection[str], current: str) -> Choices:
    """Autocomplete: what was typed (when it is something) and the examples that contain it."""
    typed = current.strip()
    shown = [typed] if typed and typed not in values else []
    shown += [v for v in values if typed.lower() in v]
    return [app_commands.Choice(name=v[:100], value=v[:100]) for v in shown][:CHOICES_MAX]


def zone_choices(current: str) -> Choices:
    """Autocomplete: "default" and the IANA zones whose name contains what was typed."""
    if not _ZONES:
        _ZONES.extend(sorted(available_timezones()))
    needle = current.strip().lower().replace(" ", "_")
    found = [z for z in ("default", *_ZONES) if needle in z.lower()]
    found.sort(key=lambda zone: not zone.lower().split("/")[-1].startswith(needle))
    return [app_commands.Choice(name=z, value=z) for z in found[:CHOICES_MAX]]


def category_list_choices(categories: Collection[str], current: str, *, breaking: bool) -> Choices:
    """Autocomplete for a comma-separated category list: complete its last item."""
    done, _, last = current.rpartition(",")
    prefix = f"{done}," if done else ""
    names = [*categories, *(["breaking"] if breaking else []), *([] if done else ["none"])]
    chosen = {n.strip() for n in done.split(",")}
    found = [n for n in names if n.startswith(last.strip().lower()) and n not in chosen]
    return [app_commands.Choice(name=prefix + n, value=prefix + n) for n in found][:CHOICES_MAX]


class Settings(
    ServerGroup,
    name="settings",
    description="This channel's quiet hours, digest, noise floor and time zone",
):
    """/westminster settings show|quiet|digest|min-reports|timezone."""

    def __init__(self, use_cases: ChannelSettings, manager_roles: Collection[int]) -> None:
        super().__init__()
        self.use_cases = use_cases
        self.manager_roles = frozenset(manager_roles)

    def _for(
        self, interaction: discord.Interaction[Any], channel: app_commands.AppCommandChannel | None
    ) -> tuple[Caller, Channel]:
        target, rights = target_channel(interaction, channel)
        return make_caller(interaction, rights, self.manager_roles), target

    @app_commands.command(description="Show a channel's settings and what it has held")
    @app_commands.describe(channel=CHANNEL)
    async def show(
        self, interaction: discord.Interaction[Any], channel: Target | None = None
    ) -> None:
        """Every setting in words; anyone may read them."""
        caller, target = self._for(interaction, channel)
        await answer(interaction, await self.use_cases.show(caller, target))

    @app_commands.command(description="Hold alerts in these hours; they come as one message after")
    @app_commands.describe(hours="Like 22:00-07:00 (may span midnight), or off", channel=CHANNEL)
    @app_commands.describe(except_=EXCEPT)
    @app_commands.rename(except_="except")
    async def quiet(
        self,
        interaction: discord.Interaction[Any],
        hours: app_commands.Range[str, 1, 20],
        except_: app_commands.Range[str, 1, 200] | None = None,
        channel: Target | None = None,
    ) -> None:
        """Set or turn off quiet hours; only people who may manage the channel."""
        caller, target = self._for(interaction, channel)
        await answer(interaction, await self.use_cases.quiet(caller, target, hours, except_))

    @quiet.autocomplete("hours")
    async def _quiet_hours(self, _: discord.Interaction[Any], current: str) -> Choices:
        return examples(QUIET_EXAMPLES, current)

    @quiet.autocomplete("except_")
    async def _quiet_except(self, _: discord.Interaction[Any], current: str) -> Choices:
        categories = self.use_cases.commands.categories
        return category_list_choices(categories, current, breaking=False)

    @app_commands.command(description="One message per period listing its events, not one each")
    @app_commands.describe(
        when="off, hourly, or times like 08:00,18:00",
        except_=EXCEPT + "; breaking",
        channel=CHANNEL,
    )
    @app_commands.rename(except_="except")
    async def digest(
        self,
        interaction: discord.Interaction[Any],
        when: app_commands.Range[str, 1, 100],
        except_: app_commands.Range[str, 1, 200] | None = None,
        channel: Target | None = None,
    ) -> None:
        """Set or turn off the digest; only people who may manage the channel."""
        caller, target = self._for(interaction, channel)
        await answer(interaction, await self.use_cases.digest(caller, target, when, except_))

    @digest.autocomplete("when")
    async def _digest_when(self, _: discord.Interaction[Any], current: str) -> Choices:
        return examples(DIGEST_EXAMPLES, current)

    @digest.autocomplete("except_")
    async def _digest_except(self, _: discord.Interaction[Any], current: str) -> Choices:
        categories = self.use_cases.commands.categories
        return category_list_choices(categories, current, breaking=True)

    @app_commands.command(
        name="min-reports", description="Alert only once this many outlets report an event"
    )
    @app_commands.describe(outlets=f"1 (every event) to {MAX_MIN_REPORTS}", channel=CHANNEL)
    async def min_reports(
        self, interaction: discord.Interaction[Any], outlets: Outlets, channel: Target | None = None
    ) -> None:
        """Set the noise floor; only people who may manage the channel."""
        caller, target = self._for(interaction, channel)
        await answer(interaction, await self.use_cases.min_reports(caller, target, outlets))

    @app_commands.command(description="The time zone of this channel's quiet hours and digest")
    @app_commands.describe(zone="An Area/City like Europe/London, or default", channel=CHANNEL)
    async def timezone(
        self,
        interaction: discord.Interaction[Any],
        zone: app_commands.Range[str, 1, 60],
        channel: Target | None = None,
    ) -> None:
        """Set the channel's time zone; only people who may manage the channel."""
        caller, target = self._for(interaction, channel)
        await answer(interaction, await self.use_cases.timezone(caller, target, zone))

    @timezone.autocomplete("zone")
    async def _zone(self, _: discord.Interaction[Any], current: str) -> Choices:
        return zone_choices(current)


class Watch(
    ServerGroup,
    name="watch",
    description="People, parties or phrases that alert here whatever their category",
):
    """/westminster watch add|remove|list."""

    def __init__(self, use_cases: ChannelWatch, manager_roles: Collection[int]) -> None:
        super().__init__()
        self.use_cases = use_cases
        self.manager_roles = frozenset(manager_roles)

    def _for(
        self, interaction: discord.Interaction[Any], channel: app_commands.AppCommandChannel | None
    ) -> tuple[Caller, Channel]:
        target, rights = target_channel(interaction, channel)
        return make_caller(interaction, rights, self.manager_roles), target

    @app_commands.command(description="Alert here on headlines naming a person, party or phrase")
    @app_commands.describe(term="A person (pick from the list), party or phrase", channel=CHANNEL)
    async def add(
        self,
        interaction: discord.Interaction[Any],
        term: app_commands.Range[str, 2, 80],
        channel: Target | None = None,
    ) -> None:
        """Watch a term; only people who may manage the channel."""
        caller, target = self._for(interaction, channel)
        await answer(interaction, await self.use_cases.watch_add(caller, target, term))

    @add.autocomplete("term")
    async def _add_term(self, _: discord.Interaction[Any], current: str) -> Choices:
        return [
            app_commands.Choice(name=shown[:100], value=term[:100])
            for shown, term in self.use_cases.suggestions(current)
        ]

    @app_commands.command(description="Stop watching a person, party or phrase")
    @app_commands.describe(term="What to stop watching", channel=CHANNEL)
    async def remove(
        self,
        interaction: discord.Interaction[Any],
        term: app_commands.Range[str, 1, 80],
        channel: Target | None = None,
    ) -> None:
        """Stop watching a term; only people who may manage the channel."""
        caller, target = self._for(interaction, channel)
        await answer(interaction, await self.use_cases.watch_remove(caller, target, term))

    @remove.autocomplete("term")
    async def _remove_term(self, interaction: discord.Interaction[Any], current: str) -> Choices:
        caller, target = self._for(interaction, None)
        watched = await self.use_cases.watched(caller, target)
        needle = current.strip().casefold()
        found = [t for t in watched if needle in t.casefold()]
        return [app_commands.Choice(name=t, value=t) for t in found][:CHOICES_MAX]

    @app_commands.command(name="list", description="What a channel watches")
    @app_commands.describe(channel=CHANNEL)
    async def list_(
        self, interaction: discord.Interaction[Any], channel: Target | None = None
    ) -> None:
        """The channel's watchlist; anyone may read it."""
        caller, target = self._for(interaction, channel)
        await answer(interaction, await self.use_cases.watch_list(caller, target))
