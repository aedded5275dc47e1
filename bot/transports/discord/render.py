"""A command Reply as Discord message text: every string escaped, every link made safe.

Replies carry feed titles and user-chosen names, so nothing in them may format, ping or mask a
link; the platform-neutral Reply keeps text and links apart so this is the only place that
writes Discord markup.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.commands import Link, Reply, Segment
from bot.transports.text import ELLIPSIS, escape_discord, fit, safe_url, text_len

CONTENT_MAX = 2000  # Discord's limit for a message's content
MAX_CHUNKS = 5  # a reply longer than this many messages is cut with a note


def _text(segment: str) -> str:
    """Escaped text that keeps a single space at either end, as segments are joined as is."""
    # escape_discord collapses whitespace, which would glue "Story: " to the segment after it.
    lead = " " if segment[:1].isspace() else ""
    trail = " " if segment[-1:].isspace() and segment.strip() else ""
    return lead + escape_discord(segment) + trail


def _link(link: Link) -> str:
    """A masked link, its URL in <> so Discord shows no preview; plain text if the URL is unsafe."""
    url = safe_url(link.url)
    label = fit(link.text, escape_discord, 300) or (escape_discord(link.url) if url else "")
    if url is None:
        return label
    # safe_url percent-encodes <, > and parentheses, so the URL cannot close the link early.
    return f"[{label}](<{url}>)"


def render_line(line: Iterable[Segment]) -> str:
    """One reply line as Discord markdown, within the content limit."""
    out = "".join(_link(s) if isinstance(s, Link) else _text(s) for s in line)
    if text_len(out) <= CONTENT_MAX:
        return out
    # Only a line of long links can get here: fall back to its plain, escaped text.
    plain = "".join(s.text if isinstance(s, Link) else s for s in line)
    return fit(plain, escape_discord, CONTENT_MAX)


def render_reply(reply: Reply) -> list[str]:
    """The reply as one or more message texts of at most 2000 characters, split between lines."""
    chunks: list[str] = []
    current = ""
    for line in reply.lines:
        text = render_line(line) or ELLIPSIS
        joined = f"{current}\n{text}" if current else text
        if text_len(joined) <= CONTENT_MAX:
            current = joined
            continue
        chunks.append(current)
        current = text
    if current:
        chunks.append(current)
    if len(chunks) > MAX_CHUNKS:
        dropped = len(chunks) - MAX_CHUNKS + 1
        chunks = [*chunks[: MAX_CHUNKS - 1], f"{ELLIPSIS} and {dropped} more message(s) left out."]
    return chunks or [ELLIPSIS]
