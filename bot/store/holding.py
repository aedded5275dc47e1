"""Outbox rows that channel control holds back: quiet hours, a mute or a digest.

A held row keeps its place (status 'held', and why in `held`) until it is released to be sent
as it is ('pending', `held` = 'released' so it is not held again) or taken into a digest
(alerts become 'digested'; updates count as 'sent', the digest having shown their event).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.store.connection import from_db, to_db
from bot.store.sql import Conn

RELEASED = "released"


@dataclass(frozen=True, slots=True)
class HeldRow:
    """One held message."""

    id: int
    destination_id: int
    kind: str  # "alert", "reply", "followup", "edit" (a confirmation may be any)
    event_id: int | None
    message: str
    held: str  # why: "muted", "quiet", "digest"
    held_at: datetime  # when it was queued
    breaking: bool = False  # its event has become breaking since


async def hold(conn: Conn, row_id: int, reason: str) -> None:
    """Keep a claimed row back: it is not sent until released or taken into a digest."""
    await conn.execute(
        "UPDATE outbox SET status = 'held', held = ?, lease_until = NULL WHERE id = ?",
        (reason, row_id),
    )


async def held_rows(conn: Conn) -> list[HeldRow]:
    """Every held row of an active destination, oldest first."""
    rows = await conn.execute_fetchall(
        "SELECT o.id, o.destination_id, o.kind, o.event_id, o.message, o.held, o.created_at, "
        "s.breaking_at IS NOT NULL FROM outbox o JOIN destinations d ON d.id = o.destination_id "
        "LEFT JOIN stories s ON s.id = o.event_id "
        "WHERE o.status = 'held' AND d.active = 1 ORDER BY o.destination_id, o.id"
    )
    return [
        HeldRow(
            int(r[0]), int(r[1]), str(r[2]), r[3], str(r[4]), str(r[5]), _when(r[6]), bool(r[7])
        )
        for r in rows
    ]


def _when(stamp: str) -> datetime:
    moment = from_db(stamp)
    assert moment is not None  # noqa: S101 - created_at is NOT NULL
    return moment


async def release(conn: Conn, row_ids: Sequence[int], now: datetime) -> None:
    """Send these held rows as they are, now, without holding them again."""
    await conn.executemany(
        "UPDATE outbox SET status = 'pending', held = ?, next_attempt_at = ?, attempts = 0 "
        "WHERE id = ? AND status = 'held'",
        [(RELEASED, to_db(now), row_id) for row_id in row_ids],
    )


async def digested(
    conn: Conn,
    alerts: Sequence[int],
    updates: Sequence[tuple[int, int]],
    now: datetime,
) -> None:
    """A digest listed these: alert rows are done with; update rows (id, reports shown) count
    as sent, so the event's later reports re-arm them as usual."""
    stamp = to_db(now)
    await conn.executemany(
        "UPDATE outbox SET status = 'digested', sent_at = ? WHERE id = ? AND status = 'held'",
        [(stamp, row_id) for row_id in alerts],
    )
    await conn.executemany(
        "UPDATE outbox SET status = 'sent', sent_at = ?, held = NULL, "
        "told_reports = CASE WHEN told_reports > ? THEN told_reports ELSE ? END "
        "WHERE id = ? AND status = 'held'",
        [(stamp, told, told, row_id) for row_id, told in updates],
    )


async def enqueue_digest(
    conn: Conn, destination_id: int, key: str, message: str, now: datetime
) -> bool:
    """Queue one digest message (never held: it is what holding was waiting for)."""
    async with conn.execute(
        "INSERT INTO outbox (destination_id, dedupe_key, message, created_at, next_attempt_at, "
        "kind, held) VALUES (?, ?, ?, ?, ?, 'digest', ?) ON CONFLICT DO NOTHING RETURNING id",
        (destination_id, key, message, to_db(now), to_db(now), RELEASED),
    ) as cursor:
        return await cursor.fetchone() is not None


async def held_count(conn: Conn, destination_id: int) -> int:
    """How many messages a destination has waiting for quiet hours, a mute or a digest."""
    rows = await conn.execute_fetchall(
        "SELECT COUNT(*) FROM outbox WHERE destination_id = ? AND status = 'held'",
        (destination_id,),
    )
    return int(next(iter(rows))[0])
