"""What later reports of an alerted event do for each destination: edit, reply or follow up.

- Destinations that can edit (Discord webhooks and bot channels, Slack bot channels, the
  console) edit the alert in place, at most once per `[events] edit_interval` seconds.
- Bot channels set to `thread` get a reply under the alert instead, just as often.
- Destinations that cannot edit (Slack-format webhooks, so Mattermost and Rocket.Chat), and
  alerts whose edits the platform has used up, get at most one "N more reports" follow-up per
  event per hour while it grows.
- `off` does nothing; a deleted alert message gets nothing more.

When Parliament confirms a defection, each destination gets one more update the same way (its
confirmation row), whether or not new reports came.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.store import updates as update_store
from bot.store.sql import Conn
from bot.store.updates import CONFIRMATION

EDITABLE = frozenset({"console", "discord", "webhook:discord", "slack"})
THREADED = frozenset({"discord", "slack"})
FOLLOW_UP_EVERY = timedelta(hours=1)
# Statuses of an update row that say the alert message can take no more of that kind.
GONE, EXHAUSTED = "gone", "exhausted"


def update_kind(
    destination_kind: str, updates: str, rows: dict[str, tuple[str, object]]
) -> str | None:
    """Which update row a destination gets when its alerted event grows (None: nothing)."""
    edit_status = rows.get("edit", ("", None))[0]
    reply_status = rows.get("reply", ("", None))[0]
    confirm_status = rows.get(CONFIRMATION, ("", None))[0]  # it edits or replies too
    if updates == "off" or GONE in (edit_status, reply_status, confirm_status):
        return None
    if updates == "thread" and destination_kind in THREADED:
        return "reply"
    if destination_kind in EDITABLE and EXHAUSTED not in (edit_status, confirm_status):
        return "edit"
    return "followup"


async def arm(conn: Conn, event_ids: Sequence[int], *, now: datetime, edit_interval: float) -> int:
    """Re-arm the update rows of events that have new reports; returns how many were armed."""
    armed = 0
    for event_id in event_ids:
        for told in await update_store.told_of(conn, event_id):
            kind = update_kind(told.kind, told.updates, dict(told.rows))
            if kind is None:
                continue
            every = FOLLOW_UP_EVERY if kind == "followup" else timedelta(seconds=edit_interval)
            last_sent = told.rows.get(kind, ("", None))[1]
            due = max(now, last_sent + every) if last_sent is not None else now
            armed += await update_store.arm_row(
                conn, told.destination_id, event_id, kind, due=due, now=now
            )
            if told.rows.get(CONFIRMATION, ("", None))[0] == EXHAUSTED:
                # The platform refused the confirmation's edit: it comes as a follow-up instead.
                armed += await update_store.add_confirmation_row(
                    conn, told.destination_id, event_id, kind, now
                )
    return armed


async def arm_confirmation(conn: Conn, event_id: int, *, now: datetime) -> int:
    """Queue, for every destination told of the event, one update saying Parliament confirmed
    it: an edit of the alert, a reply in its thread, or one follow-up, sent once, due now."""
    armed = 0
    for told in await update_store.told_of(conn, event_id):
        kind = update_kind(told.kind, told.updates, dict(told.rows))
        if kind is not None:
            armed += await update_store.add_confirmation_row(
                conn, told.destination_id, event_id, kind, now
            )
    return armed
