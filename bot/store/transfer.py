"""Chat subscriptions in and out of the store, for moving to another host."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bot.domain import ChannelControl
from bot.store.connection import from_db, to_db
from bot.store.destinations import set_control
from bot.store.sql import Conn


@dataclass(frozen=True, slots=True)
class SubscriptionRecord:
    """One category subscription of a chat channel."""

    category: str
    mention: str | None
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ChannelRecord:
    """A chat channel (Discord or Slack) with its subscriptions and channel control."""

    key: str
    kind: str
    label: str
    scope: str
    channel: str
    created_at: datetime
    subscriptions: tuple[SubscriptionRecord, ...]
    updates: str = "edit"  # what later reports of an alerted event do there
    control: ChannelControl | None = None  # None: an export from before channel control


async def chat_channels(conn: Conn, kinds: Sequence[str]) -> list[ChannelRecord]:
    """Every active chat channel of these kinds that has subscriptions or settings, by key."""
    marks = ",".join("?" * len(kinds)) or "NULL"
    async with conn.execute(
        "SELECT d.key, d.kind, d.label, d.scope, d.channel, d.created_at, s.category, s.mention, "
        "s.created_by, s.created_at, d.updates, d.control FROM destinations d "
        "LEFT JOIN subscriptions s ON s.destination_id = d.id "
        f"WHERE d.active = 1 AND d.kind IN ({marks}) "
        "AND (s.category IS NOT NULL OR d.control != '{}') ORDER BY d.key, s.category",
        tuple(kinds),
    ) as cursor:
        rows = await cursor.fetchall()
    channels: dict[str, ChannelRecord] = {}
    for row in rows:
        subs: tuple[SubscriptionRecord, ...] = ()
        if row[6] is not None:  # a channel with settings but no category has no subscription
            subs = (SubscriptionRecord(row[6], row[7], row[8], _when(row[9])),)
        found = channels.get(row[0])
        if found is None:
            control = ChannelControl.from_json(json.loads(row[11]))
            channels[row[0]] = ChannelRecord(
                row[0], row[1], row[2], row[3], row[4], _when(row[5]), subs, row[10], control
            )
        else:
            channels[row[0]] = replace(found, subscriptions=(*found.subscriptions, *subs))
    return list(channels.values())


async def import_channel(conn: Conn, record: ChannelRecord) -> int:
    """Create or update a channel and its subscriptions as recorded; returns subscriptions written.

    Importing the same file twice changes nothing; a broken mark is cleared, so a moved host
    tries each channel afresh.
    """
    async with conn.execute(
        "INSERT INTO destinations (key, kind, label, scope, channel, created_at, updates) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET label = excluded.label, "
        "updates = excluded.updates, active = 1, broken_reason = NULL, broken_at = NULL "
        "RETURNING id",
        (
            record.key,
            record.kind,
            record.label,
            record.scope,
            record.channel,
            to_db(record.created_at),
            record.updates,
        ),
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None  # noqa: S101 - RETURNING always yields the row
    if record.control is not None:  # an older export says nothing: settings here stay
        await set_control(conn, row[0], record.control)
    await conn.executemany(
        "INSERT INTO subscriptions (destination_id, category, mention, created_by, created_at) "
        "VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (destination_id, category) DO UPDATE SET mention = excluded.mention, "
        "created_by = excluded.created_by, created_at = excluded.created_at",
        [
            (row[0], s.category, s.mention, s.created_by, to_db(s.created_at))
            for s in record.subscriptions
        ],
    )
    return len(record.subscriptions)


def _when(text: str) -> datetime:
    moment = from_db(text)
    assert moment is not None  # noqa: S101 - both columns are NOT NULL
    return moment
