"""Update rows of the outbox: one per (event, destination, kind), re-armed as the event grows.

An alert row is sent once; its event's later reports re-arm one row per destination that edits
the alert, replies in its thread or posts a follow-up, so a burst of reports makes one update.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain import story_key
from bot.store.connection import from_db, to_db
from bot.store.sql import Conn


@dataclass(frozen=True, slots=True)
class Told:
    """A destination that has (or will have) an event's alert, and its updates so far."""

    destination_id: int
    kind: str  # the destination's kind ("discord", "webhook:slack", …)
    updates: str  # the destination's setting: "edit", "thread", "off"
    # Update rows by kind ("edit", "reply", "followup", and CONFIRMATION for the destination's
    # confirmation row): (status, when last sent).
    rows: dict[str, tuple[str, datetime | None]]


# The message of a confirmation row: an update sent once, when Parliament confirms the event.
CONFIRMATION = "confirmed"


def update_key(kind: str, event_id: int) -> str:
    """The outbox dedupe key of an event's update row of one kind."""
    return f"{kind}:{event_id}"


def confirmation_key(event_id: int) -> str:
    """The outbox dedupe key of an event's confirmation row (one per destination)."""
    return f"confirmed:{event_id}"


async def told_of(conn: Conn, event_id: int) -> list[Told]:
    """The active destinations queued an event's alert, with their update rows."""
    rows = await conn.execute_fetchall(
        "SELECT o.destination_id, d.kind, d.updates FROM outbox o "
        "JOIN destinations d ON d.id = o.destination_id "
        # An alert held back (quiet hours, a digest) or listed in a digest has no message to
        # update: the digest, or the alert once released, shows the event as it then stands.
        "WHERE o.dedupe_key = ? AND d.active = 1 AND o.status NOT IN ('held', 'digested') "
        "ORDER BY o.destination_id",
        (story_key(event_id),),
    )
    told = {int(r[0]): Told(int(r[0]), str(r[1]), str(r[2]), {}) for r in rows}
    if not told:
        return []
    found = await conn.execute_fetchall(
        "SELECT destination_id, kind, status, sent_at, dedupe_key = ? FROM outbox "
        "WHERE event_id = ? AND kind != 'alert'",
        (confirmation_key(event_id), event_id),
    )
    for dest, kind, status, sent_at, confirming in found:
        if int(dest) in told:
            name = CONFIRMATION if confirming else str(kind)
            told[int(dest)].rows[name] = (str(status), from_db(sent_at))
    return list(told.values())


async def arm_row(
    conn: Conn,
    destination_id: int,
    event_id: int,
    kind: str,
    *,
    due: datetime,
    now: datetime,
) -> bool:
    """Make a destination's update row of `kind` pending (due at `due`); False if it already was
    pending or was stopped (a deleted message, edits used up)."""
    async with conn.execute(
        "INSERT INTO outbox (destination_id, dedupe_key, message, created_at, next_attempt_at, "
        "kind, event_id) VALUES (?, ?, '', ?, ?, ?, ?) "
        "ON CONFLICT (destination_id, dedupe_key) DO UPDATE SET status = 'pending', "
        "attempts = 0, next_attempt_at = excluded.next_attempt_at, last_error = NULL, "
        "lease_until = NULL WHERE outbox.status = 'sent' RETURNING id",
        (destination_id, update_key(kind, event_id), to_db(now), to_db(due), kind, event_id),
    ) as cursor:
        return await cursor.fetchone() is not None


async def add_confirmation_row(
    conn: Conn, destination_id: int, event_id: int, kind: str, now: datetime
) -> bool:
    """Queue a destination's one confirmation update (an edit, reply or follow-up, as `kind`
    says); False if it already has one. Unlike the other update rows it is sent once, unless
    the platform refused its edit ("exhausted"): then it goes again as `kind`."""
    async with conn.execute(
        "INSERT INTO outbox (destination_id, dedupe_key, message, created_at, next_attempt_at, "
        "kind, event_id) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (destination_id, dedupe_key) DO UPDATE SET kind = excluded.kind, "
        "status = 'pending', attempts = 0, next_attempt_at = excluded.next_attempt_at, "
        "last_error = NULL, lease_until = NULL WHERE outbox.status = 'exhausted' RETURNING id",
        (
            destination_id,
            confirmation_key(event_id),
            CONFIRMATION,
            to_db(now),
            to_db(now),
            kind,
            event_id,
        ),
    ) as cursor:
        return await cursor.fetchone() is not None


async def stop_row(conn: Conn, row_id: int, status: str, reason: str) -> None:
    """Never send this update row again: status "gone" (message deleted) or "exhausted"."""
    await conn.execute(
        "UPDATE outbox SET status = ?, last_error = ?, lease_until = NULL WHERE id = ?",
        (status, reason, row_id),
    )


@dataclass(frozen=True, slots=True)
class SentAlert:
    """What an update needs of the alert it updates."""

    status: str
    remote_id: str | None
    message: str
    told_reports: int


async def sent_alert(conn: Conn, destination_id: int, event_id: int) -> SentAlert | None:
    """The destination's alert row for an event (None if it never had one)."""
    rows = list(
        await conn.execute_fetchall(
            "SELECT status, remote_id, message, told_reports FROM outbox "
            "WHERE destination_id = ? AND dedupe_key = ?",
            (destination_id, story_key(event_id)),
        )
    )
    if not rows:
        return None
    status, remote_id, message, told = rows[0]
    return SentAlert(str(status), remote_id, str(message), int(told))


async def told_reports(conn: Conn, row_ids: Sequence[int]) -> int:
    """The most reports any of these rows has shown its destination."""
    marks = ",".join("?" * len(row_ids)) or "NULL"
    rows = list(
        await conn.execute_fetchall(
            f"SELECT COALESCE(MAX(told_reports), 0) FROM outbox WHERE id IN ({marks})",
            tuple(row_ids),
        )
    )
    return int(rows[0][0]) if rows else 0
