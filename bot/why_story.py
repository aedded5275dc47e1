"""`why`: did an article alert, for which categories and on which words, or why not.

Shared by `/westminster why` (through bot.commands) and the CLI's `division-bell why`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.config import DisplaySettings, PollingSettings
from bot.domain import CONFIRMED_BY_PARLIAMENT, Decision, confirmation_text
from bot.knowledge.parties import BY_CODE
from bot.pipeline.normalise import canonical_url
from bot.replies import Link, Reply, ReplyLines
from bot.store import feeds as feed_store
from bot.store import history, watches
from bot.store.sql import Store

_DECISIONS: dict[str, str] = {  # keyed by Decision; history rows hold its value
    Decision.ALERTED: "it alerted",
    Decision.OVERFLOW: (
        "it was summarised in an overflow line (too many alerts from one feed at once)"
    ),
    Decision.JOINED_STORY: (
        "it is a later report of an event already alerted or recorded, so it updates that alert"
    ),
    Decision.DUPLICATE_URL: "another feed had already carried the same link",
    Decision.NO_CATEGORY: "no rule matched it",
    Decision.BACKFILL: "it was older than the backfill window when its feed was first polled",
    Decision.TOO_OLD: "it was older than the maximum age when first seen",
}


@dataclass(frozen=True, slots=True)
class WhyStory:
    """Explains the decisions about one link from the store's history."""

    db: Store
    label: Callable[[str], str]  # '🔀 Defection' for a category name
    polling: PollingSettings  # for the backfill and age numbers
    display: DisplaySettings  # the times people read

    async def explain(self, url: str) -> Reply:
        """Did this article alert, for which categories and on which words, or why not."""
        link = canonical_url(url.strip())
        if not link:
            return Reply.text("That does not look like an http(s) link.", ok=False)
        seen = await history.headlines_with_link(self.db.conn, link)
        if not seen:
            failing = [f.name for f in await feed_store.all_feeds(self.db.conn) if f.failures]
            hint = f" These feeds are failing right now: {', '.join(failing)}." if failing else ""
            return Reply.text(f"Never seen: no polled feed has carried that link.{hint}")
        lines: ReplyLines = []
        for item in seen:
            cats = ", ".join(self.label(c) for c in item.categories) or "no category"
            lines.append((Link(item.title, item.link), f" — {item.feed}: {cats}"))
            lines.append((f"Decision: {_DECISIONS.get(item.decision, item.decision)}.",))
            lines.append((self._timing(item),))
            for category, evidence in item.evidence.items():
                lines.append((f"Why {self.label(category)}: " + "; ".join(evidence),))
            if item.story_id is not None:
                if item.joined_on and item.decision == Decision.JOINED_STORY:
                    lines.append((f"It joined its event on: {item.joined_on}.",))
                lines += await self._event(item.story_id)
                lines += await self._watch(item.story_id)
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

    async def _event(self, event_id: int) -> ReplyLines:
        # The event it belongs to: its reports, from whom, when, and why each joined.
        event = await history.event_summary(self.db.conn, event_id)
        if event is None:
            return []
        lines: ReplyLines = [(f"Event {event.id}: {event.title} ({_reports(event.reports)}).",)]
        if event.continues is not None:
            what = f"a development ({event.development}) of" if event.development else "resumes"
            lines.append((f"It is {what} event {event.continues[0]}: {event.continues[1]}.",))
        for member in event.members:
            why = member.joined_on or "first report"
            when = self.display.when(member.first_seen_at)
            lines.append(
                ("• ", Link(member.title, member.link), f" — {member.outlet}, {when}: {why}")
            )
        if event.reports > len(event.members):
            lines.append((f"… and {event.reports - len(event.members)} more.",))
        return lines

    async def _watch(self, event_id: int) -> ReplyLines:
        # A defection's claim, checked against Parliament's record: confirmed, waiting or not.
        watch = await watches.watch_of(self.db.conn, event_id)
        if watch is None:
            return []
        party = BY_CODE[watch.party].name if watch.party in BY_CODE else watch.party
        if watch.status == watches.CONFIRMED and watch.recorded_on and watch.confirmed_party:
            detail = confirmation_text(watch.person_name, watch.confirmed_party, watch.recorded_on)
            return [(f"{CONFIRMED_BY_PARLIAMENT}: {detail}.",)]
        if watch.status == watches.EXPIRED:
            return [
                (
                    f"Parliament recorded no move of {watch.person_name} to {party} within a "
                    "week of the first report; the alert was never marked confirmed.",
                )
            ]
        until = self.display.when(watch.until)
        return [
            (
                f"Not yet confirmed by Parliament: the Members API is checked until {until} for "
                f"{watch.person_name} joining {party}.",
            )
        ]

    async def _deliveries(self, story_id: int) -> ReplyLines:
        lines: ReplyLines = []
        for sent in await history.story_deliveries(self.db.conn, story_id):
            what = _KINDS.get(sent.kind, sent.kind)
            if sent.status == "sent" and sent.sent_at is not None:
                state = f"{what} sent {self.display.when(sent.sent_at)}"
                if sent.told_reports > 1:
                    state += f" ({_reports(sent.told_reports)})"
            elif sent.status == "held":
                state = f"{what} held: {_HELD.get(sent.held or '', 'channel control')}"
            elif sent.status == "digested" and sent.sent_at is not None:
                state = f"{what} listed in a digest {self.display.when(sent.sent_at)}"
            elif sent.status in _STOPPED:
                state = f"{what}s stopped: {_STOPPED[sent.status]}"
            elif sent.broken_reason:
                state = f"{what} held: the destination is paused ({sent.broken_reason})"
            else:
                state = f"{what} waiting" + (
                    f" (last try: {sent.last_error})" if sent.last_error else ""
                )
            lines.append((f"To {sent.destination}: {state}.",))
        return lines


_KINDS = {"alert": "alert", "edit": "edit", "reply": "thread reply", "followup": "follow-up"}
_KINDS |= {f"confirmation {kind}": f"confirmation {what}" for kind, what in _KINDS.items()}
_HELD = {
    "quiet": "quiet hours; it goes when they end",
    "muted": "the channel is muted; it goes when the mute ends",
    "digest": "for the channel's next digest",
}
_STOPPED = {
    "gone": "the alert message was deleted",
    "exhausted": "the platform takes no more edits; later reports come as follow-ups",
}


def _reports(count: int) -> str:
    return f"{count} report" + ("" if count == 1 else "s")


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes / 60
    return f"{hours:.0f} h" if hours < 72 else f"{hours / 24:.0f} days"
