"""Turning an outbox row into what to send now: an alert with its event as it stands, an edit,
a thread reply or a follow-up — or nothing, when the destination has already seen every report.

Messages are rendered when sent, not when queued, so the latest state wins: ten reports in
one minute make one edit showing all ten.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.delivery.messages import Message, load_message
from bot.domain import Alert, EventState, FollowUp
from bot.store import events as event_store
from bot.store import stories, updates
from bot.store.outbox import OutboxRow
from bot.store.sql import Conn
from bot.store.updates import CONFIRMATION


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What to do for one row: send `message` (as `action`), or nothing (`message` None)."""

    action: str  # "send", "edit", "reply"
    message: Message | None
    remote_id: str = ""  # the alert's platform id, for "edit" and "reply"
    told_reports: int | None = None  # how many reports the destination will have seen
    wait: bool = False  # the alert is not sent yet: try this update again later


async def with_event(conn: Conn, alert: Alert) -> tuple[Alert, int | None]:
    """The alert showing its event as it stands now, and how many reports that is."""
    state = await event_store.event_state(conn, alert.story_id)
    if state is None:
        # An alert from before events: "also reported by" as it was.
        others = await stories.also_reported_by(conn, alert.story_id, alert.outlet)
        return (replace(alert, also_reported_by=others) if others else alert), None
    others = tuple(o for o in state.outlets if o != alert.outlet)
    return replace(alert, event=_shown(state), also_reported_by=others), state.reports


def _shown(state: EventState) -> EventState | None:
    # One report is just the alert itself: nothing more to show.
    shown = state.reports > 1 or state.breaking or state.continues or state.confirmed
    return state if shown else None


async def outgoing(conn: Conn, row: OutboxRow) -> Outgoing:
    """What sending this row means now."""
    if row.kind == "alert" or row.event_id is None:
        message = load_message(row.message)
        if isinstance(message, Alert):
            alert, told = await with_event(conn, message)
            return Outgoing("send", alert, told_reports=told)
        return Outgoing("send", message)
    alert_row = await updates.sent_alert(conn, row.destination_id, row.event_id)
    if alert_row is None or alert_row.status != "sent":
        # Once sent, the alert shows every report so far; until then an update has nothing to do.
        waiting = alert_row is not None and alert_row.status == "pending"
        return Outgoing("send", None, wait=waiting)
    original = load_message(alert_row.message)
    if not isinstance(original, Alert):
        return Outgoing("send", None)
    remote_id = alert_row.remote_id or ""
    if row.message == CONFIRMATION:
        return await _confirmation(conn, row, original, remote_id)
    told = max(alert_row.told_reports, row.told_reports)
    if row.kind == "edit":
        update = _edit(conn, original, remote_id, told)
    else:
        update = _more(conn, row, original, remote_id, told)
    return await update


async def _edit(conn: Conn, original: Alert, remote_id: str, told: int) -> Outgoing:
    alert, reports = await with_event(conn, original)
    if reports is None or reports <= told:
        return Outgoing("edit", None)
    return Outgoing("edit", alert, remote_id, reports)


async def _more(conn: Conn, row: OutboxRow, original: Alert, remote_id: str, told: int) -> Outgoing:
    assert row.event_id is not None  # noqa: S101 - update rows always name their event
    more, latest = await event_store.reports_since(conn, row.event_id, told)
    if not more:
        return Outgoing("reply", None)
    followup = FollowUp(
        event_id=row.event_id,
        title=original.title,
        link=original.link,
        more=more,
        latest=latest,
        categories=original.categories,
    )
    action = "reply" if row.kind == "reply" else "send"
    return Outgoing(action, followup, remote_id, told + more)


async def _confirmation(conn: Conn, row: OutboxRow, original: Alert, remote_id: str) -> Outgoing:
    """Parliament confirmed the event: the alert edited to say so, or a follow-up saying it."""
    assert row.event_id is not None  # noqa: S101 - update rows always name their event
    alert, reports = await with_event(conn, original)
    confirmed = alert.event.confirmed if alert.event is not None else None
    if confirmed is None:
        return Outgoing("send", None)
    if row.kind == "edit":
        return Outgoing("edit", alert, remote_id, reports)
    followup = FollowUp(
        event_id=row.event_id,
        title=original.title,
        link=original.link,
        more=0,  # the reports themselves are left to the ordinary follow-ups
        latest=(),
        categories=original.categories,
        confirmed=confirmed,
    )
    return Outgoing("reply" if row.kind == "reply" else "send", followup, remote_id)
