"""Stage 4: a feed's new Headlines → stored decisions, events and queued alerts and updates.

Reads what the store knows of the entries, asks bot.pipeline.plan for a plan (pure), and
stores it; no network. The poller calls it once per changed feed, inside one transaction, and
gives the window the plan's events only after that transaction commits.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import aiosqlite

from bot.config import EventsSettings, PollingSettings
from bot.delivery import updates
from bot.delivery.messages import dump_message
from bot.domain import (
    Alert,
    CategoryInfo,
    Classification,
    Decision,
    Destination,
    Headline,
    Overflow,
    OverflowItem,
    story_key,
)
from bot.pipeline.actors import headline_actors
from bot.pipeline.events import EventRef, EventWindow
from bot.pipeline.evidence import evidence_phrases
from bot.pipeline.plan import ActorsOf, Alerting, FeedPlan, Row, plan_feed
from bot.pipeline.route import route
from bot.pipeline.window import encode
from bot.pipeline.window import refresh as refresh_window
from bot.store import destinations as dest_store
from bot.store import events as event_store
from bot.store import headlines, outbox, stories
from bot.store.connection import to_db

log = logging.getLogger(__name__)

DEFAULT_EVENTS = EventsSettings()
# A headline's classification, for those decide_new finds unseen.
Classify = Callable[[Headline], Classification]


@dataclass(frozen=True, slots=True)
class DecideResult:
    """What one feed's new entries came to."""

    new: int
    alerts: int
    overflow: int
    queued: int
    categories: tuple[str, ...] = ()  # one entry per (alerting event, category), for metrics
    breaking: int = 0  # events that became breaking
    events: dict[int, EventRef] = field(default_factory=dict)  # stored ids: for the window
    revisions: dict[int, int] = field(default_factory=dict)  # each stored event's revision


async def decide_new(
    conn: aiosqlite.Connection,
    feed: str,
    items: Sequence[tuple[Headline, Classification | None]],
    *,
    categories: Mapping[str, CategoryInfo],
    polling: PollingSettings,
    catch_up: bool,
    now: datetime,
    window: EventWindow | None = None,
    actors_of: ActorsOf = headline_actors,
    events: EventsSettings = DEFAULT_EVENTS,
    classify: Classify | None = None,
) -> DecideResult:
    """Record every unseen entry, place it in its event, and queue alerts and updates.

    An entry given without its classification (None) is classified by `classify` only if it is
    unseen. `window` is the process's event window (None: read one from the store for this
    call); the caller puts the result's events into it once the transaction commits.
    """
    window = window or EventWindow(timedelta(hours=events.window))
    # Whatever another process stored since this window last looked.
    await refresh_window(conn, window, now)
    fresh = _classified(await _fresh(conn, feed, items, now), classify)
    # One lookup for every link instead of a trip to the SQLite thread per headline.
    event_of_link = await headlines.find_by_links(conn, [h.link for h, _ in fresh])
    plan = plan_feed(
        fresh,
        event_of_link,
        window,
        actors_of,
        polling=polling,
        events=events,
        catch_up=catch_up,
        now=now,
    )
    ids = await _store_events(conn, plan, now)
    for row in plan.rows:
        _log_row(feed, row, ids)
    # Before the alerting rows, so row ids keep the order the decisions were made in.
    await headlines.insert_headlines(conn, [_new_row(r, ids) for r in plan.rows], now)
    queued = await _queue(conn, feed, plan, ids=ids, categories=categories, now=now)
    queued += await updates.arm(
        conn,
        [ids.get(e, e) for e in sorted(plan.grown)],
        now=now,
        edit_interval=events.edit_interval,
    )
    return await _result(conn, plan, ids, queued)


async def _result(
    conn: aiosqlite.Connection, plan: FeedPlan, ids: Mapping[int, int], queued: int
) -> DecideResult:
    """What the stored plan came to, with each event as stored and the revision it took."""
    alerted = tuple(c for a in plan.alerting for c in a.row.classification.categories)
    stored = {ids.get(i, i): _with_ids(e, ids) for i, e in plan.events.items()}
    # After every write of them (alerts mark theirs), so the window knows its own writes.
    written = await event_store.revisions(conn, list(stored))
    return DecideResult(
        plan.fresh,
        len(plan.alerting),
        len(plan.overflowing),
        queued,
        alerted,
        breaking=len(plan.breaking),
        events=stored,
        revisions=written,
    )


async def _store_events(
    conn: aiosqlite.Connection, plan: FeedPlan, now: datetime
) -> dict[int, int]:
    """Insert the plan's new events (in creation order) and update the changed ones."""
    ids: dict[int, int] = {}
    for local in sorted((i for i in plan.events if i < 0), reverse=True):
        event = _with_ids(plan.events[local], ids)
        row = encode(event, plan.links.get(local, ""))
        signature = event.signatures[0].to_json() if event.signatures else {}
        ids[local] = await event_store.insert_event(conn, row, _json(signature), now)
    for event_id, event in plan.events.items():
        if event_id > 0:
            await event_store.update_event(conn, encode(_with_ids(event, ids)), now)
    return ids


def _with_ids(event: EventRef, ids: Mapping[int, int]) -> EventRef:
    continues = None if event.continues is None else ids.get(event.continues, event.continues)
    return replace(event, id=ids.get(event.id, event.id), continues=continues)


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


async def _queue(
    conn: aiosqlite.Connection,
    feed: str,
    plan: FeedPlan,
    *,
    ids: Mapping[int, int],
    categories: Mapping[str, CategoryInfo],
    now: datetime,
) -> int:
    destinations: list[Destination] = []
    if plan.alerting or plan.overflowing or plan.widened:
        destinations = await dest_store.active_destinations(conn)
    queued = 0
    # Chat channels read top to bottom: queue the kept alerts oldest first.
    for candidate in sorted(plan.alerting, key=lambda c: c.effective):
        await _record_told(conn, candidate, Decision.ALERTED, ids, now)
        queued += await _queue_alert(
            conn, candidate, ids=ids, categories=categories, destinations=destinations, now=now
        )
    for candidate in _widening(plan, now):
        # The event gained a category: channels subscribed only to that one hear of it now
        # (the others already have its alert under the same key, so it is not queued twice).
        queued += await _queue_alert(
            conn, candidate, ids=ids, categories=categories, destinations=destinations, now=now
        )
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


def _widening(plan: FeedPlan, now: datetime) -> list[Alerting]:
    """The first report that brought each widened event its new categories."""
    found: dict[int, Alerting] = {}
    for row in plan.rows:
        if row.event_id in plan.widened and row.decision == Decision.JOINED_STORY:
            found.setdefault(row.event_id, Alerting(row, row.headline.published or now))
    return list(found.values())


def _log_row(feed: str, row: Row, ids: Mapping[int, int]) -> None:
    # Silence you can ask about: `why URL` explains it in full, this says it happened.
    if row.decision == Decision.JOINED_STORY and row.event_id is not None:
        log.info(
            "feed %s: %r joins event %d (%s)",
            feed,
            row.headline.title[:120],
            ids.get(row.event_id, row.event_id),
            row.joined_on,
        )
    else:
        log.debug("feed %s: not alerting %r: %s", feed, row.headline.title[:120], row.decision)


async def _fresh(
    conn: aiosqlite.Connection,
    feed: str,
    items: Sequence[tuple[Headline, Classification | None]],
    now: datetime,
) -> list[tuple[Headline, Classification | None]]:
    """The entries this feed never listed before (the others are marked seen again)."""
    known = await headlines.known_keys(conn, feed, [h.entry_key for h, _ in items])
    await headlines.touch(conn, feed, known, now)
    return _unique([(h, c) for h, c in items if h.entry_key not in known])


def _classified(
    items: list[tuple[Headline, Classification | None]], classify: Classify | None
) -> list[tuple[Headline, Classification]]:
    """Every entry with its classification, classifying those given without one."""
    done: list[tuple[Headline, Classification]] = []
    for headline, given in items:
        if given is not None:
            done.append((headline, given))
        elif classify is not None:
            done.append((headline, classify(headline)))
        else:
            raise ValueError(f"{headline.entry_key}: no classification and nothing to classify")
    return done


def _unique(
    items: list[tuple[Headline, Classification | None]],
) -> list[tuple[Headline, Classification | None]]:
    # A feed that lists one entry twice must not insert (and fail on) the same key twice.
    seen_keys: set[str] = set()
    unique = []
    for pair in items:
        if pair[0].entry_key not in seen_keys:
            seen_keys.add(pair[0].entry_key)
            unique.append(pair)
    return unique


def _new_row(
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
    conn: aiosqlite.Connection,
    candidate: Alerting,
    decision: Decision,
    ids: Mapping[int, int],
    now: datetime,
) -> None:
    # An alerting or summarised headline is recorded, and its event counts as told.
    await headlines.insert_headlines(conn, [_new_row(candidate.row, ids, decision)], now)
    event_id = ids.get(candidate.event_id, candidate.event_id)
    await event_store.mark_alerted(conn, event_id, now)
    log.info(
        "event %d: alert for %r (%s)",
        event_id,
        candidate.row.headline.title[:120],
        candidate.row.joined_on,
    )


async def _queue_alert(
    conn: aiosqlite.Connection,
    candidate: Alerting,
    *,
    ids: Mapping[int, int],
    categories: Mapping[str, CategoryInfo],
    destinations: Sequence[Destination],
    now: datetime,
) -> int:
    headline = candidate.row.headline
    classification = candidate.row.classification
    event_id = ids.get(candidate.event_id, candidate.event_id)
    others = await stories.also_reported_by(conn, event_id, headline.outlet)
    key = story_key(event_id)
    # Channels subscribed to the same categories with the same mention get the same message:
    # render each variant once and queue every row in one statement.
    messages: dict[tuple[tuple[str, ...], str | None], str] = {}
    rows: list[tuple[int, str, str]] = []
    for target in route(classification.categories, destinations):
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
    conn: aiosqlite.Connection,
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
