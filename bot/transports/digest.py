"""What every platform says in a digest, decided once: the heading per reason, each event's
lines, and how many events fit a message. The platforms supply only their markup (escaping,
links, time tokens), so Discord, Slack and the console word a digest the same way.

A digest is a summary: it never carries a mention, whatever the destination's subscriptions say.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.domain import Digest, DigestItem
from bot.transports.events import reports_phrase
from bot.transports.text import fit, join_fit, safe_url, text_len

UPDATED_NOTE = "more since the alert"  # an event alerted here before it was held, grown since
_FALLBACK_EMOJI = "🔔"
_HEADINGS = {
    "digest": ("🗞️", "Westminster digest"),
    "quiet": ("🌙", "While quiet hours were on"),
    "muted": ("🔕", "While this channel was muted"),
}
_DAY = timedelta(hours=23)  # a span this long shows dates too: "22:00–07:00" alone would mislead
ITEM_MAX = 700  # one event's lines at most: a long title must not crowd out the rest
_TITLE_MAX = 256  # a readable title, cut past this whatever the room
_MIN_TITLE = 20  # below this a cut title says nothing: the event goes into "and N more"
# A digest part of up to this many events lists every one of them on every platform (Discord's
# description, Slack's blocks and fallback text, the console): each gets at least a twentieth of
# the room, enough for a cut title and its reports. Past it, the rest may become "and N more".
EVENTS_PER_MESSAGE = 20
MORE_ROOM = 40  # kept free for the closing "and N more events"


def spans_days(digest: Digest) -> bool:
    """Whether the period is long enough (a mute of days) that its times need their dates."""
    return digest.until - digest.since >= _DAY


def part_note(digest: Digest) -> str:
    """'' for a digest in one message; ' (1/3)' for the first part; ' (continued, 2/3)' after."""
    if digest.parts <= 1:
        return ""
    if digest.part <= 1:
        return f" ({digest.part}/{digest.parts})"
    return f" (continued, {digest.part}/{digest.parts})"


def events_phrase(count: int) -> str:
    """'1 event' / '4 events'."""
    return f"{count} event" if count == 1 else f"{count} events"


def heading(digest: Digest, span: str | None) -> str:
    """'🗞️ Westminster digest · 08:00–18:00 · 4 events', '🌙 While quiet hours were on
    (22:00–07:00): 4 events', '🔕 While this channel was muted: 4 events' (span None: the
    platform shows the times elsewhere). A split digest names its part instead of a count."""
    emoji, words = _HEADINGS.get(digest.reason, _HEADINGS["digest"])
    count = events_phrase(len(digest.items))
    note = part_note(digest)
    if digest.reason == "digest" or digest.reason not in _HEADINGS:
        timed = f"{words} · {span}" if span else words
        return f"{emoji} {timed}{note}" if note else f"{emoji} {timed} · {count}"
    timed = f"{words} ({span})" if span else words
    return f"{emoji} {timed}{note}" if note else f"{emoji} {timed}: {count}"


def item_emoji(item: DigestItem) -> str:
    """The first category's emoji, as an alert would show it."""
    return item.categories[0].emoji if item.categories else _FALLBACK_EMOJI


def more_events(count: int) -> str:
    """'and 3 more events': what did not fit in the message."""
    return f"and {count} more {'event' if count == 1 else 'events'}"


@dataclass(frozen=True, slots=True)
class ItemStyle:
    """A platform's markup for one event of a digest."""

    escape: Callable[[str], str]  # makes feed text inert on the platform
    link: Callable[[str, str], str]  # (safe url, escaped title) → the linked title
    plain: Callable[[str], str] = str  # an escaped title shown unlinked (no safe or short URL)
    title_prefix: str = ""  # before the emoji: "  • " on the console
    meta_prefix: str = ""  # before the categories · reports · outlets line


def meta_line(item: DigestItem, style: ItemStyle, limit: int) -> str:
    """'Standards, Elections · 4 reports · BBC News, The Guardian' within limit (outlets cut
    first, then categories)."""
    count = reports_phrase(item.reports) + (f" ({UPDATED_NOTE})" if item.updated else "")
    room = limit - text_len(style.meta_prefix) - text_len(count)
    labels = [c.label for c in item.categories if c.label.strip()]
    named = join_fit(labels, style.escape, min(200, room - 3), sep=", ") if room > 23 else ""
    line = f"{named} · {count}" if named else count
    outlets = [o for o in item.outlets if o.strip()]
    outlet_room = limit - text_len(style.meta_prefix) - text_len(line) - 3
    if outlets and outlet_room > 10:
        line += " · " + join_fit(outlets, style.escape, outlet_room, sep=", ")
    return style.meta_prefix + line


def item_text(item: DigestItem, style: ItemStyle, room: int) -> str | None:
    """The event's title line (linked where the link fits) and its meta line, within room;
    None when not even a cut title fits."""
    meta = meta_line(item, style, min(room // 2, 400))
    head_room = room - text_len(meta) - 1
    opening = f"{style.title_prefix}{item_emoji(item)} "
    url = safe_url(item.link)
    for linked in (True, False) if url else (False,):
        markup = style.link(url, "") if linked and url else style.plain("")
        title_room = min(_TITLE_MAX, head_room - text_len(opening) - text_len(markup))
        if title_room < _MIN_TITLE:
            continue
        title = fit(item.title, style.escape, title_room) or "(untitled)"
        shown = style.link(url, title) if linked and url else style.plain(title)
        return f"{opening}{shown}\n{meta}"
    return None


def fit_items(
    items: tuple[DigestItem, ...],
    render: Callable[[DigestItem, int], str | None],
    budget: int,
    *,
    sep: str = "\n",
) -> tuple[list[str], int]:
    """Each event rendered within its share of budget (what a short one leaves goes to those
    after it; never less than EVENTS_PER_MESSAGE can share), and how many did not fit."""
    kept: list[str] = []
    used = 0
    room_total = budget - MORE_ROOM
    floor = room_total // EVENTS_PER_MESSAGE - text_len(sep)
    for index, item in enumerate(items):
        separator = text_len(sep) if kept else 0
        left = room_total - used - separator
        share = min(left, max(floor, min(ITEM_MAX, left // (len(items) - index))))
        text = render(item, share) if share > 0 else None
        if text is None or text_len(text) > left:
            return kept, len(items) - index
        kept.append(text)
        used += separator + text_len(text)
    return kept, 0
