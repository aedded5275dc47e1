"""`/westminster settings|watch|mute|unmute` on Slack: the same words as Discord's options.

    /westminster settings                      (show; `settings show` too)
    /westminster settings quiet 22:00-07:00 except defection,pmqs
    /westminster settings digest 08:00,18:00 except breaking
    /westminster settings min-reports 2
    /westminster settings timezone Europe/London
    /westminster watch add Angela Rayner       (watch remove …, watch list)
    /westminster mute 2h                       (unmute)

Any of them may name a channel (#channel picked from Slack's list). Who may change things is
decided by the use cases (bot.channel_settings, bot.channel_watch), as for subscribing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.channel_settings import ChannelSettings
from bot.channel_watch import ChannelWatch
from bot.commands import Caller, Channel, Commands, Reply
from bot.transports.slack.parse import Parsed

CONTROL_VERBS = ("settings", "watch", "mute", "unmute")
READING = {("settings", ""), ("settings", "show"), ("watch", ""), ("watch", "list")}
SETTINGS_USAGE = (
    "Usage: /westminster settings [#channel] to see them, or one of:",
    "• settings quiet <22:00-07:00|off> [except <categories>]",
    "• settings digest <off|hourly|08:00,18:00> [except <categories or breaking>]",
    "• settings min-reports <1-20>",
    "• settings timezone <Area/City|default>",
)
WATCH_USAGE = (
    "Usage: /westminster watch add|remove <person, party or phrase> [#channel], "
    "or /westminster watch list"
)
MUTE_USAGE = "Usage: /westminster mute <30m|2h|1d> [#channel]"
HELP = (
    "• settings [quiet|digest|min-reports|timezone …] [#channel]: a channel's quiet hours "
    "(alerts held, then sent as one message), digest (one message per period), noise floor "
    "(alert once N outlets report an event) and time zone; alone, shows them",
    "• watch add|remove|list [term] [#channel]: people, parties or phrases that alert a channel "
    "whatever their category",
    "• mute <30m|2h|1d> [#channel] / unmute [#channel]: hold a channel's alerts for a while",
)


def action(parsed: Parsed) -> str:
    """The word after `settings` or `watch` ("" when there is none)."""
    return parsed.words[0].lower() if parsed.verb in ("settings", "watch") and parsed.words else ""


def changes(parsed: Parsed) -> bool:
    """Whether the command changes a setting (so Slack must say whether the caller may)."""
    return parsed.verb in CONTROL_VERBS and (parsed.verb, action(parsed)) not in READING


def split_except(words: tuple[str, ...]) -> tuple[list[str], str | None]:
    """The words before `except` (or `except:`), and the categories after it, if any."""
    for index, word in enumerate(words):
        head, colon, rest = word.partition(":")
        if head.lower() == "except" and (colon or word.lower() == "except"):
            after = [rest, *words[index + 1 :]] if rest else list(words[index + 1 :])
            return list(words[:index]), " ".join(after)
    return list(words), None


@dataclass
class ControlHandler:
    """Runs one settings, watch, mute or unmute command for a resolved channel."""

    settings: ChannelSettings
    watch: ChannelWatch

    @classmethod
    def over(cls, commands: Commands) -> ControlHandler:
        """The handler over the shared use cases."""
        settings = ChannelSettings(commands)
        return cls(settings, ChannelWatch(settings))

    async def handle(self, parsed: Parsed, caller: Caller, channel: Channel) -> Reply:
        """Answer one command; a wrong shape is answered with its usage."""
        if parsed.verb == "settings":
            return await self._settings(parsed, caller, channel)
        if parsed.verb == "watch":
            return await self._watch(parsed, caller, channel)
        if parsed.verb == "mute":
            if not parsed.words:
                return Reply.text(MUTE_USAGE, ok=False)
            return await self.watch.mute(caller, channel, "".join(parsed.words))
        return await self.watch.unmute(caller, channel)

    async def _settings(self, parsed: Parsed, caller: Caller, channel: Channel) -> Reply:
        words, excepted = split_except(parsed.words[1:])
        value = ",".join(words) if action(parsed) == "digest" else " ".join(words)
        actions: dict[str, Callable[[], Awaitable[Reply]]] = {
            "": lambda: self.settings.show(caller, channel),
            "show": lambda: self.settings.show(caller, channel),
            "quiet": lambda: self.settings.quiet(caller, channel, value, excepted),
            "digest": lambda: self.settings.digest(caller, channel, value, excepted),
            "min-reports": lambda: self.settings.min_reports(caller, channel, value),
            "timezone": lambda: self.settings.timezone(caller, channel, value),
        }
        chosen = actions.get(action(parsed))
        needs_value = action(parsed) not in ("", "show")
        if chosen is None or (needs_value and not value):
            return Reply.text(*SETTINGS_USAGE, ok=False)
        return await chosen()

    async def _watch(self, parsed: Parsed, caller: Caller, channel: Channel) -> Reply:
        term = " ".join(parsed.words[1:])
        if action(parsed) in ("", "list") and not term:
            return await self.watch.watch_list(caller, channel)
        if action(parsed) == "add" and term:
            return await self.watch.watch_add(caller, channel, term)
        if action(parsed) == "remove" and term:
            return await self.watch.watch_remove(caller, channel, term)
        return Reply.text(WATCH_USAGE, ok=False)
