"""Console transport: alerts as readable text on standard output (control characters dropped)."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.config import DisplaySettings
from bot.delivery.messages import Message
from bot.domain import Alert, Destination, Overflow
from bot.transports.text import after_label, as_utc, clean_text, fit, join_fit, safe_url

CONSOLE_LISTED = 10


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


def console_text(message: Alert | Overflow, display: DisplaySettings | None = None) -> str:
    """Multi-line plain text for a terminal: category, headline, link, outlet, UTC time, why."""
    if isinstance(message, Overflow):
        return _console_overflow(message)
    first = message.categories[0] if message.categories else None
    show_label, title = after_label(first.label, message.title) if first else (True, message.title)
    heading = f"{first.emoji} {first.label}" if first else "🔔 Alert"
    if first and not show_label:
        heading = first.emoji
    separator = ": " if show_label else " "
    lines = [f"{_plain(heading, 100)}{separator}{_plain(title, 500)}"]
    url = safe_url(message.link)
    if url:
        lines.append(f"  {url}")
    if display is None:
        when = as_utc(message.published).strftime("%Y-%m-%d %H:%M UTC")
    else:
        when = display.when(message.published, "%Y-%m-%d %H:%M")
    lines.append(f"  {_plain(message.outlet, 200) or 'unknown outlet'} · {when}")
    if len(message.categories) > 1:
        labels = [c.label for c in message.categories]
        lines.append("  Categories: " + join_fit(labels, clean_text, 300, sep=", "))
    if message.evidence:
        lines.append("  Why: " + join_fit(message.evidence, clean_text, 1000, sep="; "))
    outlets = [o for o in message.also_reported_by if o.strip()]
    if outlets:
        lines.append("  Also reported by: " + join_fit(outlets, clean_text, 500, sep=", "))
    return "\n".join(lines)


class ConsoleSender:
    """Writes each alert to a text stream (standard output by default)."""

    def __init__(
        self, stream: TextIO | None = None, display: DisplaySettings | None = None
    ) -> None:
        self.stream = stream
        self.display = display  # None: UTC

    async def __call__(self, destination: Destination, message: Message) -> str | None:
        """Print the alert; the console never refuses."""
        stream = self.stream or sys.stdout
        stream.write(console_text(message, self.display) + "\n\n")
        stream.flush()
        return None
