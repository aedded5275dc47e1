"""Slash-command use cases, platform-neutral: the Discord bot and the Slack app both call these.

Replies are structured (text and links) rather than markup: each platform escapes and renders
them, so feed text shown by `latest` or `why` can never ping or inject markup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.config import DisplaySettings, PollingSettings
from bot.delivery.deliver import Sender
from bot.delivery.recent import queue_recent
from bot.domain import Alert, CategoryInfo, Decision, Destination, DestinationKey, FeedSource
from bot.errors import DeliveryError
from bot.pipeline.normalise import canonical_url
from bot.store import destinations as dest_store
from bot.store import feeds as feed_store
from bot.store import history, outbox
from bot.store.connection import Database

MAX_LATEST = 10
_DECISIONS: dict[str, str] = {  # keyed by Decision; history rows hold its value
    Decision.ALERTED: "it alerted",
    Decision.OVERFLOW: (
        "it was summarised in an overflow line (too many alerts from one feed at once)"
    ),
    Decision.JOINED_STORY: "it joined an earlier story, which had already alerted or been recorded",
    Decision.DUPLICATE_URL: "another feed had already carried the same link",
    Decision.NO_CATEGORY: "no rule matched it",
    Decision.BACKFILL: "it was older than the backfill window when its feed was first polled",
    Decision.TOO_OLD: "it was older than the maximum age when first seen",
}


@dataclass(frozen=True, slots=True)
class Link:
    """A link in a reply; the platform renders it safely."""

    text: str
    url: str


Segment = str | Link
ReplyLines = list[tuple[Segment, ...]]  # named here: inside Commands, `list` is a method


@dataclass(frozen=True, slots=True)
class Reply:
    """What a command answers: lines of text and links, and whether only the caller sees it."""

    lines: tuple[tuple[Segment, ...], ...]
    ephemeral: bool = True
    ok: bool = True

    @classmethod
    def text(cls, *lines: str, ephemeral: bool = True, ok: bool = True) -> Reply:
        """A reply made only of plain lines."""
        return cls(tuple((line,) for line in lines), ephemeral=ephemeral, ok=ok)

    def plain(self) -> str:
        """The reply as plain text (for logs and tests)."""
        return "\n".join(
            "".join(s if isinstance(s, str) else f"{s.text} <{s.url}>" for s in line)
            for line in self.lines
        )


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

    db: Database
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

    async def list(self, caller: Caller) -> Reply:
        """This server's or workspace's subscriptions, with who made them and when."""
        rows = await dest_store.scope_subscriptions(self.db.conn, caller.platform, caller.scope)
        if not rows:
            return Reply.text("No channel here is subscribed yet. Try /westminster subscribe.")
        lines = ["Subscriptions:"]
        for row in rows:
            when = row.created_at.strftime("%d %b %Y")
            paused = f" — PAUSED: {row.broken_reason}" if row.broken_reason else ""
            mention = " (mentions)" if row.mention else ""
            lines.append(
                f"• {row.label}: {self.label(row.category)}{mention}, by {row.created_by} "
                f"on {when}{paused}"
            )
        return Reply.text(*lines)

    def categories_reply(self) -> Reply:
        """Names, emoji and one-line definitions."""
        return Reply.text(
            *(f"{c.emoji} {c.label} ({c.name}): {c.description}" for c in self.categories.values())
        )

    async def latest(self, category: str | None, count: int = 5) -> Reply:
        """The most recent alerted stories, from the database."""
        chosen = self.check_categories(category)
        if isinstance(chosen, str):
            return Reply.text(chosen, ok=False)
        count = max(1, min(count, MAX_LATEST))
        stories = await history.latest_alerted(
            self.db.conn, None if category in (None, "", "all") else category, count
        )
        if not stories:
            return Reply.text("Nothing has alerted yet.")
        lines: list[tuple[Segment, ...]] = []
        for story in stories:
            emoji = "".join(
                self.categories[c].emoji for c in story.categories if c in self.categories
            )
            when = self.display.when(story.alerted_at)
            lines.append(
                (
                    f"{emoji} ",
                    Link(story.title, story.link),
                    f" — {', '.join(story.outlets)}, {when}",
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
        link = canonical_url(url.strip())
        if not link:
            return Reply.text("That does not look like an http(s) link.", ok=False)
        seen = await history.headlines_with_link(self.db.conn, link)
        if not seen:
            failing = [f.name for f in await feed_store.all_feeds(self.db.conn) if f.failures]
            hint = f" These feeds are failing right now: {', '.join(failing)}." if failing else ""
            return Reply.text(f"Never seen: no polled feed has carried that link.{hint}")
        lines: list[tuple[Segment, ...]] = []
        for item in seen:
            cats = ", ".join(self.label(c) for c in item.categories) or "no category"
            lines.append((Link(item.title, item.link), f" — {item.feed}: {cats}"))
            lines.append((f"Decision: {_DECISIONS.get(item.decision, item.decision)}.",))
            lines.append((self._timing(item),))
            if item.decision == Decision.JOINED_STORY and item.story_title:
                lines.append(("Story: ", item.story_title))
            for category, evidence in item.evidence.items():
                lines.append((f"Why {self.label(category)}: " + "; ".join(evidence),))
            if item.story_id is not None:
                lines += await self._deliveries(item.story_id)
        return Reply(tuple(lines))

    def _timing(self, item: history.SeenHeadline) -> str:
        # The numbers behind a backfill or age decision: when it was published and first seen.
        seen_at = self.display.when(item.first_seen_at)
        if item.published_at is None:
            return f"Undated; first seen {seen_at}."
        age = _span(item.first_seen_at - item.published_at)
        text = f"Published {self.display.when(item.published_at)}; first seen {seen_at}"
        if item.decision == Decision.BACKFILL:
            window = _span(timedelta(seconds=self.polling.backfill))
            return f"{text}, {age} old, outside the {window} backfill window of a first poll."
        if item.decision == Decision.TOO_OLD:
            limit = _span(timedelta(seconds=self.polling.max_age))
            return f"{text}, {age} old, past the {limit} maximum age."
        return f"{text}."

    async def _deliveries(self, story_id: int) -> ReplyLines:
        lines: ReplyLines = []
        for sent in await history.story_deliveries(self.db.conn, story_id):
            if sent.status == "sent" and sent.sent_at is not None:
                state = f"sent {self.display.when(sent.sent_at)}"
            elif sent.broken_reason:
                state = f"held: the destination is paused ({sent.broken_reason})"
            else:
                state = "waiting" + (f" (last try: {sent.last_error})" if sent.last_error else "")
            lines.append((f"To {sent.destination}: {state}.",))
        return lines

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


def _ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    minutes = int((now - moment).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 120:
        return f"{minutes} min ago"
    return f"{minutes // 60} h ago"


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes / 60
    return f"{hours:.0f} h" if hours < 72 else f"{hours / 24:.0f} days"


def _caught_up(count: int) -> str:
    if count == 0:
        return "Nothing from the last 24 hours to catch up on."
    return f"Queued {count} alert{'s' if count != 1 else ''} from the last 24 hours."
