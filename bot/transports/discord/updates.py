"""Discord rendering of a grown event (coverage, latest reports, times) and of a follow-up.

Times go out as <t:UNIX:…> tokens so each reader sees their own time zone.
"""

from __future__ import annotations

from typing import Any

from bot.domain import EventState, FollowUp, Report
from bot.transports.events import (
    follow_up_heading,
    follow_up_reports,
    latest_of,
    reports_phrase,
)
from bot.transports.text import as_utc, escape_discord, fit, join_fit, listing, safe_url, text_len

FIELD_VALUE_MAX = 1024
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
BREAKING = "🚨 Breaking"
CONTINUES_MAX = 300
_REPORT_TITLE_MAX = 200


def stamp(moment: Any, style: str = "t") -> str:
    """Discord's timestamp token: each reader sees the moment in their own time zone."""
    return f"<t:{int(as_utc(moment).timestamp())}:{style}>"


def report_line(report: Report, title_max: int = _REPORT_TITLE_MAX, *, linked: bool = True) -> str:
    """'• [title](url) — Outlet · <t:…:t>', every feed string escaped."""
    title = fit(report.title, escape_discord, title_max) or "(untitled)"
    url = safe_url(report.link) if linked else None
    # safe_url percent-encodes ')' and the like, so the URL cannot end the masked link early.
    line = f"• [{title}]({url})" if url else f"• {title}"
    outlet = fit(report.outlet, escape_discord, 100)
    if outlet:
        line += f" — {outlet}"
    return f"{line} · {stamp(report.seen)}"


def fitting_line(report: Report, room: int) -> str | None:
    """The report's line within `room`: whole, then without its link, then with a cut title."""
    for linked in (True, False):
        line = report_line(report, linked=linked)
        if text_len(line) <= room:
            return line
    # Without a link the line is the title plus a bounded tail: cut the title to the room left.
    bare = report_line(Report("", "", report.outlet, report.seen), linked=False)
    tail = text_len(bare) - len("(untitled)")
    title_room = room - tail
    return report_line(report, title_room, linked=False) if title_room >= 20 else None


def _coverage(event: EventState) -> str:
    """'4 reports · BBC News, The Guardian' then first and last report times."""
    head = reports_phrase(event.reports)
    times = f"First report {stamp(event.first_seen)} · latest {stamp(event.last_seen)}"
    room = FIELD_VALUE_MAX - text_len(head) - text_len(times) - 4
    outlets = join_fit([o for o in event.outlets if o.strip()], escape_discord, room, sep=", ")
    return f"{head} · {outlets}\n{times}" if outlets else f"{head}\n{times}"


def latest_field(event: EventState, budget: int) -> dict[str, Any] | None:
    """The "Latest" field within `budget` characters (newest first), or None when none fits."""
    budget = min(budget, FIELD_VALUE_MAX)
    kept: list[str] = []
    used = -1  # no newline before the first line
    for report in latest_of(event):
        line = fitting_line(report, budget - used - 1)
        if line is None:
            break
        kept.append(line)
        used += 1 + text_len(line)
    if not kept:
        return None
    return {"name": "Latest", "value": "\n".join(kept), "inline": False}


def event_fields(event: EventState) -> list[dict[str, Any]]:
    """Coverage and, for a development, what it continues (the Latest field is fitted apart)."""
    fields = [{"name": "Coverage", "value": _coverage(event), "inline": False}]
    if event.continues:
        value = fit(event.continues, escape_discord, CONTINUES_MAX)
        if value:
            fields.append({"name": "Continues", "value": value, "inline": False})
    return fields


def follow_up_embed(follow_up: FollowUp, colour: int, footer: str) -> dict[str, Any]:
    """'N more reports on <title>' (linked) with the newest of them listed."""
    heading = f"📰 {follow_up_heading(follow_up)} "
    title = heading + fit(follow_up.title, escape_discord, TITLE_MAX - text_len(heading))
    embed: dict[str, Any] = {"title": title, "color": colour & 0xFFFFFF}
    url = safe_url(follow_up.link)
    if url:
        embed["url"] = url
    shown = follow_up_reports(follow_up)
    lines = listing((report_line(r) for r in shown), len(shown), DESCRIPTION_MAX - 40)
    if lines:  # Discord rejects an empty description
        embed["description"] = "\n".join(lines)
    embed["footer"] = {"text": footer}
    return embed
