"""`/westminster` on Slack: ack at once, run the shared use case, answer through response_url.

Who may change things is decided by bot.commands; this module only asks Slack (users.info)
whether the caller is a workspace admin or owner, and only for the commands that change things.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.commands import Caller, Channel, Commands, Reply
from bot.transports.slack.api import error_code
from bot.transports.slack.control import CONTROL_VERBS, ControlHandler, changes
from bot.transports.slack.control import HELP as CONTROL_HELP
from bot.transports.slack.parse import Parsed, parse_command
from bot.transports.slack.render import render_reply
from bot.transports.slack.sender import SlackSender

log = logging.getLogger("bot.transports.slack")
RECENT_WORD = "recent"

COMMAND = "/westminster"
MANAGING = frozenset({"subscribe", "unsubscribe", "updates", "test"})
UPDATES_USAGE = "Usage: /westminster updates <edit|thread|off> [#channel]"
HELP = (
    "/westminster — UK politics alerts",
    "• subscribe [category] [#channel] [@group] [recent]: send a category's alerts (all when "
    "none is named) to this or another channel, optionally mentioning a user group; recent "
    "also posts the last 24 hours' alerts",
    "• unsubscribe [category] [#channel]: stop them (all categories when none is named)",
    "• updates <edit|thread|off> [#channel]: what later reports of an event already alerted do "
    "there: edit its alert (the default), reply in a thread under it, or nothing",
    "• list: this workspace's subscriptions, who made them and when",
    "• categories: what each category means",
    "• latest [category] [count]: the latest events (reports, outlets, last update)",
    "• status: feed health, paused subscriptions, alerts waiting",
    "• why <link>: whether an article alerted, and why or why not",
    "• test [#channel]: post a sample alert to check the app can post there",
    *CONTROL_HELP,
    "subscribe, unsubscribe, updates, test, mute, unmute and changing settings or a watchlist are "
    "for workspace admins and owners (and the people named in the config); everything else, "
    "reading settings and watchlists too, is for everyone.",
)


@dataclass
class SlashHandler:
    """Turns one slash-command payload into a Reply, using the shared Commands."""

    commands: Commands
    sender: SlackSender
    managers: Collection[str]
    control: ControlHandler = field(init=False)

    def __post_init__(self) -> None:
        self.control = ControlHandler.over(self.commands)

    async def handle(self, payload: Mapping[str, Any], client: Any) -> Reply:
        """Answer one invocation; users.info is asked only for what changes things."""
        parsed = parse_command(str(payload.get("text") or ""))
        team = str(payload.get("team_id") or "")
        user = str(payload.get("user_id") or "")
        label = str(payload.get("user_name") or user)
        can_manage = False
        if parsed.verb == "updates" and not parsed.names():  # no need to ask Slack who asked
            return Reply.text(UPDATES_USAGE, ok=False)
        if parsed.verb in MANAGING or changes(parsed):
            allowed = await self._may_manage(client, user)
            if allowed is None:
                return Reply.text(
                    "Sorry, I could not check your permissions with Slack; try again shortly.",
                    ok=False,
                )
            can_manage, label = allowed[0], allowed[1] or label
        caller = Caller("slack", team, user, label, can_manage)
        return await self._dispatch(parsed, caller, payload)

    async def _dispatch(self, parsed: Parsed, caller: Caller, payload: Mapping[str, Any]) -> Reply:
        if parsed.verb in MANAGING:
            return await self._manage(parsed, caller, payload)
        if parsed.verb in CONTROL_VERBS:
            return await self._control(parsed, caller, payload)
        names = parsed.names()
        handlers: dict[str, Callable[[], Awaitable[Reply]]] = {
            "list": lambda: self.commands.list(caller),
            "status": lambda: self.commands.status(caller),
            "latest": lambda: self.commands.latest(names[0] if names else None, _count(parsed)),
            "why": lambda: self._why(parsed),
        }
        if parsed.verb in handlers:
            return await handlers[parsed.verb]()
        if parsed.verb == "categories":
            return self.commands.categories_reply()
        if parsed.verb in ("", "help"):
            return Reply.text(*HELP)
        return Reply.text(f"Unknown subcommand {parsed.verb!r}.", *HELP, ok=False)

    async def _manage(self, parsed: Parsed, caller: Caller, payload: Mapping[str, Any]) -> Reply:
        """subscribe, unsubscribe, updates and test: one category (or mode), channel and user
        group at most."""
        # "recent" (subscribe only) asks for the last 24 hours' alerts too; not a category name.
        recent = parsed.verb == "subscribe" and RECENT_WORD in parsed.names()
        names = tuple(n for n in parsed.names() if not (recent and n == RECENT_WORD))
        problem = _ambiguity(parsed, names)
        found = _channel(parsed, payload) if problem is None else problem
        if isinstance(found, str):
            return Reply.text(found, ok=False)
        channel: Channel = found
        category = names[0] if names else None
        group = parsed.user_groups[0] if parsed.user_groups else None
        actions: dict[str, Callable[[], Awaitable[Reply]]] = {
            "subscribe": lambda: self.commands.subscribe(
                caller, channel, category, mention=group, recent=recent
            ),
            "unsubscribe": lambda: self.commands.unsubscribe(caller, channel, category),
            "updates": lambda: self.commands.set_updates(caller, channel, category or ""),
            "test": lambda: self.commands.test(caller, channel, self.sender),
        }
        return await actions[parsed.verb]()

    async def _control(self, parsed: Parsed, caller: Caller, payload: Mapping[str, Any]) -> Reply:
        """settings, watch, mute and unmute: for this channel or the one named."""
        problem = _ambiguity(parsed, ()) if parsed.unknown or parsed.channels[1:] else None
        found = _channel(parsed, payload) if problem is None else problem
        if isinstance(found, str):
            return Reply.text(found, ok=False)
        return await self.control.handle(parsed, caller, found)

    async def _why(self, parsed: Parsed) -> Reply:
        url = parsed.links[0] if parsed.links else (parsed.words[0] if parsed.words else "")
        if not url:
            return Reply.text("Usage: /westminster why <link to an article>", ok=False)
        return await self.commands.why(url)

    async def _may_manage(self, client: Any, user: str) -> tuple[bool, str] | None:
        """(allowed, display name) from users.info; None when Slack could not be asked."""
        if user in self.managers:
            return True, ""
        try:
            response = await client.users_info(user=user)
        except SlackApiError as exc:
            log.warning("Slack users.info for %s failed: %s", user, error_code(exc))
            return None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning("Slack users.info for %s failed: %s", user, type(exc).__name__)
            return None
        info = response.get("user") or {}
        profile = info.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or info.get("name") or ""
        admin = any(info.get(flag) for flag in ("is_admin", "is_owner", "is_primary_owner"))
        return bool(admin), str(name)


def _ambiguity(parsed: Parsed, names: tuple[str, ...]) -> str | None:
    """Why a managing command's words cannot be acted on, or None."""
    if parsed.unknown:
        return (
            f"I can't tell what {', '.join(parsed.unknown)} is. Pick channels and user "
            "groups from Slack's list as you type, so Slack sends me their ids."
        )
    if parsed.verb == "updates" and (len(names) > 1 or parsed.user_groups):
        return UPDATES_USAGE
    if len(names) > 1 or len(parsed.channels) > 1 or len(parsed.user_groups) > 1:
        return "One category, channel and user group at a time."
    return None


def _channel(parsed: Parsed, payload: Mapping[str, Any]) -> Channel | str:
    """The channel named in the text, else the one the command was used in; or why not."""
    if parsed.channels:
        ref = parsed.channels[0]
        here = ref.id == payload.get("channel_id")
        name = ref.name or (str(payload.get("channel_name") or "") if here else "")
        return Channel(ref.id, f"#{name}" if name else f"channel {ref.id}")
    channel_id = str(payload.get("channel_id") or "")
    name = str(payload.get("channel_name") or "")
    if not channel_id or channel_id.startswith("D") or name == "directmessage":
        return (
            "Alerts go to channels, not direct messages: use this in a channel, or name one, "
            "e.g. /westminster subscribe defection #politics"
        )
    return Channel(channel_id, f"#{name}" if name else f"channel {channel_id}")


def _count(parsed: Parsed) -> int:
    number = parsed.number()
    return 5 if number is None else number


def register(app: Any, handler: SlashHandler) -> None:
    """Serve /westminster on a Bolt AsyncApp: ack within Slack's 3 s, reply via response_url."""

    async def westminster(ack: Any, command: dict[str, Any], respond: Any, client: Any) -> None:
        # Acknowledge first: database work and users.info may take longer than Slack waits.
        await ack()
        try:
            reply = await handler.handle(command, client)
        except Exception:
            log.exception("/westminster %r failed", command.get("text", ""))
            reply = Reply.text("Sorry, something went wrong; it has been logged.", ok=False)
        try:
            await respond(**render_reply(reply))
        except Exception as exc:
            # The response_url lasts 30 minutes and 5 uses; a failure here is only logged.
            log.warning("could not answer /westminster through response_url: %s", exc)

    app.command(COMMAND)(westminster)
