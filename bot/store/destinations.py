"""Destinations (console, webhooks, chat channels) and their category subscriptions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from bot.pipeline.route import Destination
from bot.store.connection import to_db

CONFIG_KINDS = ("console", "webhook:discord", "webhook:slack")


async def upsert_destination(
    conn: aiosqlite.Connection,
    *,
    key: str,
    kind: str,
    label: str,
    now: datetime,
    scope: str = "",
    channel: str = "",
) -> int:
    """Create or reactivate a destination; returns its id."""
    async with conn.execute(
        "INSERT INTO destinations (key, kind, label, scope, channel, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(key) DO UPDATE SET label = excluded.label, active = 1 RETURNING id",
        (key, kind, label, scope, channel, to_db(now)),
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None  # noqa: S101 - RETURNING always yields the row
    return int(row[0])


async def set_subscriptions(
    conn: aiosqlite.Connection,
    destination_id: int,
    categories: Sequence[str],
    *,
    now: datetime,
    created_by: str = "config",
) -> None:
    """Replace a config destination's categories (config is the source of truth for these)."""
    marks = ",".join("?" * len(categories))
    await conn.execute(
        f"DELETE FROM subscriptions WHERE destination_id = ? AND category NOT IN ({marks})",
        (destination_id, *categories),
    )
    await conn.executemany(
        "INSERT INTO subscriptions (destination_id, category, created_by, created_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [(destination_id, c, created_by, to_db(now)) for c in categories],
    )


async def deactivate_config_destinations(conn: aiosqlite.Connection, keep: Sequence[int]) -> None:
    """Config destinations no longer in the config stop receiving alerts (history is kept)."""
    marks = ",".join("?" * len(keep)) or "NULL"
    kinds = ",".join("?" * len(CONFIG_KINDS))
    await conn.execute(
        f"UPDATE destinations SET active = 0 WHERE kind IN ({kinds}) AND id NOT IN ({marks})",
        (*CONFIG_KINDS, *keep),
    )


async def active_destinations(conn: aiosqlite.Connection) -> list[Destination]:
    """Every active destination with its subscriptions."""
    async with conn.execute(
        "SELECT d.id, d.key, d.kind, d.label, d.scope, d.channel, d.broken_reason, "
        "s.category, s.mention FROM destinations d "
        "LEFT JOIN subscriptions s ON s.destination_id = d.id WHERE d.active = 1 ORDER BY d.id"
    ) as cursor:
        rows = await cursor.fetchall()
    found: dict[int, Destination] = {}
    for row in rows:
        dest = found.get(row[0])
        if dest is None:
            dest = Destination(
                id=row[0],
                key=row[1],
                kind=row[2],
                label=row[3],
                scope=row[4],
                channel=row[5],
                broken_reason=row[6],
            )
            found[row[0]] = dest
        if row[7] is not None:
            dest.subscriptions[row[7]] = row[8]
    return list(found.values())


async def mark_broken(
    conn: aiosqlite.Connection, destination_id: int, reason: str, now: datetime
) -> None:
    """Stop sending to a destination that can never accept (deleted webhook, lost permission)."""
    await conn.execute(
        "UPDATE destinations SET broken_reason = ?, broken_at = ? WHERE id = ?",
        (reason, to_db(now), destination_id),
    )


async def clear_broken(conn: aiosqlite.Connection, destination_id: int) -> None:
    """A destination works again (re-subscribed or config fixed)."""
    await conn.execute(
        "UPDATE destinations SET broken_reason = NULL, broken_at = NULL WHERE id = ?",
        (destination_id,),
    )
