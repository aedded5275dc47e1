"""What later reports of an alerted event do for each destination: edit, reply or follow up.

- Destinations that can edit (Discord webhooks and bot channels, Slack bot channels, the
  console) edit the alert in place, at most once per `[events] edit_interval` seconds.
- Bot channels set to `thread` get a reply under the alert instead, just as often.
- Destinations that cannot edit (Slack-format webhooks, so Mattermost and Rocket.Chat), and
  alerts whose edits the platform has used up, get at most one "N more reports" follow-up per
  event per hour while it grows.
- `off` does nothing; a deleted alert message gets nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import aiosqlite

from bot.store import updates as update_store

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
    if updates == "off" or GONE in (edit_status, reply_status):
        return None
    if updates == "thread" and destination_kind in THREADED:
        return "reply"
    if destination_kind in EDITABLE and edit_status != EXHAUSTED:
        return "edit"
    return "followup"


async def arm(
    conn: aiosqlite.Connection, event_ids: Sequence[int], *, now: datetime, edit_interval: float
) -> int:
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
    return armed
