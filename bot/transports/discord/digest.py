"""Discord rendering of a digest: one embed, the period's events as lines of its description.

Embed titles show <t:…> tokens as raw text, so the period's times go in the description, where
each reader sees them in their own time zone; the embed's timestamp is when it was made.
"""

from __future__ import annotations

from typing import Any

from bot.domain import Digest, DigestItem
from bot.transports.digest import ItemStyle, fit_items, heading, item_text, more_events, spans_days
from bot.transports.discord.updates import DESCRIPTION_MAX, TITLE_MAX, stamp
from bot.transports.text import as_utc, escape_discord, fit, text_len

DIGEST_COLOUR = 0x34495E
ITEM_SEPARATOR = "\n\n"  # a blank line between events: each is a title line and a detail line


def _link(url: str, title: str) -> str:
    # safe_url percent-encodes ')' and the like, so the URL cannot end the masked link early.
    return f"**[{title}]({url})**"


def _bold(title: str) -> str:
    return f"**{title}**"


STYLE = ItemStyle(escape=escape_discord, link=_link, plain=_bold)


def span_line(digest: Digest) -> str:
    """'<t:…:t>–<t:…:t>', with dates ('f') when the period is a day or more."""
    style = "f" if spans_days(digest) else "t"
    return f"🕘 {stamp(digest.since, style)}–{stamp(digest.until, style)}"


def digest_description(digest: Digest) -> str:
    """The period, then each event (linked title; categories, reports, outlets) within 4096."""
    span = span_line(digest)
    budget = DESCRIPTION_MAX - text_len(span) - len(ITEM_SEPARATOR)

    def render(item: DigestItem, room: int) -> str | None:
        return item_text(item, STYLE, room)

    lines, left_out = fit_items(digest.items, render, budget, sep=ITEM_SEPARATOR)
    if left_out:
        lines.append(more_events(left_out))
    return ITEM_SEPARATOR.join([span, *lines])


def digest_embed(digest: Digest, footer: str) -> dict[str, Any]:
    """One embed for a digest: the heading as its title, the events in its description."""
    # The heading is our own words and counts, never feed text; fit keeps it within 256 anyway.
    title = fit(heading(digest, None), lambda text: text, TITLE_MAX)
    return {
        "title": title,
        "color": DIGEST_COLOUR,
        "description": digest_description(digest),
        "timestamp": as_utc(digest.until).isoformat(timespec="seconds"),
        "footer": {"text": footer},
    }
