"""Channel control in delivery: hold back what quiet hours, a mute or a digest keep from a
destination, and release it — as it was, or as one digest of the events in their current
state — when its time comes. Every step is one transaction, so a restart loses nothing held
and sends nothing twice."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from itertools import groupby

from bot.config import DisplaySettings
from bot.control import gate
from bot.delivery.messages import Message, dump_message, load_message
from bot.domain import Alert, Destination, Digest, DigestItem, FollowUp
from bot.store import destinations as dest_store
from bot.store import events as event_store
from bot.store import holding
from bot.store import updates as update_store
from bot.store.connection import to_db
from bot.store.outbox import OutboxRow
from bot.store.sql import Conn, Store

log = logging.getLogger(__name__)

DEFAULT_ZONE = DisplaySettings().timezone  # for destinations with no time zone of their own

# Events per digest message: a Discord embed and a Slack message hold ten comfortably with
# long titles and many outlets; more come as "continued" parts.
DIGEST_ITEMS = 10


def held_reason(
    destination: Destination,
    row: OutboxRow,
    action: str,
    message: Message,
    *,
    now: datetime,
    zone: str,
) -> str | None:
    """Why this row must wait rather than be sent now ("muted", "quiet", "digest"), or None."""
    if row.held == holding.RELEASED or row.kind == "digest":
        return None
    control = destination.control
    if action == "edit":
        return None  # an edit notifies no one
    if isinstance(message, Alert):
        names = [c.name for c in message.categories]
        breaking = message.event is not None and message.event.breaking
        return gate.hold_alert(control, now, zone, names, breaking=breaking)
    if isinstance(message, FollowUp):
        names = [c.name for c in message.categories]
        return gate.hold_update(control, now, zone, row.kind, names)
    # An overflow notice pings like an alert; it names no single category to except.
    return gate.hold_alert(control, now, zone, ())


async def release_held(db: Store, *, now: datetime, zone: str) -> int:
    """Release every held row whose time has come; returns how many messages that queued."""
    async with db.transaction() as conn:
        rows = await holding.held_rows(conn)
        if not rows:
            return 0
        destinations = {d.id: d for d in await dest_store.active_destinations(conn)}
        queued = 0
        for dest_id, group in groupby(rows, key=lambda r: r.destination_id):
            destination = destinations.get(dest_id)
            if destination is None:
                continue
            ready, urgent = _ready(destination, list(group), now, zone)
            if urgent:
                # Held for a digest, then the event broke: it alerts at once, as itself.
                await holding.release(conn, [r.id for r in urgent], now)
                queued += len(urgent)
            if ready:
                queued += await _release(conn, destination, ready, now)
    return queued


def _ready(
    destination: Destination, rows: list[holding.HeldRow], now: datetime, zone: str
) -> tuple[list[holding.HeldRow], list[holding.HeldRow]]:
    """The rows whose time has come, and those due only because their event became breaking."""
    control = destination.control
    ready: list[holding.HeldRow] = []
    urgent: list[holding.HeldRow] = []
    for row in rows:
        if gate.due(control, now, zone, row.held, row.held_at):
            ready.append(row)
        elif gate.due(control, now, zone, row.held, row.held_at, breaking=row.breaking):
            urgent.append(row)
    return ready, urgent


async def _release(
    conn: Conn,
    destination: Destination,
    ready: Sequence[holding.HeldRow],
    now: datetime,
) -> int:
    loose = [r.id for r in ready if r.event_id is None]  # overflow notices: as they were
    alerts = [r for r in ready if r.event_id is not None and r.kind == "alert"]
    updates = [r for r in ready if r.event_id is not None and r.kind != "alert"]
    reason = _reason(ready)
    if reason != gate.DIGEST and len(alerts) + len(updates) <= 1:
        # One message held by quiet hours or a mute goes as itself (an alert can then still be
        # updated; a follow-up counts the reports as they stand when it is sent).
        await holding.release(conn, [*loose, *(r.id for r in [*alerts, *updates])], now)
        return len(loose) + len(alerts) + len(updates)
    await holding.release(conn, loose, now)
    items, shown = await _items(conn, destination.id, alerts, updates)
    parts = [items[i : i + DIGEST_ITEMS] for i in range(0, len(items), DIGEST_ITEMS)]
    since = min(r.held_at for r in ready)
    for number, part in enumerate(parts, start=1):
        digest = Digest(reason, since, now, tuple(part), number, len(parts))
        key = f"digest:{to_db(now)}:{number}"
        await holding.enqueue_digest(conn, destination.id, key, dump_message(digest), now)
    await holding.digested(conn, [a.id for a in alerts], shown, now)
    log.info(
        "destination %s: %s of %d events (%d held messages) queued in %d part(s)",
        destination.label,
        "digest" if reason == gate.DIGEST else f"{reason} digest",
        len(items),
        len(ready),
        len(parts),
    )
    return len(loose) + len(parts)


def _reason(rows: Sequence[holding.HeldRow]) -> str:
    reasons = {r.held for r in rows}
    if reasons == {gate.DIGEST}:
        return gate.DIGEST
    return gate.MUTED if gate.MUTED in reasons else gate.QUIET


async def _items(
    conn: Conn,
    destination_id: int,
    alerts: Sequence[holding.HeldRow],
    updates: Sequence[holding.HeldRow],
) -> tuple[list[DigestItem], list[tuple[int, int]]]:
    """Each held event as it stands now (most reported first), and the update rows with how
    many reports the digest showed of their event."""
    found: dict[int, tuple[DigestItem, datetime]] = {}
    shown: list[tuple[int, int]] = []
    for row in alerts:
        message = load_message(row.message)
        if isinstance(message, Alert) and row.event_id is not None:
            found.setdefault(row.event_id, (await _item(conn, message, False), row.held_at))
    for row in updates:
        assert row.event_id is not None  # noqa: S101 - filtered by the caller
        sent = await update_store.sent_alert(conn, destination_id, row.event_id)
        alert = load_message(sent.message) if sent is not None else None
        if not isinstance(alert, Alert):
            shown.append((row.id, 0))
            continue
        item = await _item(conn, alert, True)
        found.setdefault(row.event_id, (item, row.held_at))
        shown.append((row.id, item.reports))
    ordered = sorted(found.values(), key=lambda pair: (-pair[0].reports, pair[1]))
    return [item for item, _ in ordered], shown


async def _item(conn: Conn, alert: Alert, updated: bool) -> DigestItem:
    state = await event_store.event_state(conn, alert.story_id)
    reports = state.reports if state is not None else 1
    outlets = state.outlets if state is not None else (alert.outlet,)
    return DigestItem(
        alert.story_id, alert.title, alert.link, alert.categories, reports, outlets, updated
    )
