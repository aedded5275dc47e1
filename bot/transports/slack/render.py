"""A command Reply as a Slack response_url message: mrkdwn where every string is escaped."""

from __future__ import annotations

from typing import Any

from bot.commands import Link, Reply, Segment
from bot.transports.text import escape_slack, fit, safe_url

LINK_TEXT_MAX = 300  # a readable link label; titles in the database are already capped
TEXT_MAX = 3000  # keeps a reply one readable message (Slack allows more, nobody reads it)


def _escape(text: str) -> str:
    # escape_slack collapses whitespace at the ends too, which would glue "🔀 " to a link.
    core = escape_slack(text)
    if not core:
        return " " if text[:1].isspace() or text[-1:].isspace() else ""
    lead = " " if text[:1].isspace() else ""
    trail = " " if text[-1:].isspace() else ""
    return lead + core + trail


def render_segment(segment: Segment) -> str:
    """One piece of a line: escaped text, or <safe_url|escaped label> (plain label if unsafe)."""
    if not isinstance(segment, Link):
        return _escape(segment)
    label = fit(segment.text, escape_slack, LINK_TEXT_MAX)
    url = safe_url(segment.url)
    if url is None:
        return label
    return f"<{url}|{label}>" if label else f"<{url}>"


def render_text(reply: Reply) -> str:
    """The reply's lines as mrkdwn; lines past the limit become one "…and N more lines"."""
    lines = ["".join(render_segment(s) for s in line) for line in reply.lines]
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        if used + len(line) + 1 > TEXT_MAX - 40:
            kept.append(f"…and {len(lines) - index} more lines")
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


def render_reply(reply: Reply) -> dict[str, Any]:
    """Keyword arguments for Bolt's respond(): text, visibility, unfurling off."""
    return {
        "text": render_text(reply),
        "response_type": "ephemeral" if reply.ephemeral else "in_channel",
        "unfurl_links": False,
        "unfurl_media": False,
    }
