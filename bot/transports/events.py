"""What every format shows of a grown event, decided once: which alerts show it, how many lines."""

from __future__ import annotations

from bot.domain import Alert, EventState, FollowUp, Report

LATEST_SHOWN = 3  # headlines an updated alert lists: enough to see where the story went
FOLLOW_UP_SHOWN = 5  # headlines a follow-up lists


def grown(alert: Alert) -> EventState | None:
    """The event state to show, or None when the alert is still its first report alone (a
    development, which names what it continues, or a breaking event shows it from the start)."""
    event = alert.event
    if event is None:
        return None
    return event if event.reports > 1 or event.continues or event.breaking else None


def reports_phrase(count: int) -> str:
    """'4 reports' / '1 report'."""
    return f"{count} report" if count == 1 else f"{count} reports"


def latest_of(event: EventState) -> tuple[Report, ...]:
    """The newest few reports an updated alert lists."""
    return event.latest[:LATEST_SHOWN]


def follow_up_reports(follow_up: FollowUp) -> tuple[Report, ...]:
    """The newest reports a follow-up lists."""
    return follow_up.latest[:FOLLOW_UP_SHOWN]


def follow_up_heading(follow_up: FollowUp) -> str:
    """'3 more reports on' (the title follows, linked where the platform can)."""
    noun = "report" if follow_up.more == 1 else "reports"
    return f"{follow_up.more} more {noun} on"
