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

from bot.config import EventsSettings, PollingSettings
from bot.delivery import updates
from bot.domain import (
    CategoryInfo,
    Classification,
    Decision,
    Headline,
)
from bot.pipeline.actors import headline_actors
from bot.pipeline.alerting import new_row, queue_alerts
from bot.pipeline.classify import shared_register
from bot.pipeline.events import EventRef, EventWindow
from bot.pipeline.plan import ActorsOf, FeedPlan, Row, plan_feed
from bot.pipeline.watchlist import current_watchlist, is_watch, watched
from bot.pipeline.window import encode
from bot.pipeline.window import refresh as refresh_window
from bot.store import events as event_store
from bot.store import headlines
from bot.store.sql import Conn

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
    conn: Conn,
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
    fresh, categories = await _watched(conn, fresh, categories)
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
    await headlines.insert_headlines(conn, [new_row(r, ids) for r in plan.rows], now)
    queued = await queue_alerts(conn, feed, plan, ids=ids, categories=categories, now=now)
    queued += await updates.arm(
        conn,
        [ids.get(e, e) for e in sorted(plan.grown)],
        now=now,
        edit_interval=events.edit_interval,
    )
    return await _result(conn, plan, ids, queued)


async def _result(conn: Conn, plan: FeedPlan, ids: Mapping[int, int], queued: int) -> DecideResult:
    """What the stored plan came to, with each event as stored and the revision it took."""
    alerted = _metric_categories(plan)
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


async def _watched(
    conn: Conn,
    fresh: list[tuple[Headline, Classification]],
    categories: Mapping[str, CategoryInfo],
) -> tuple[list[tuple[Headline, Classification]], Mapping[str, CategoryInfo]]:
    """Watched terms are categories of their own: their reports form events and route."""
    watchlist = await current_watchlist(conn, shared_register()) if fresh else None
    if watchlist is None:
        return fresh, categories
    return watched(fresh, watchlist), {**categories, **watchlist.infos}


def _metric_categories(plan: FeedPlan) -> tuple[str, ...]:
    # One metrics label for every watched term: a label per term would grow without bound.
    return tuple(
        "watch" if is_watch(c) else c
        for a in plan.alerting
        for c in a.row.classification.categories
    )


async def _store_events(conn: Conn, plan: FeedPlan, now: datetime) -> dict[int, int]:
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
    conn: Conn,
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
