"""Slash-command use cases, platform-neutral: the Discord bot and the Slack app both call these.

Replies (bot.replies) are structured text and links rather than markup: each platform escapes and
renders them, so feed text shown by `latest` or `why` can never ping or inject markup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.config import DisplaySettings, PollingSettings
from bot.config.types import UPDATE_MODES
from bot.control.describe import summary
from bot.delivery.deliver import Sender
from bot.delivery.recent import queue_recent
from bot.domain import Alert, CategoryInfo, Destination, DestinationKey, FeedSource
from bot.errors import DeliveryError
from bot.replies import Link as Link  # noqa: PLC0414 - re-exported for the transports
from bot.replies import Reply as Reply  # noqa: PLC0414
from bot.replies import Segment as Segment  # noqa: PLC0414
from bot.store import destinations as dest_store
from bot.store import feeds as feed_store
from bot.store import history, outbox
from bot.store.holding import held_count
from bot.store.sql import Store
from bot.why_story import WhyStory

MAX_LATEST = 10
# What each updates mode means, as replies say it: what later reports of an alerted event do.
UPDATES_SAID = {
    "edit": "later reports edit the event's alert in place",
    "thread": "later reports go in a thread under the event's alert",
    "off": "later reports are not posted (one alert per event)",
}


@dataclass(frozen=True, slots=True)
class Caller:
    """Who invoked a command, where, and whether the platform says they may manage alerts."""

    platform: str  # "discord" or "slack"
    scope: str  # guild id or workspace (team) id
    user: str  # platform user id
    user_label: str  # display name, recorded with subscriptions
    can_manage: bool


@dataclass(frozen=True, slots=True)
class Channel:
    """A chat channel a command acts on."""

    id: str
    label: str  # "#politics"

    def key(self, caller: Caller) -> str:
        """The destination key for this channel on the caller's platform."""
        return DestinationKey.chat(caller.platform, caller.scope, self.id)


# The one refusal, whichever platform asked: each transport only works out Caller.can_manage.
REFUSAL = (
    "Sorry, you can't change alerts here. That takes Manage Channels (Discord), being a "
    "workspace admin or owner (Slack), or a role or user named in Division Bell's config. "
    "Try /westminster list to see what is set up."
)


@dataclass
class Commands:
    """The use cases behind /westminster, over the shared store."""

    db: Store
    categories: Mapping[str, CategoryInfo]
    feeds: Sequence[FeedSource] = ()
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    polling: PollingSettings = field(default_factory=PollingSettings)  # for `why`'s numbers
    display: DisplaySettings = field(default_factory=DisplaySettings)  # the times people read

    def check_categories(self, category: str | None) -> list[str] | str:
        """The categories meant (all when None), or an error message."""
        if category is None or category in ("", "all"):
            return list(self.categories)
        if category not in self.categories:
            return f"Unknown category {category!r}. Try one of: {', '.join(self.categories)}."
        return [category]

    @staticmethod
    def _refusal(caller: Caller) -> Reply | None:
        # The one permission gate, for every command that changes state or posts to a channel.
        return None if caller.can_manage else Reply.text(REFUSAL, ok=False)

    def _may_change(self, caller: Caller, category: str | None) -> list[str] | Reply:
        # Every command that changes state passes the same two gates, in this order.
        refused = self._refusal(caller)
        if refused is not None:
            return refused
        chosen = self.check_categories(category)
        return Reply.text(chosen, ok=False) if isinstance(chosen, str) else chosen

    async def subscribe(
        self,
        caller: Caller,
        channel: Channel,
        category: str | None,
        mention: str | None = None,
        *,
        recent: bool = False,
    ) -> Reply:
        """Subscribe a channel to one category, or to all of them; `recent` also queues the last
        24 hours' alerts in those categories for it."""
        chosen = self._may_change(caller, category)
        if isinstance(chosen, Reply):
            return chosen
        caught_up = 0
        async with self.db.transaction() as conn:
            added = await dest_store.subscribe(
                conn,
                key=channel.key(caller),
                kind=caller.platform,
                label=channel.label,
                scope=caller.scope,
                channel=channel.id,
                categories=chosen,
                mention=mention,
                created_by=caller.user_label,
                now=self.clock(),
            )
            dest_id = await dest_store.destination_id(conn, channel.key(caller))
            if recent and dest_id is not None:
                caught_up = await queue_recent(
                    conn,
                    dest_id,
                    wanted=chosen,
                    mention=mention,
                    categories=self.categories,
                    now=self.clock(),
                )
        names = ", ".join(self.label(c) for c in chosen)
        catch_up = f" {_caught_up(caught_up)}" if recent else ""
        if not added:
            return Reply.text(f"{channel.label} was already subscribed to {names}.{catch_up}")
        extra = " (with a mention)" if mention else ""
        return Reply.text(
            f"Subscribed {channel.label} to {names}{extra}.{catch_up}", ephemeral=False
        )

    async def unsubscribe(self, caller: Caller, channel: Channel, category: str | None) -> Reply:
        """Remove one category's subscription, or all of a channel's."""
        chosen = self._may_change(caller, category)
        if isinstance(chosen, Reply):
            return chosen
        async with self.db.transaction() as conn:
            removed = await dest_store.unsubscribe(
                conn, channel.key(caller), None if category in (None, "", "all") else chosen
            )
        if not removed:
            return Reply.text(f"{channel.label} had no such subscription.")
        names = ", ".join(self.label(c) for c in removed)
        return Reply.text(f"Unsubscribed {channel.label} from {names}.", ephemeral=False)

    async def set_updates(self, caller: Caller, channel: Channel, mode: str) -> Reply:
        """Choose what later reports of an alerted event do in a subscribed channel: edit its
        alert, reply in a thread under it, or nothing."""
        refused = self._refusal(caller)
        if refused is not None:
            return refused
        chosen = mode.strip().lower()
        if chosen not in UPDATE_MODES:
            return Reply.text(
                f"Unknown updates mode {mode!r}. Try one of: {', '.join(UPDATE_MODES)}.", ok=False
            )
        async with self.db.transaction() as conn:
            destination = await dest_store.find_destination(conn, channel.key(caller))
            # Refused rather than remembered: a mode set on a channel that gets no alerts would
            # be invisible in `list`, and is more likely a slip of the channel than a plan.
            if destination is None or not destination.subscriptions:
                return Reply.text(
                    f"{channel.label} is not subscribed to anything, so it has no alerts to "
                    "update. Subscribe it first with /westminster subscribe.",
                    ok=False,
                )
            if destination.updates == chosen:
                return Reply.text(f"Already so in {channel.label}: {UPDATES_SAID[chosen]}.")
            await dest_store.set_updates(conn, destination.id, chosen)
        return Reply.text(
            f"From now on in {channel.label}, {UPDATES_SAID[chosen]}.", ephemeral=False
        )

    async def list(self, caller: Caller) -> Reply:
        """This server's or workspace's subscriptions, with who made them and when."""
        rows = await dest_store.scope_subscriptions(self.db.conn, caller.platform, caller.scope)
        controlled = await _settings_lines(self, caller)
        if not rows and not controlled:
            return Reply.text("No channel here is subscribed yet. Try /westminster subscribe.")
        if not rows:
            return Reply.text("No channel here is subscribed to a category.", *controlled)
        lines = ["Subscriptions:"]
        for row in rows:
            when = row.created_at.strftime("%d %b %Y")
            paused = f" — PAUSED: {row.broken_reason}" if row.broken_reason else ""
            mention = " (mentions)" if row.mention else ""
            lines.append(
                f"• {row.label}: {self.label(row.category)}{mention}, by {row.created_by} "
                f"on {when}{paused}"
            )
        lines.append("Updates to alerts (/westminster updates):")
        updates = {d.key: d.updates for d in await dest_store.active_destinations(self.db.conn)}
        channels = dict.fromkeys((row.label, row.key) for row in rows)  # in order, once each
        for label, key in channels:
            mode = updates.get(key, "edit")
            lines.append(f"• {label}: {mode} — {UPDATES_SAID.get(mode, mode)}")
        return Reply.text(*lines, *controlled)

    def categories_reply(self) -> Reply:
        """Names, emoji and one-line definitions."""
        return Reply.text(
            *(f"{c.emoji} {c.label} ({c.name}): {c.description}" for c in self.categories.values())
        )

    async def latest(self, category: str | None, count: int = 5) -> Reply:
        """The events most recently reported: title, category, reports, outlets, last update."""
        chosen = self.check_categories(category)
        if isinstance(chosen, str):
            return Reply.text(chosen, ok=False)
        count = max(1, min(count, MAX_LATEST))
        events = await history.latest_alerted(
            self.db.conn, None if category in (None, "", "all") else category, count
        )
        if not events:
            return Reply.text("Nothing has alerted yet.")
        lines: list[tuple[Segment, ...]] = []
        for event in events:
            labels = ", ".join(
                f"{self.categories[c].emoji} {self.categories[c].label}"
                for c in event.categories
                if c in self.categories
            )
            reports = f"{event.reports} report" + ("" if event.reports == 1 else "s")
            when = self.display.when(event.last_report or event.alerted_at)
            breaking = "BREAKING · " if event.breaking else ""
            lines.append(
                (
                    f"{breaking}{labels}: ",
                    Link(event.title, event.link),
                    f" — {reports} from {', '.join(event.outlets) or 'one outlet'}; last {when}",
                )
            )
        return Reply(tuple(lines))

    async def status(self, caller: Caller) -> Reply:
        """Each feed's health, this server's paused subscriptions, and the outbox depth."""
        lines = ["Feeds:"]
        churn = await feed_store.churned_feeds(self.db.conn)
        for feed in await feed_store.all_feeds(self.db.conn):
            if self.feeds and feed.name not in {f.name for f in self.feeds}:
                continue
            ok = _ago(feed.last_success_at, self.clock())
            nxt = self.display.when(feed.next_poll_at, "%H:%M") if feed.next_poll_at else "soon"
            line = f"• {feed.name}: last success {ok}, next poll {nxt}"
            if feed.failures:
                line += f" — FAILING ({feed.failures}× in a row): {feed.last_error}"
            changed = churn.get(feed.name)
            if changed is not None and changed.unstable:
                line += (
                    f" — UNSTABLE: {changed.rekeyed} of its {changed.listed} entries came back "
                    "under new IDs at the last poll (repeats are suppressed)"
                )
            lines.append(line)
        rows = await dest_store.scope_subscriptions(self.db.conn, caller.platform, caller.scope)
        broken = {(r.label, r.broken_reason) for r in rows if r.broken_reason}
        lines.append("Paused subscriptions: " + ("none" if not broken else ""))
        lines += [f"• {label}: {reason}" for label, reason in sorted(broken)]
        lines.append(f"Alerts waiting to be sent: {await outbox.depth(self.db.conn)}")
        return Reply.text(*lines)

    async def why(self, url: str) -> Reply:
        """Did this article alert, for which categories and on which words, or why not."""
        return await WhyStory(self.db, self.label, self.polling, self.display).explain(url)

    async def test(
        self, caller: Caller, channel: Channel, send: Sender, *, advice: str = ""
    ) -> Reply:
        """Post a sample alert to a channel through the caller's transport; managers only.

        `send` is the transport's sender (or one like it); `advice` follows a failure's reason,
        saying what the platform needs (permissions, an invitation).
        """
        refused = self._refusal(caller)
        if refused is not None:
            return refused
        destination = Destination(
            id=0,  # not a subscription: nothing is recorded, and a failure pauses nothing
            key=channel.key(caller),
            kind=caller.platform,
            label=channel.label,
            scope=caller.scope,
            channel=channel.id,
        )
        try:
            await send(destination, self.sample_alert())
        except DeliveryError as exc:
            text = f"I couldn't post the test alert in {channel.label}: {exc.reason}."
            return Reply.text(f"{text} {advice}".rstrip(), ok=False)
        return Reply.text(f"Posted a test alert in {channel.label}.")

    def sample_alert(self, mention: str | None = None) -> Alert:
        """A harmless example alert for `/westminster test`."""
        info = next(iter(self.categories.values()))
        return Alert(
            story_id=0,
            title="Test alert from Division Bell: formatting and permissions work",
            link="https://github.com/division-bell/division-bell",
            outlet="Division Bell",
            summary="This is what an alert looks like here. No story behind it.",
            published=self.clock(),
            categories=(info,),
            evidence=("a test, not a story",),
            mention=mention,
        )

    def label(self, category: str) -> str:
        """'🔀 Defection' for a category name."""
        info = self.categories.get(category)
        return f"{info.emoji} {info.label}" if info else category


async def _settings_lines(commands: Commands, caller: Caller) -> list[str]:
    """One short line per channel here whose settings differ from the defaults."""
    lines: list[str] = []
    for dest in await dest_store.active_destinations(commands.db.conn):
        if (dest.kind, dest.scope) != (caller.platform, caller.scope):
            continue
        held = await held_count(commands.db.conn, dest.id)
        zone = dest.control.timezone or commands.display.timezone
        line = summary(dest.control, zone, commands.clock(), held)
        if line:
            lines.append(f"• {dest.label}: {line}")
    heading = "Channel settings (/westminster settings, watch, mute):"
    return [heading, *lines] if lines else []


def _ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    minutes = int((now - moment).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 120:
        return f"{minutes} min ago"
    return f"{minutes // 60} h ago"


def _caught_up(count: int) -> str:
    if count == 0:
        return "Nothing from the last 24 hours to catch up on."
    return f"Queued {count} alert{'s' if count != 1 else ''} from the last 24 hours."
