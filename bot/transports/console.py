"""Console transport: alerts as readable text on standard output (control characters dropped).

It edits too, the way `division-bell replay` shows a channel: an edit prints the alert again
under "↻ UPDATE", a thread reply prints the follow-up under "↳ IN THREAD".
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TextIO

from bot.config import DisplaySettings
from bot.delivery.messages import Message
from bot.domain import (
    Alert,
    Destination,
    Digest,
    DigestItem,
    EventState,
    FollowUp,
    Overflow,
    Report,
    story_key,
)
from bot.transports.digest import ItemStyle, fit_items, heading, item_text, more_events, spans_days
from bot.transports.events import (
    confirmed,
    confirmed_line,
    follow_up_heading,
    follow_up_reports,
    grown,
    latest_of,
    reports_phrase,
)
from bot.transports.text import after_label, as_utc, clean_text, fit, join_fit, safe_url

CONSOLE_LISTED = 10
UPDATE_MARK = "↻ UPDATE"
REPLY_MARK = "↳ IN THREAD"


def _plain(text: str, limit: int) -> str:
    # clean_text drops control characters, so feed text cannot smuggle ANSI escapes to a terminal.
    return fit(text, clean_text, limit)


def _console_overflow(overflow: Overflow) -> str:
    count = len(overflow.items)
    noun = "headline" if count == 1 else "headlines"
    lines = [f"📰 {count} more {noun} from {_plain(overflow.outlet or overflow.feed, 200)}"]
    for item in overflow.items[:CONSOLE_LISTED]:
        title = _plain(item.title, 300) or "(untitled)"
        category = f" [{_plain(item.category, 40)}]" if item.category else ""
        lines.append(f"  • {title}{category}")
        url = safe_url(item.link)
        if url:
            lines.append(f"    {url}")
    if count > CONSOLE_LISTED:
        lines.append(f"  and {count - CONSOLE_LISTED} more")
    return "\n".join(lines)


def _when(moment: datetime, display: DisplaySettings | None, pattern: str) -> str:
    """A time in the display zone (UTC without display settings)."""
    if display is None:
        return as_utc(moment).strftime(pattern + " UTC")
    return display.when(moment, pattern)


def _report_lines(reports: tuple[Report, ...], display: DisplaySettings | None) -> list[str]:
    lines = []
    for report in reports:
        outlet = _plain(report.outlet, 200) or "unknown outlet"
        seen = _when(report.seen, display, "%d %b %H:%M")
        lines.append(f"    • {_plain(report.title, 300) or '(untitled)'} — {outlet} · {seen}")
        url = safe_url(report.link)
        if url:
            lines.append(f"      {url}")
    return lines


def _event_lines(event: EventState, display: DisplaySettings | None) -> list[str]:
    """Coverage, first and last report times, and the latest headlines of a grown event."""
    lines = []
    if event.continues:
        lines.append(f"  Continues: {_plain(event.continues, 500)}")
    outlets = join_fit([o for o in event.outlets if o.strip()], clean_text, 500, sep=", ")
    lines.append(f"  {reports_phrase(event.reports)}" + (f" · {outlets}" if outlets else ""))
    first = _when(event.first_seen, display, "%d %b %H:%M")
    last = _when(event.last_seen, display, "%d %b %H:%M")
    lines.append(f"  First report {first} · latest {last}")
    lines.append("  Latest:")
    return lines + _report_lines(latest_of(event), display)


def follow_up_text(follow_up: FollowUp, display: DisplaySettings | None = None) -> str:
    """'📰 N more reports on <title>', its link, then the newest of them."""
    if follow_up.confirmed is not None:
        lines = [_plain(confirmed_line(follow_up.confirmed), 700)]
        lines.append(f"  on {_plain(follow_up.title, 500)}")
    else:
        lines = [f"📰 {follow_up_heading(follow_up)} {_plain(follow_up.title, 500)}"]
    url = safe_url(follow_up.link)
    if url:
        lines.append(f"  {url}")
    return "\n".join(lines + _report_lines(follow_up_reports(follow_up), display))


def _console_link(url: str, title: str) -> str:
    return f"{title}\n    {url}"  # a terminal makes a bare URL clickable; markup would not be


_DIGEST_STYLE = ItemStyle(
    escape=clean_text, link=_console_link, title_prefix="  • ", meta_prefix="    "
)
_DIGEST_BUDGET = 20_000  # a terminal has no limit; this only bounds a huge list


def _span(digest: Digest, display: DisplaySettings | None) -> str:
    """'22:00–07:00 GMT' in the display zone; dates too for a period of a day or more."""
    pattern = "%d %b %H:%M" if spans_days(digest) else "%H:%M"
    since, until = _when(digest.since, display, pattern), _when(digest.until, display, pattern)
    since_time, _, since_zone = since.rpartition(" ")
    if until.endswith(" " + since_zone):  # one zone named once (not across a clock change)
        since = since_time
    return f"{since}–{until}"


def digest_console_text(digest: Digest, display: DisplaySettings | None = None) -> str:
    """The shared heading, then each event: title, link, categories · reports · outlets."""

    def render(item: DigestItem, room: int) -> str | None:
        return item_text(item, _DIGEST_STYLE, room)

    lines, left_out = fit_items(digest.items, render, _DIGEST_BUDGET)
    if left_out:
        lines.append("  " + more_events(left_out))
    return "\n".join([heading(digest, _span(digest, display)), *lines])


def console_text(message: Message, display: DisplaySettings | None = None) -> str:
    """Multi-line plain text for a terminal: category, headline, link, outlet, UTC time, why."""
    if isinstance(message, Digest):
        return digest_console_text(message, display)
    if isinstance(message, Overflow):
        return _console_overflow(message)
    if isinstance(message, FollowUp):
        return follow_up_text(message, display)
    first = message.categories[0] if message.categories else None
    show_label, title = after_label(first.label, message.title) if first else (True, message.title)
    heading = f"{first.emoji} {first.label}" if first else "🔔 Alert"
    if first and not show_label:
        heading = first.emoji
    separator = ": " if show_label else " "
    event = grown(message)
    breaking = "🚨 Breaking · " if event is not None and event.breaking else ""
    lines = [f"{breaking}{_plain(heading, 100)}{separator}{_plain(title, 500)}"]
    url = safe_url(message.link)
    if url:
        lines.append(f"  {url}")
    when = _when(message.published, display, "%Y-%m-%d %H:%M")
    lines.append(f"  {_plain(message.outlet, 200) or 'unknown outlet'} · {when}")
    detail = confirmed(message)
    if detail is not None:
        lines.append("  " + _plain(confirmed_line(detail), 700))
    if len(message.categories) > 1:
        labels = [c.label for c in message.categories]
        lines.append("  Categories: " + join_fit(labels, clean_text, 300, sep=", "))
    if message.evidence:
        lines.append("  Why: " + join_fit(message.evidence, clean_text, 1000, sep="; "))
    outlets = [o for o in message.also_reported_by if o.strip()]
    if event is not None:
        lines += _event_lines(event, display)
    elif outlets:
        lines.append("  Also reported by: " + join_fit(outlets, clean_text, 500, sep=", "))
    return "\n".join(lines)


class ConsoleSender:
    """Writes each alert to a text stream (standard output by default)."""

    def __init__(
        self, stream: TextIO | None = None, display: DisplaySettings | None = None
    ) -> None:
        self.stream = stream
        self.display = display  # None: UTC

    def _print(self, text: str) -> None:
        stream = self.stream or sys.stdout
        stream.write(text + "\n\n")
        stream.flush()

    async def __call__(self, destination: Destination, message: Message) -> str | None:
        """Print the message; the console never refuses. An alert's id is its story's key."""
        self._print(console_text(message, self.display))
        # An id lets the deliverer send this alert's updates here (as edits) like any channel.
        return story_key(message.story_id) if isinstance(message, Alert) else None

    async def edit(self, destination: Destination, remote_id: str, message: Alert) -> None:
        """Print the alert as it now stands, marked as an update of the one printed before."""
        self._print(f"{UPDATE_MARK}\n{console_text(message, self.display)}")

    async def reply(
        self, destination: Destination, remote_id: str, message: FollowUp
    ) -> str | None:
        """Print the follow-up, marked as a reply under the alert."""
        self._print(f"{REPLY_MARK}\n{console_text(message, self.display)}")
        return None
