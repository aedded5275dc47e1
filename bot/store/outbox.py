"""The durable outbox: one row per (story, destination), written with the seen keys, then sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.store.connection import from_db, to_db
from bot.store.sql import Conn, is_one_of, serialize_claims, skip_locked

_ROWS_PER_INSERT = 1_000  # 6 values a row: well under SQLite's 32,766 variables per statement


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A message claimed for sending."""

    id: int
    destination_id: int
    message: str
    attempts: int
    kind: str = "alert"  # "alert", or an update of one: "edit", "reply", "followup"
    event_id: int | None = None
    told_reports: int = 0  # how many of its event's reports this row last showed
    held: str | None = None  # "released": channel control held it once already; not again


async def enqueue(
    conn: Conn, destination_id: int, dedupe_key: str, message: str, now: datetime
) -> bool:
    """Queue a message; False when this destination already has it (never queued twice)."""
    async with conn.execute(
        "INSERT INTO outbox (destination_id, dedupe_key, message, created_at, next_attempt_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
        (destination_id, dedupe_key, message, to_db(now), to_db(now)),
    ) as cursor:
        return await cursor.fetchone() is not None


async def enqueue_many(
    conn: Conn,
    rows: Sequence[tuple[int, str, str]],
    now: datetime,
    *,
    event_id: int | None = None,
) -> int:
    """Queue (destination id, dedupe key, message) rows in one statement; returns how many were
    new (a destination that already has its key keeps the one it has, as with `enqueue`)."""
    if not rows:
        return 0
    stamp = to_db(now)
    # One statement per chunk for a whole fan-out: one row at a time, a story for many channels
    # spent most of its time in round trips (benchmarks/scale.py). RETURNING counts the new
    # rows on both backends (a conflict returns none).
    added = 0
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[start : start + _ROWS_PER_INSERT]
        values = ",".join(["(?, ?, ?, ?, ?, ?)"] * len(chunk))
        params = [v for d, k, m in chunk for v in (d, k, m, stamp, stamp, event_id)]
        async with conn.execute(
            "INSERT INTO outbox (destination_id, dedupe_key, message, created_at, "
            f"next_attempt_at, event_id) VALUES {values} ON CONFLICT DO NOTHING RETURNING id",
            params,
        ) as cursor:
            added += len(list(await cursor.fetchall()))
    return added


# What a sender may claim: due, unleased rows for working destinations of its kinds, and only of
# destinations no other sender is working through: one sender at a time per destination keeps
# its messages in order, however many replicas deliver.
_CLAIMABLE = (
    " FROM outbox o JOIN destinations d ON d.id = o.destination_id"
    " WHERE o.status = 'pending' AND o.next_attempt_at <= ?"
    " AND (o.lease_until IS NULL OR o.lease_until < ?)"
    " AND d.active = 1 AND d.broken_reason IS NULL AND {kinds}"
    " AND NOT EXISTS (SELECT 1 FROM outbox x WHERE x.destination_id = o.destination_id"
    " AND x.status = 'pending' AND x.lease_until >= ? AND x.lease_owner != ?)"
)


async def claim_due(
    conn: Conn,
    *,
    now: datetime,
    lease: float,
    limit: int,
    kinds: Sequence[str],
    owner: str = "",
    destinations_max: int | None = None,
) -> list[OutboxRow]:
    """Lease due rows to this sender; a crashed sender's lease expires and the row is retried.

    `destinations_max`: rows of at most that many destinations (those waiting longest), so
    replicas share the destinations out instead of one claiming them all.
    """
    await serialize_claims(conn)
    stamp = to_db(now)
    where = _CLAIMABLE.format(kinds=is_one_of("d.kind", len(kinds)))
    params: tuple[object, ...] = (stamp, stamp, *kinds, stamp, owner)
    if destinations_max is not None:
        chosen = await conn.execute_fetchall(
            f"SELECT o.destination_id{where} GROUP BY o.destination_id ORDER BY MIN(o.id) LIMIT ?",
            (*params, destinations_max),
        )
        ids = [row[0] for row in chosen]
        if not ids:
            return []
        where += " AND " + is_one_of("o.destination_id", len(ids))
        params = (*params, *ids)
    sql = (
        "UPDATE outbox SET lease_until = ?, lease_owner = ?, attempts = attempts + 1 WHERE id IN ("
        f" SELECT o.id{where} ORDER BY o.id LIMIT ?{skip_locked(conn, 'o')}"
        ") RETURNING id, destination_id, message, attempts, kind, event_id, told_reports, held"
    )
    lease_until = to_db(now + timedelta(seconds=lease))
    async with conn.execute(sql, (lease_until, owner, *params, limit)) as cursor:
        rows = await cursor.fetchall()
    return sorted((OutboxRow(*r) for r in rows), key=lambda r: r.id)


async def mark_sent(
    conn: Conn,
    row_id: int,
    now: datetime,
    remote_id: str | None,
    told_reports: int | None = None,
) -> None:
    """The chat API accepted the message (showing `told_reports` of its event's reports)."""
    await conn.execute(
        "UPDATE outbox SET status = 'sent', sent_at = ?, remote_id = COALESCE(?, remote_id), "
        "lease_until = NULL, last_error = NULL, told_reports = COALESCE(?, told_reports) "
        "WHERE id = ?",
        (to_db(now), remote_id, told_reports, row_id),
    )


async def mark_retry(conn: Conn, row_id: int, next_attempt: datetime, error: str) -> None:
    """A retryable failure: try again at `next_attempt`."""
    await conn.execute(
        "UPDATE outbox SET next_attempt_at = ?, last_error = ?, lease_until = NULL WHERE id = ?",
        (to_db(next_attempt), error, row_id),
    )


async def lease_owners(conn: Conn, now: datetime) -> list[str]:
    """Who holds the unexpired leases on pending rows."""
    async with conn.execute(
        "SELECT DISTINCT lease_owner FROM outbox WHERE status = 'pending' "
        "AND lease_until >= ? AND lease_owner IS NOT NULL AND lease_owner != ''",
        (to_db(now),),
    ) as cursor:
        return [row[0] for row in await cursor.fetchall()]


async def release_owner(conn: Conn, owner: str) -> int:
    """Give back every pending row a (dead) sender had leased; returns how many."""
    async with conn.execute(
        "UPDATE outbox SET lease_until = NULL, lease_owner = NULL "
        "WHERE status = 'pending' AND lease_owner = ? RETURNING id",
        (owner,),
    ) as cursor:
        return len(list(await cursor.fetchall()))


async def release(conn: Conn, row_id: int, not_before: datetime) -> None:
    """Give back a claimed row unsent (its destination is backing off), not counting a try."""
    stamp = to_db(not_before)
    await conn.execute(
        "UPDATE outbox SET lease_until = NULL, "
        "attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, "
        "next_attempt_at = CASE WHEN next_attempt_at > ? THEN next_attempt_at ELSE ? END "
        "WHERE id = ?",
        (stamp, stamp, row_id),
    )


async def next_attempt_of(conn: Conn, row_id: int) -> datetime | None:
    """When one row will next be tried."""
    async with conn.execute("SELECT next_attempt_at FROM outbox WHERE id = ?", (row_id,)) as cur:
        row = await cur.fetchone()
    return from_db(row[0]) if row else None


async def next_due_at(conn: Conn, *, kinds: Sequence[str]) -> datetime | None:
    """When the earliest pending row for these destination kinds becomes due."""
    marks = ",".join("?" * len(kinds)) or "NULL"
    sql = (
        "SELECT MIN(CASE WHEN o.lease_until > o.next_attempt_at THEN o.lease_until "
        "ELSE o.next_attempt_at END) FROM outbox o "
        "JOIN destinations d ON d.id = o.destination_id WHERE o.status = 'pending' "
        f"AND d.active = 1 AND d.broken_reason IS NULL AND d.kind IN ({marks})"
    )
    async with conn.execute(sql, tuple(kinds)) as cursor:
        row = await cursor.fetchone()
    return from_db(row[0]) if row and row[0] else None


async def depth(conn: Conn) -> int:
    """How many messages wait to be sent."""
    async with conn.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def pending_counts(conn: Conn) -> tuple[int, int]:
    """Pending messages: (waiting for a working destination, held for a broken or paused one)."""
    sql = (
        "SELECT COALESCE(SUM(CASE WHEN d.active = 1 AND d.broken_reason IS NULL THEN 1 ELSE 0 "
        "END), 0), COUNT(*) "
        "FROM outbox o JOIN destinations d ON d.id = o.destination_id WHERE o.status = 'pending'"
    )
    async with conn.execute(sql) as cursor:
        row = await cursor.fetchone()
    waiting, total = (int(row[0]), int(row[1])) if row else (0, 0)
    return waiting, total - waiting
