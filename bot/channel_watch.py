"""Watchlists and mutes from chat, platform-neutral: /westminster watch, mute and unmute.

Built on ChannelSettings: the same permission to change, the same way of making a channel's
destination, and the same validators (bot.control.settings) as the config.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from bot.channel_settings import ChannelSettings, error_reply
from bot.commands import Caller, Channel, Reply
from bot.control import describe as said
from bot.control import settings as check
from bot.control.schedule import muted
from bot.domain import ChannelControl
from bot.knowledge.parties import PARTIES
from bot.knowledge.register import Person
from bot.pipeline.classify import shared_register
from bot.store import destinations as dest_store

SUGGESTIONS_MAX = 25  # Discord shows at most 25 autocomplete choices
WATCH_ADD = "/westminster watch add"


@dataclass
class ChannelWatch:
    """The use cases behind /westminster watch add|remove|list, mute and unmute."""

    settings: ChannelSettings

    async def watch_add(self, caller: Caller, channel: Channel, term: str) -> Reply:
        """Watch a person, party or phrase: headlines naming it alert here whatever their
        category. A register person's or party's name is kept as the register writes it."""
        try:
            chosen = canonical(check.watch_term(term))
        except ValueError as exc:
            return error_reply(exc)

        def change(control: ChannelControl) -> ChannelControl:
            if _position(control.watch, chosen) is not None:
                return control
            if len(control.watch) >= check.MAX_WATCH_TERMS:
                raise ValueError(
                    f"{channel.label} already watches {check.MAX_WATCH_TERMS} terms, the most it "
                    "may; remove one first with /westminster watch remove"
                )
            return replace(control, watch=(*control.watch, chosen))

        done = await self.settings.change(caller, channel, change)
        if isinstance(done, Reply):
            return done
        if done.after == done.before:
            found = _position(done.before.watch, chosen)
            known = chosen if found is None else done.before.watch[found]
            return Reply.text(f"{done.label} already watches “{known}”.")
        count = f"{len(done.after.watch)} of {check.MAX_WATCH_TERMS} terms"
        return Reply.text(
            f"Watching “{chosen}” in {done.label} ({count}): headlines naming it alert here "
            f"whatever their category, labelled “Watch: {chosen}”.",
            ephemeral=False,
        )

    async def watch_remove(self, caller: Caller, channel: Channel, term: str) -> Reply:
        """Stop watching a term (matched ignoring case and spacing)."""
        wanted = " ".join(term.split())

        def change(control: ChannelControl) -> ChannelControl:
            found = _position(control.watch, wanted)
            if found is None:
                return control
            return replace(control, watch=control.watch[:found] + control.watch[found + 1 :])

        done = await self.settings.change(caller, channel, change)
        if isinstance(done, Reply):
            return done
        if done.after == done.before:
            listed = ", ".join(f"“{t}”" for t in done.before.watch) or "nothing"
            text = f"{done.label} does not watch “{wanted}”. It watches: {listed}."
            return Reply.text(text, ok=False)
        [gone] = set(done.before.watch) - set(done.after.watch)
        return Reply.text(f"Stopped watching “{gone}” in {done.label}.", ephemeral=False)

    async def watched(self, caller: Caller, channel: Channel) -> tuple[str, ...]:
        """The terms a channel watches (for `watch remove` autocomplete)."""
        conn = self.settings.commands.db.conn
        found = await dest_store.find_destination(conn, channel.key(caller))
        return found.control.watch if found is not None else ()

    async def watch_list(self, caller: Caller, channel: Channel) -> Reply:
        """What a channel watches; anyone may read it."""
        watch = await self.watched(caller, channel)
        if not watch:
            return Reply.text(
                f"{channel.label} watches nothing yet. Add a person, party or phrase with "
                f"{WATCH_ADD}."
            )
        limit = f"{len(watch)} of {check.MAX_WATCH_TERMS}"
        return Reply.text(f"{channel.label} watches ({limit}):", *(f"• {t}" for t in watch))

    async def mute(self, caller: Caller, channel: Channel, duration: str) -> Reply:
        """Hold every alert for a while (30m, 2h, 1d…); they come as one message after."""
        try:
            span = check.duration(duration)
        except ValueError as exc:
            return error_reply(exc)
        until = self.settings.now() + span
        done = await self.settings.change(caller, channel, lambda c: replace(c, muted_until=until))
        if isinstance(done, Reply):
            return done
        when = said.local_time(until, done.zone, self.settings.now())
        return Reply.text(
            f"Muted {done.label} for {spoken(span)}, until {when}: alerts are held and come as "
            "one message when the mute ends. /westminster unmute ends it sooner.",
            *([said.held(done.held) + " so far."] if done.held else []),
            ephemeral=False,
        )

    async def unmute(self, caller: Caller, channel: Channel) -> Reply:
        """End a mute now; what it held comes as one message at the next cycle."""
        was_muted: list[bool] = []

        def change(control: ChannelControl) -> ChannelControl:
            was_muted.append(muted(control, self.settings.now()))
            return replace(control, muted_until=None)

        done = await self.settings.change(caller, channel, change)
        if isinstance(done, Reply):
            return done
        if not was_muted[0]:
            return Reply.text(f"{done.label} is not muted.")
        held = self.settings.held_line(done.after, done.held)
        head = f"Unmuted {done.label}: alerts come as usual again."
        return Reply.text(head, *([held] if held else []), ephemeral=False)

    def suggestions(self, typed: str) -> list[tuple[str, str]]:
        """(what to show, term) for autocomplete: parties, then sitting people, then others,
        whose name contains what was typed; names that start with it first."""
        needle = " ".join(typed.split()).casefold()
        found: list[tuple[tuple[bool, int, str], str, Person | None]] = []
        for party in PARTIES:
            if needle in party.name.casefold():
                rank = (not party.name.casefold().startswith(needle), 0, party.name)
                found.append((rank, party.name, None))
        for person in shared_register() if needle else ():
            name = person.name.casefold()
            if needle in name:
                family = person.family_name.casefold()
                starts = name.startswith(needle) or family.startswith(needle)
                found.append(((not starts, 1 if not person.end else 2, name), person.name, person))
        found.sort(key=lambda item: item[0])
        return [
            (f"{term} (party)" if person is None else person.describe()[:100], term)
            for _, term, person in found[:SUGGESTIONS_MAX]
        ]


def canonical(term: str) -> str:
    """A party's or register person's name as written there when `term` is it, else `term`."""
    folded = term.casefold()
    for party in PARTIES:
        if party.name.casefold() == folded:
            return party.name
    people = shared_register().named(term) or [
        p for p in shared_register() if p.name.casefold() == folded
    ]
    return people[0].name if people else term


def spoken(span: timedelta) -> str:
    """ "2 hours", "1 day 12 hours", "45 minutes"."""
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    return " ".join(f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n)


def _position(terms: tuple[str, ...], term: str) -> int | None:
    folded = " ".join(term.split()).casefold()
    return next((i for i, t in enumerate(terms) if t.casefold() == folded), None)
