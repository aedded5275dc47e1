"""Destinations (console, webhooks, chat channels) and their category subscriptions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain import ChannelControl, Destination, DestinationKey
from bot.store.connection import from_db, to_db
from bot.store.sql import Conn, is_none_of, is_one_of

CONFIG_KINDS = ("console", "webhook:discord", "webhook:slack")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def upsert_destination(
    conn: Conn,
    *,
    key: str,
    kind: str,
    label: str,
    now: datetime,
    scope: str = "",
    channel: str = "",
) -> int:
    """Create or reactivate a destination (a webhook's platform may change); returns its id."""
    async with conn.execute(
        "INSERT INTO destinations (key, kind, label, scope, channel, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(key) DO UPDATE SET label = excluded.label, kind = excluded.kind, active = 1 "
        "RETURNING id",
        (key, kind, label, scope, channel, to_db(now)),
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None  # noqa: S101 - RETURNING always yields the row
    return int(row[0])


async def claim_key(conn: Conn, *, key: str, former_key: str, label: str) -> bool:
    """Move a webhook's row to its new key (its name), keeping subscriptions and queued alerts.

    The row is found under `former_key` (the key it had before it was named), else as the one
    unnamed webhook with the same label. Returns whether a row moved.
    """
    if await destination_id(conn, key) is not None:
        return False
    found = await destination_id(conn, former_key)
    if found is None:
        async with conn.execute(
            "SELECT id FROM destinations WHERE kind LIKE 'webhook:%' AND key NOT LIKE ? "
            "AND label = ?",
            (DestinationKey.NAMED_WEBHOOK_PREFIX + "%", label),
        ) as cursor:
            rows = list(await cursor.fetchall())
        found = int(rows[0][0]) if len(rows) == 1 else None
    if found is None:
        return False
    await conn.execute("UPDATE destinations SET key = ? WHERE id = ?", (key, found))
    return True


async def set_address(conn: Conn, destination_id: int, address: str) -> bool:
    """Record where a webhook posts; a changed address clears its broken mark (returns True)."""
    async with conn.execute(
        "SELECT address, broken_reason FROM destinations WHERE id = ?", (destination_id,)
    ) as cursor:
        row = await cursor.fetchone()
    changed = row is not None and row[0] is not None and row[0] != address
    retry = changed and row is not None and row[1] is not None
    await conn.execute(
        "UPDATE destinations SET address = ? WHERE id = ?", (address, destination_id)
    )
    if retry:
        await clear_broken(conn, destination_id)
    return retry


async def destination_id(conn: Conn, key: str) -> int | None:
    """The id of the destination with this key, active or not; None when there is none."""
    async with conn.execute("SELECT id FROM destinations WHERE key = ?", (key,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else int(row[0])


async def set_subscriptions(
    conn: Conn,
    destination_id: int,
    categories: Sequence[str],
    *,
    now: datetime,
    mention: str | None = None,
    created_by: str = "config",
) -> None:
    """Replace a config destination's categories and mention (the config is their source)."""
    await conn.execute(
        "DELETE FROM subscriptions WHERE destination_id = ? AND "
        + is_none_of("category", len(categories)),
        (destination_id, *categories),
    )
    await conn.executemany(
        "INSERT INTO subscriptions (destination_id, category, mention, created_by, created_at) "
        "VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (destination_id, category) DO UPDATE SET mention = excluded.mention",
        [(destination_id, c, mention, created_by, to_db(now)) for c in categories],
    )


async def deactivate_config_destinations(conn: Conn, keep: Sequence[int]) -> None:
    """Config destinations no longer in the config stop receiving alerts (history is kept)."""
    # An empty list keeps nothing: a config with neither console nor webhooks deactivates every
    # old webhook (`NOT IN (NULL)` would have kept them all).
    await conn.execute(
        f"UPDATE destinations SET active = 0 WHERE {is_one_of('kind', len(CONFIG_KINDS))} "
        f"AND {is_none_of('id', len(keep))}",
        (*CONFIG_KINDS, *keep),
    )


async def active_destinations(conn: Conn) -> list[Destination]:
    """Every active destination with its subscriptions."""
    async with conn.execute(
        "SELECT d.id, d.key, d.kind, d.label, d.scope, d.channel, d.broken_reason, "
        "s.category, s.mention, d.updates, d.control FROM destinations d "
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
                updates=row[9],
                control=ChannelControl.from_json(json.loads(row[10])),
            )
            found[row[0]] = dest
        if row[7] is not None:
            dest.subscriptions[row[7]] = row[8]
    return list(found.values())


async def set_updates(conn: Conn, destination_id: int, updates: str) -> None:
    """What later reports of an alerted event do here: "edit", "thread" or "off"."""
    await conn.execute(
        "UPDATE destinations SET updates = ? WHERE id = ?", (updates, destination_id)
    )


async def set_control(conn: Conn, destination_id: int, control: ChannelControl) -> None:
    """Replace a destination's quiet hours, digest, watchlist, noise floor and mute."""
    await conn.execute(
        "UPDATE destinations SET control = ? WHERE id = ?",
        (json.dumps(control.to_json(), separators=(",", ":")), destination_id),
    )


async def watch_terms(conn: Conn) -> tuple[str, ...]:
    """Every term any active destination watches, in a stable order (no repeats)."""
    rows = await conn.execute_fetchall(
        "SELECT control FROM destinations WHERE active = 1 AND control LIKE '%\"watch\"%' "
        "ORDER BY id"
    )
    terms: dict[str, str] = {}
    for (text,) in rows:
        for term in ChannelControl.from_json(json.loads(text)).watch:
            terms.setdefault(term.casefold(), term)
    return tuple(terms.values())


async def mark_broken(conn: Conn, destination_id: int, reason: str, now: datetime) -> None:
    """Stop sending to a destination that can never accept (deleted webhook, lost permission)."""
    await conn.execute(
        "UPDATE destinations SET broken_reason = ?, broken_at = ? WHERE id = ?",
        (reason, to_db(now), destination_id),
    )


async def clear_broken(conn: Conn, destination_id: int) -> None:
    """A destination works again (re-subscribed or config fixed)."""
    await conn.execute(
        "UPDATE destinations SET broken_reason = NULL, broken_at = NULL WHERE id = ?",
        (destination_id,),
    )


async def subscribe(
    conn: Conn,
    *,
    key: str,
    kind: str,
    label: str,
    scope: str,
    channel: str,
    categories: Sequence[str],
    mention: str | None,
    created_by: str,
    now: datetime,
) -> list[str]:
    """Subscribe a chat channel to categories; returns those that were new (others updated)."""
    dest_id = await upsert_destination(
        conn, key=key, kind=kind, label=label, scope=scope, channel=channel, now=now
    )
    # Subscribing again is how a user says "I fixed the permissions": try sending again.
    await clear_broken(conn, dest_id)
    async with conn.execute(
        "SELECT category FROM subscriptions WHERE destination_id = ?", (dest_id,)
    ) as cursor:
        existing = {row[0] for row in await cursor.fetchall()}
    await conn.executemany(
        "INSERT INTO subscriptions (destination_id, category, mention, created_by, created_at) "
        "VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (destination_id, category) DO UPDATE SET mention = excluded.mention",
        [(dest_id, c, mention, created_by, to_db(now)) for c in categories],
    )
    return [c for c in categories if c not in existing]


async def unsubscribe(conn: Conn, key: str, categories: Sequence[str] | None) -> list[str]:
    """Remove a channel's subscriptions (all when `categories` is None); returns those removed."""
    dest_id = await destination_id(conn, key)
    if dest_id is None:
        return []
    if categories is None:
        sql = "DELETE FROM subscriptions WHERE destination_id = ? RETURNING category"
        params: tuple[object, ...] = (dest_id,)
    else:
        sql = (
            "DELETE FROM subscriptions WHERE destination_id = ? "
            f"AND {is_one_of('category', len(categories))} RETURNING category"
        )
        params = (dest_id, *categories)
    async with conn.execute(sql, params) as cursor:
        removed = [r[0] for r in await cursor.fetchall()]
    await _drop_if_unsubscribed(conn, dest_id)
    return sorted(removed)


async def _drop_if_unsubscribed(conn: Conn, dest_id: int) -> None:
    # A chat channel with no subscriptions left is not a destination any more, unless it
    # watches people or phrases: watch hits alert it whatever their category.
    await conn.execute(
        "UPDATE destinations SET active = 0 WHERE id = ? AND kind NOT IN ('console') "
        "AND control NOT LIKE '%\"watch\"%' "
        "AND NOT EXISTS (SELECT 1 FROM subscriptions WHERE destination_id = ?)",
        (dest_id, dest_id),
    )


@dataclass(frozen=True, slots=True)
class SubscriptionRow:
    """One channel's subscription to one category, for `list` and `status`."""

    key: str
    channel: str
    label: str
    category: str
    mention: str | None
    created_by: str
    created_at: datetime
    broken_reason: str | None


async def scope_subscriptions(conn: Conn, kind: str, scope: str) -> list[SubscriptionRow]:
    """Every subscription of one Discord guild or Slack workspace."""
    async with conn.execute(
        "SELECT d.key, d.channel, d.label, s.category, s.mention, s.created_by, s.created_at, "
        "d.broken_reason FROM destinations d JOIN subscriptions s ON s.destination_id = d.id "
        "WHERE d.kind = ? AND d.scope = ? AND d.active = 1 ORDER BY d.label, s.category",
        (kind, scope),
    ) as cursor:
        rows = await cursor.fetchall()
    return [
        SubscriptionRow(r[0], r[1], r[2], r[3], r[4], r[5], from_db(r[6]) or _EPOCH, r[7])
        for r in rows
    ]


async def remove_scope(conn: Conn, kind: str, scope: str) -> int:
    """Forget a whole guild or workspace (the bot was removed); returns destinations dropped."""
    async with conn.execute(
        "DELETE FROM destinations WHERE kind = ? AND scope = ? RETURNING id", (kind, scope)
    ) as cursor:
        return len(list(await cursor.fetchall()))


async def remove_destination(conn: Conn, key: str) -> bool:
    """Forget one channel (it was deleted); its queued alerts go with it."""
    async with conn.execute("DELETE FROM destinations WHERE key = ? RETURNING id", (key,)) as cur:
        return await cur.fetchone() is not None


async def find_destination(conn: Conn, key: str) -> Destination | None:
    """One active destination by key, with its subscriptions."""
    for destination in await active_destinations(conn):
        if destination.key == key:
            return destination
    return None
