"""Slack rendering of a grown event (coverage, latest reports, times) and of a follow-up.

Times go out as <!date^UNIX^{time}|fallback> tokens so each reader sees their own time zone;
the fallback (UTC) is what Mattermost, Rocket.Chat and notifications show.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain import EventState, FollowUp, Report
from bot.transports.events import (
    follow_up_heading,
    follow_up_reports,
    latest_of,
    reports_phrase,
)
from bot.transports.text import as_utc, escape_slack, fit, join_fit, safe_url, text_len

TEXT_MAX = 3000  # Block Kit text object limit
BREAKING = "🚨 *Breaking*"
_REPORT_TITLE_MAX = 300
_TITLE_MAX = 500  # a readable title, far inside TEXT_MAX
_URL_ROOM = 10  # "<", "|", ">" and a few characters of title at least


def clock(moment: datetime) -> str:
    """A time of day in the reader's zone, '12:02 UTC' where the token cannot be shown."""
    when = as_utc(moment)
    return f"<!date^{int(when.timestamp())}^{{time}}|{when:%H:%M} UTC>"


def linked(url: str | None, title: str, limit: int) -> str:
    """'<url|escaped title>' within limit, or the escaped title alone when the link cannot fit."""
    limit = min(limit, _TITLE_MAX + (text_len(url) + 3 if url else 0))
    if url is None or text_len(url) + _URL_ROOM > limit:
        return fit(title, escape_slack, limit) or "(untitled)"
    label = fit(title, escape_slack, limit - text_len(url) - 3) or "(untitled)"
    return f"<{url}|{label}>"


def report_line(report: Report, room: int) -> str | None:
    """'• <url|title> — Outlet · time' within room, or None when not even a cut title fits."""
    outlet = fit(report.outlet, escape_slack, 100)
    tail = (f" — {outlet}" if outlet else "") + f" · {clock(report.seen)}"
    title_room = min(_REPORT_TITLE_MAX, room - text_len(tail) - 2)
    if title_room < 20:
        return None
    return "• " + linked(safe_url(report.link), report.title, title_room) + tail


def report_lines(reports: tuple[Report, ...], budget: int) -> list[str]:
    """As many report lines as fit in budget (joined by newlines), newest first."""
    kept: list[str] = []
    used = -1
    for report in reports:
        line = report_line(report, budget - used - 1)
        if line is None:
            break
        kept.append(line)
        used += 1 + text_len(line)
    return kept


def coverage(event: EventState, limit: int = TEXT_MAX) -> str:
    """'*4 reports* · BBC News, …', what it continues, first and last report times."""
    head = f"*{reports_phrase(event.reports)}*"
    times = f"First report {clock(event.first_seen)} · latest {clock(event.last_seen)}"
    lines = []
    if event.continues:
        lines.append("↪ Continues: " + fit(event.continues, escape_slack, 300))
    used = sum(text_len(line) + 1 for line in lines) + text_len(head) + text_len(times) + 4
    outlets = [o for o in event.outlets if o.strip()]
    named = join_fit(outlets, escape_slack, limit - used, sep=", ") if limit > used else ""
    lines.append(f"{head} · {named}" if named else head)
    lines.append(times)
    return "\n".join(lines)


def latest_text(event: EventState, budget: int = TEXT_MAX) -> str:
    """'*Latest*' and the newest few reports, linked, within budget ("" when none fits)."""
    lines = report_lines(latest_of(event), budget - len("*Latest*\n"))
    return "\n".join(["*Latest*", *lines]) if lines else ""


def follow_up_heading_text(follow_up: FollowUp) -> str:
    """'📰 3 more reports on <url|title>'."""
    heading = f"📰 {follow_up_heading(follow_up)} "
    return heading + linked(safe_url(follow_up.link), follow_up.title, TEXT_MAX - 200)


def follow_up_listing(follow_up: FollowUp) -> str:
    """The newest reports of a follow-up, one a line."""
    return "\n".join(report_lines(follow_up_reports(follow_up), TEXT_MAX - 40))


def follow_up_blocks(follow_up: FollowUp) -> list[dict[str, Any]]:
    """Block Kit for a follow-up: heading, then the newest reports."""
    blocks = [_section(follow_up_heading_text(follow_up))]
    listing = follow_up_listing(follow_up)
    if listing:
        blocks.append(_section(listing))
    return blocks


def follow_up_text(follow_up: FollowUp) -> str:
    """The fallback text (all Mattermost and Rocket.Chat show): heading and listing."""
    listing = follow_up_listing(follow_up)
    heading = follow_up_heading_text(follow_up)
    return f"{heading}\n{listing}" if listing else heading


def _section(text: str) -> dict[str, Any]:
    # verbatim: Slack must not auto-link bare URLs or #channel names in feed text.
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}
