"""Stage 4c: a feed plan's alerting reports → outbox rows for the channels that want them.

First alerts (oldest first), alerts for channels of a category an event gained, alerts for
channels whose noise floor an event just reached, and overflow summaries. Each destination
has at most one alert per event: rows are keyed by the event, so queuing twice is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import partial

from bot.delivery.messages import dump_message
from bot.domain import (
    Alert,
    CategoryInfo,
    Decision,
    Destination,
    Overflow,
    OverflowItem,
    story_key,
)
from bot.pipeline.events import EventRef
from bot.pipeline.evidence import evidence_phrases
from bot.pipeline.plan import Alerting, FeedPlan, Row
from bot.pipeline.route import route
from bot.pipeline.watching import watch_defection
from bot.store import destinations as dest_store
from bot.store import events as event_store
from bot.store import headlines, outbox, stories
from bot.store.connection import to_db
from bot.store.sql import Conn

log = logging.getLogger(__name__)


async def queue_alerts(
    conn: Conn,
    feed: str,
    plan: FeedPlan,
    *,
    ids: Mapping[int, int],
    categories: Mapping[str, CategoryInfo],
    now: datetime,
) -> int:
    destinations: list[Destination] = []
    if plan.alerting or plan.overflowing or plan.grown:
        destinations = await dest_store.active_destinations(conn)
    queued = 0
    alert = partial(
        _queue_alert, conn, ids=ids, categories=categories, now=now, plan_events=plan.events
    )
    # Chat channels read top to bottom: queue the kept alerts oldest first.
    for candidate in sorted(plan.alerting, key=lambda c: c.effective):
        await _record_told(conn, candidate, Decision.ALERTED, ids, now)
        queued += await alert(candidate, destinations=destinations)
    for candidate in _first_joins(plan, plan.widened, now):
        # The event gained a category: channels subscribed only to that one hear of it now
        # (the others already have its alert under the same key, so it is not queued twice).
        queued += await alert(candidate, destinations=destinations)
    floored = [d for d in destinations if d.control.min_reports > 1]
    for candidate in _first_joins(plan, plan.grown, now) if floored else []:
        # A new outlet may lift the event over a channel's noise floor: it alerts there once,
        # showing every outlet so far (one that has its alert is not queued it twice).
        queued += await alert(candidate, destinations=floored)
    for candidate in plan.overflowing:
        await _record_told(conn, candidate, Decision.OVERFLOW, ids, now)
    if plan.overflowing:
        queued += await _queue_overflow(
            conn, feed, plan.overflowing, categories=categories, destinations=destinations, now=now
        )
        log.warning(
            "feed %s: %d new alerts in one poll; sent the newest %d and one summary for %d more",
            feed,
            len(plan.alerting) + len(plan.overflowing),
            len(plan.alerting),
            len(plan.overflowing),
        )
    return queued


def _first_joins(plan: FeedPlan, event_ids: set[int], now: datetime) -> list[Alerting]:
    """The first report this feed brought to each of these alerted events."""
    found: dict[int, Alerting] = {}
    for row in plan.rows:
        if row.event_id in event_ids and row.decision == Decision.JOINED_STORY:
            found.setdefault(row.event_id, Alerting(row, row.headline.published or now))
    return list(found.values())


def new_row(
    row: Row, ids: Mapping[int, int], decision: Decision | None = None
) -> headlines.NewHeadline:
    result = row.classification
    evidence = {
        category: [f"{m.rule} ({m.field}): {m.text}" for m in result.evidence_for(category)]
        for category in result.categories
    }
    event_id = None if row.event_id is None else ids.get(row.event_id, row.event_id)
    return headlines.NewHeadline(
        row.headline,
        result.categories,
        evidence,
        decision or row.decision,
        event_id,
        row.joined_on,
    )


async def _record_told(
    conn: Conn,
    candidate: Alerting,
    decision: Decision,
    ids: Mapping[int, int],
    now: datetime,
) -> None:
    # An alerting or summarised headline is recorded, and its event counts as told.
    await headlines.insert_headlines(conn, [new_row(candidate.row, ids, decision)], now)
    event_id = ids.get(candidate.event_id, candidate.event_id)
    await event_store.mark_alerted(conn, event_id, now)
    log.info(
        "event %d: alert for %r (%s)",
        event_id,
        candidate.row.headline.title[:120],
        candidate.row.joined_on,
    )


async def _queue_alert(
    conn: Conn,
    candidate: Alerting,
    *,
    ids: Mapping[int, int],
    categories: Mapping[str, CategoryInfo],
    destinations: Sequence[Destination],
    now: datetime,
    plan_events: Mapping[int, EventRef],
) -> int:
    headline = candidate.row.headline
    classification = candidate.row.classification
    event_id = ids.get(candidate.event_id, candidate.event_id)
    others = await stories.also_reported_by(conn, event_id, headline.outlet)
    await watch_defection(conn, event_id, headline, classification, min(candidate.effective, now))
    key = story_key(event_id)
    event = plan_events.get(candidate.event_id)
    outlets = len(event.outlets) if event is not None else 1
    # Channels subscribed to the same categories with the same mention get the same message:
    # render each variant once and queue every row in one statement.
    messages: dict[tuple[tuple[str, ...], str | None], str] = {}
    rows: list[tuple[int, str, str]] = []
    for target in route(classification.categories, destinations):
        if target.destination.control.min_reports > outlets:
            continue  # below this channel's noise floor: it hears when enough outlets report
        variant = (target.categories, target.mention)
        message = messages.get(variant)
        if message is None:
            infos = tuple(categories[c] for c in target.categories if c in categories)
            alert = Alert(
                story_id=event_id,
                title=headline.title,
                link=headline.link,
                summary=headline.summary,
                outlet=headline.outlet,
                published=candidate.effective,
                categories=infos,
                evidence=evidence_phrases(classification, target.categories, categories),
                also_reported_by=others,
                mention=target.mention,
            )
            message = messages[variant] = dump_message(alert)
        rows.append((target.destination.id, key, message))
    return await outbox.enqueue_many(conn, rows, now, event_id=event_id)


async def _queue_overflow(
    conn: Conn,
    feed: str,
    overflowing: Sequence[Alerting],
    *,
    categories: Mapping[str, CategoryInfo],
    destinations: Sequence[Destination],
    now: datetime,
) -> int:
    queued = 0
    outlet = overflowing[0].row.headline.outlet
    for target in destinations:
        if target.broken_reason is not None:
            continue
        items = tuple(
            OverflowItem(c.row.headline.title, c.row.headline.link, _label(categories, category))
            for c in overflowing
            if (
                category := next(
                    (x for x in c.row.classification.categories if x in target.subscriptions),
                    None,
                )
            )
            is not None
        )
        if items:
            notice = Overflow(feed=feed, outlet=outlet, items=items)
            key = f"overflow:{feed}:{to_db(now)}"
            queued += await outbox.enqueue(conn, target.id, key, dump_message(notice), now)
    return queued


def _label(categories: Mapping[str, CategoryInfo], category: str) -> str:
    # Readers see "Defection", not the rule file's key "defection".
    info = categories.get(category)
    return info.label if info else category
