"""Text safety shared by the formatters: cleaning, escaping, safe URLs and fitting to limits.

Feed text is hostile. Everything here assumes it may try to ping (@everyone, <@&id>, <!channel>),
inject markup or masked links, hide itself with bidi overrides, or be 100 KB long.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit, urlunsplit

ELLIPSIS = "…"
ZWSP = "\u200b"  # zero-width space: breaks a token without showing anything
WORD_JOINER = "\u2060"

# No output field needs more than a few thousand characters; capping the input first keeps
# every later step cheap even for a 100 KB title.
_MAX_INPUT = 20_000
_MAX_URL = 2048

# Controls (C0 except whitespace, DEL, C1), bidi embeddings/overrides/isolates and marks, and
# invisible characters that could hide or split a token. ZWJ/ZWNJ stay: emoji and scripts need them.
_HOSTILE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b\u200e\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]"
)

# Discord markdown that feed text must not trigger; backslash escapes work for any punctuation.
_DISCORD_MARKDOWN = re.compile(r"([\\*_~`|>#\[\]()])")
_DISCORD_LEADING_BULLET = re.compile(r"^([-+])(?=\s)")
_DISCORD_LEADING_NUMBER = re.compile(r"^(\d+)\.(?=\s)")
_DISCORD_EVERYONE = re.compile(r"@(?=(?:everyone|here)\b)", re.IGNORECASE)

# Slack has no escape character for mrkdwn: a zero-width space on each side of a marker stops it
# pairing. Mattermost and Rocket.Chat read the same text as Markdown, where "](" makes a link.
_SLACK_MARKERS = re.compile(r"([*_~`])")
_SLACK_AT = re.compile(r"@(?=\w)")  # Mattermost/Rocket.Chat ping on bare @channel, @all, @name

_URL_SAFE = "/%:@!$&'*+,;=~-._?#"  # kept as is; everything else is percent-encoded


def clean_text(text: str) -> str:
    """Strip control, bidi and invisible characters and collapse all whitespace to single spaces."""
    return " ".join(_HOSTILE.sub("", text[:_MAX_INPUT]).split())


def escape_discord(text: str) -> str:
    """Make feed text inert in Discord markdown: no formatting, masked links or mentions."""
    text = clean_text(text)
    text = _DISCORD_MARKDOWN.sub(r"\\\1", text)
    text = _DISCORD_LEADING_BULLET.sub(r"\\\1", text)  # "- x" and "1. x" would start a list
    text = _DISCORD_LEADING_NUMBER.sub(r"\1\\.", text)
    # allowed_mentions already stops pings; these keep the raw syntax from rendering as a mention.
    text = _DISCORD_EVERYONE.sub("@" + ZWSP, text)
    return text.replace("<", "<" + ZWSP)


def escape_slack(text: str) -> str:
    """Make feed text inert in Slack mrkdwn, Mattermost and Rocket.Chat: no pings, markup, links."""
    text = clean_text(text)
    text = text.replace("&", "&amp;").replace(">", "&gt;")
    # The word joiner keeps "<!channel>" inert even in clients that decode &lt; before parsing.
    text = text.replace("<", "&lt;" + WORD_JOINER)
    text = _SLACK_AT.sub("@" + WORD_JOINER, text)
    text = _SLACK_MARKERS.sub(ZWSP + r"\1" + ZWSP, text)
    text = text.replace("](", "]" + ZWSP + "(")
    if text.startswith(("&gt;", "#")):  # block quote / Markdown heading at the start of a line
        text = ZWSP + text
    return text


def safe_url(url: str) -> str | None:
    """An absolute http(s) URL with unsafe characters percent-encoded, or None if it is not one.

    Encoded: spaces, quotes, backslashes, '|', '<', '>', '(', ')', brackets and non-ASCII, so the
    URL cannot end a Slack <url|label> or Discord [label](url) early or smuggle in markup.
    """
    url = url.strip()
    if not url or len(url) > _MAX_URL or _HOSTILE.search(url):
        return None
    try:
        parts = urlsplit(url)
        netloc, host, port = parts.netloc, parts.hostname, parts.port  # port: ValueError if bad
    except ValueError:
        return None
    # user:pass@host lets a link read as one site and go to another.
    if parts.scheme.lower() not in {"http", "https"} or not host or "@" in netloc:
        return None
    if not netloc.isascii():
        try:
            netloc = host.encode("idna").decode("ascii") + (f":{port}" if port else "")
        except UnicodeError:
            return None
    if any(c.isspace() or c in "<>|\\\"'`{}^()" for c in netloc):
        return None
    rebuilt = urlunsplit(
        (
            parts.scheme.lower(),
            netloc,
            quote(parts.path, safe=_URL_SAFE),
            quote(parts.query, safe=_URL_SAFE),
            quote(parts.fragment, safe=_URL_SAFE),
        )
    )
    return rebuilt if len(rebuilt) <= _MAX_URL else None


def as_utc(moment: datetime) -> datetime:
    """The same instant in UTC; a naive datetime (against the domain contract) is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def text_len(text: str) -> int:
    """Length in UTF-16 code units: never less than what Discord or Slack counts."""
    return len(text.encode("utf-16-le")) // 2


def listing(lines: Iterable[str], count: int, budget: int) -> list[str]:
    """As many of `lines` as fit in `budget` (joined by newlines), then "and N more" of `count`."""
    kept: list[str] = []
    used = -1  # no newline before the first line
    for line in lines:
        used += 1 + text_len(line)
        if used > budget:
            break
        kept.append(line)
    if count > len(kept):
        kept.append(f"and {count - len(kept)} more")
    return kept


def fit(text: str, render: Callable[[str], str], limit: int) -> str:
    """render(text), or the longest rendered prefix that fits within limit with an ellipsis.

    Cutting the raw text before rendering means an escape sequence is never split in half.
    """
    text = clean_text(text)
    whole = render(text)
    if text_len(whole) <= limit:
        return whole
    budget = limit - text_len(ELLIPSIS)
    low, high = 0, min(len(text), limit)  # rendering never shortens text, so limit bounds the cut
    while low < high:
        mid = (low + high + 1) // 2
        if text_len(render(text[:mid])) <= budget:
            low = mid
        else:
            high = mid - 1
    return render(text[:low]) + ELLIPSIS if budget > 0 else ""


def join_fit(
    items: Iterable[str], render: Callable[[str], str], limit: int, *, sep: str = "\n"
) -> str:
    """Render and join items until limit; an item that no longer fits is cut or replaced by '…'."""
    out = ""
    for item in items:
        piece = render(item)
        joined = out + sep + piece if out else piece
        if text_len(joined) <= limit:
            out = joined
            continue
        room = limit - text_len(out + sep if out else "")
        if room > 20 or not out:  # worth showing a cut item rather than just an ellipsis
            cut = fit(item, render, room)
            return out + sep + cut if out else cut
        return out + sep + ELLIPSIS if text_len(out + sep + ELLIPSIS) <= limit else out
    return out


def after_label(label: str, title: str) -> tuple[bool, str]:
    """Whether the heading should show the label, and the title to show after it.

    Outlets prefix their own label ("PMQs: Starmer tells…", "PMQs live: …"); a heading of
    "PMQs: PMQs: …" wastes the most-read characters of the alert. A leading "<label>:" or
    "<label> -" goes (the heading shows the label); a title that opens with the label in other
    words ("PMQs live: …", "PMQs-style …") is shown whole, without the label before it.
    """
    match = re.match(rf"\s*{re.escape(label)}\s*(?::|\s[-–—|])\s*", title, re.IGNORECASE)
    if match:
        rest = title[match.end() :]
        return True, rest if rest.strip() else title
    if re.match(rf"\s*{re.escape(label)}(?![^\W_])", title, re.IGNORECASE):
        return False, title
    return True, title
