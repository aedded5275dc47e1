"""Stage 4: a feed's new Headlines → stored decisions, stories and queued alerts, in one go.

Reads and writes the store, but no network: the cycle calls it once per changed feed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from bot.config import PollingSettings
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
from bot.pipeline import admit
from bot.pipeline.evidence import evidence_phrases
from bot.pipeline.route import route
from bot.pipeline.stories import StoryIndex, same_story, signature
from bot.store import destinations as dest_store
from bot.store import headlines, outbox, stories
from bot.store.connection import to_db

log = logging.getLogger(__name__)

STORY_WINDOW = timedelta(hours=48)


@dataclass(slots=True)
class _Alerting:
    # A headline whose story nobody was told of yet: it alerts, or goes into the overflow notice.
    headline: Headline
    classification: Classification
    story_id: int
    effective: datetime


@dataclass(frozen=True, slots=True)
class DecideResult:
    """What one feed's new entries came to."""

    new: int
    alerts: int
    overflow: int
    queued: int
    categories: tuple[str, ...] = ()  # one entry per (alerting story, category), for metrics


async def decide_new(
    conn: aiosqlite.Connection,
    feed: str,
    items: Sequence[tuple[Headline, Classification]],
    *,
    categories: Mapping[str, CategoryInfo],
    polling: PollingSettings,
    catch_up: bool,
    now: datetime,
) -> DecideResult:
    """Record every unseen entry, match stories, and queue alerts for the ones that may alert."""
    # size: decisions interleaved with store calls; the events issue replaces this with a pure
    # plan (data in, decisions out) that the poller applies, so it is split once, there.
    keys = [h.entry_key for h, _ in items]
    known = await headlines.known_keys(conn, feed, keys)
    await headlines.touch(conn, feed, known, now)
    fresh = [(h, c) for h, c in items if h.entry_key not in known]
    fresh = _unique(fresh)
    # Batched: one lookup for every link and one insert for the undecided rows, instead of two
    # trips to the SQLite thread per headline (benchmarks/cycles.py: those round trips were
    # most of a cold cycle). `story_of_link` is kept up to date as each headline is decided.
    story_of_link = await headlines.find_by_links(conn, [h.link for h, _ in fresh])
    pending: list[headlines.NewHeadline] = []
    # Loaded only when a headline needs matching.
    story_index: StoryIndex[stories.StoryRef] | None = None
    candidates: list[_Alerting] = []
    for headline, result in sorted(fresh, key=lambda pair: pair[0].published or now):
        admission = admit.admit(
            headline.published,
            now=now,
            catch_up=catch_up,
            backfill=polling.backfill,
            max_age=polling.max_age,
        )
        decision, story_id = Decision.NO_CATEGORY, None
        if headline.link in story_of_link:
            decision, story_id = Decision.DUPLICATE_URL, story_of_link[headline.link]
        elif result.categories:
            if story_index is None:
                story_index = await _story_index(conn, now)
            sig = signature(headline.title)
            wanted = frozenset(result.categories)  # built once, not twice per story compared
            # Only stories sharing a name can match: a feed of thousands of categorised items
            # stays linear instead of comparing each with every story before it.
            match = next(
                (
                    s
                    for s in story_index.candidates(sig)
                    if not wanted.isdisjoint(s.categories) and same_story(sig, s.signature)
                ),
                None,
            )
            if match is not None:
                story_id = match.id
                decision = Decision.JOINED_STORY
                fresh_story = match.alerted_at is None and admission.decision == Decision.ALERTED
                if fresh_story and not any(c.story_id == match.id for c in candidates):
                    # Nobody was told about this story yet (its first report was backfilled).
                    candidates.append(_Alerting(headline, result, match.id, admission.effective))
                    continue
            else:
                story_id = await stories.create_story(
                    conn,
                    title=headline.title,
                    link=headline.link,
                    categories=result.categories,
                    signature=sig,
                    now=now,
                )
                story_index.add(
                    sig,
                    stories.StoryRef(story_id, result.categories, sig, None),
                )
                if admission.decision == Decision.ALERTED:
                    candidates.append(_Alerting(headline, result, story_id, admission.effective))
                    continue
                decision = admission.decision
        pending.append(_row(headline, result, decision=decision, story_id=story_id))
        # Silence you can ask about: `why URL` explains it in full, this says it happened.
        log.debug("feed %s: not alerting %r: %s", feed, headline.title[:120], decision.value)
        _remember(story_of_link, headline.link, story_id)
    # Before the alerting rows, so row ids keep the order the decisions were made in.
    await headlines.insert_headlines(conn, pending, now)

    alerting, overflowing = admit.cap_alerts(
        candidates, limit=polling.max_alerts_per_poll, when=lambda c: c.effective
    )
    destinations = await dest_store.active_destinations(conn) if alerting or overflowing else []
    queued = 0
    # Chat channels read top to bottom: queue the kept alerts oldest first.
    for candidate in sorted(alerting, key=lambda c: c.effective):
        await _record_told(conn, candidate, Decision.ALERTED, now)
        queued += await _queue_alert(conn, candidate, categories, destinations, now)
    for candidate in overflowing:
        await _record_told(conn, candidate, Decision.OVERFLOW, now)
    if overflowing:
        queued += await _queue_overflow(
            conn, feed, overflowing, categories=categories, destinations=destinations, now=now
        )
        log.warning(
            "feed %s: %d new alerts in one poll; sent the newest %d and one summary for %d more",
            feed,
            len(candidates),
            len(alerting),
            len(overflowing),
        )
    alerted = tuple(c for a in alerting for c in a.classification.categories)
    return DecideResult(len(fresh), len(alerting), len(overflowing), queued, alerted)


async def _record_told(
    conn: aiosqlite.Connection, candidate: _Alerting, decision: Decision, now: datetime
) -> None:
    # An alerting or summarised headline is recorded, and its story counts as told.
    await _insert(
        conn,
        candidate.headline,
        candidate.classification,
        decision=decision,
        story_id=candidate.story_id,
        now=now,
    )
    await stories.mark_story_alerted(conn, candidate.story_id, now)


async def _story_index(conn: aiosqlite.Connection, now: datetime) -> StoryIndex[stories.StoryRef]:
    index: StoryIndex[stories.StoryRef] = StoryIndex()
    for story in reversed(await stories.recent_stories(conn, now - STORY_WINDOW)):  # oldest first
        index.add(story.signature, story)
    return index


def _unique(
    items: list[tuple[Headline, Classification]],
) -> list[tuple[Headline, Classification]]:
    # A feed that lists one entry twice must not insert (and fail on) the same key twice.
    seen_keys: set[str] = set()
    unique = []
    for pair in items:
        if pair[0].entry_key not in seen_keys:
            seen_keys.add(pair[0].entry_key)
            unique.append(pair)
    return unique


def _row(
    headline: Headline, result: Classification, *, decision: Decision, story_id: int | None
) -> headlines.NewHeadline:
    evidence = {
        category: [f"{m.rule} ({m.field}): {m.text}" for m in result.evidence_for(category)]
        for category in result.categories
    }
    return headlines.NewHeadline(headline, result.categories, evidence, decision, story_id)


def _remember(story_of_link: dict[str, int | None], link: str, story_id: int | None) -> None:
    # A later headline with this link joins the story of the first headline with the link that
    # has one (as find_by_links answers): this one's, unless an earlier one already had a story.
    if link and story_of_link.get(link) is None:
        story_of_link[link] = story_id


async def _insert(
    conn: aiosqlite.Connection,
    headline: Headline,
    result: Classification,
    *,
    decision: Decision,
    story_id: int | None,
    now: datetime,
) -> None:
    await headlines.insert_headlines(
        conn, [_row(headline, result, decision=decision, story_id=story_id)], now
    )


async def _queue_alert(
    conn: aiosqlite.Connection,
    candidate: _Alerting,
    categories: Mapping[str, CategoryInfo],
    destinations: Sequence[Destination],
    now: datetime,
) -> int:
    headline = candidate.headline
    others = await stories.also_reported_by(conn, candidate.story_id, headline.outlet)
    key = story_key(candidate.story_id)
    # Channels subscribed to the same categories with the same mention get the same message:
    # render each variant once and queue every row in one statement (rendering and inserting
    # one by one made a large fan-out slow; benchmarks/scale.py measures it).
    messages: dict[tuple[tuple[str, ...], str | None], str] = {}
    rows: list[tuple[int, str, str]] = []
    for target in route(candidate.classification.categories, destinations):
        variant = (target.categories, target.mention)
        message = messages.get(variant)
        if message is None:
            infos = tuple(categories[c] for c in target.categories if c in categories)
            alert = Alert(
                story_id=candidate.story_id,
                title=headline.title,
                link=headline.link,
                summary=headline.summary,
                outlet=headline.outlet,
                published=candidate.effective,
                categories=infos,
                evidence=evidence_phrases(candidate.classification, target.categories, categories),
                also_reported_by=others,
                mention=target.mention,
            )
            message = messages[variant] = dump_message(alert)
        rows.append((target.destination.id, key, message))
    return await outbox.enqueue_many(conn, rows, now)


async def _queue_overflow(
    conn: aiosqlite.Connection,
    feed: str,
    overflowing: Sequence[_Alerting],
    *,
    categories: Mapping[str, CategoryInfo],
    destinations: Sequence[Destination],
    now: datetime,
) -> int:
    queued = 0
    outlet = overflowing[0].headline.outlet
    for target in destinations:
        if target.broken_reason is not None:
            continue
        items = tuple(
            OverflowItem(c.headline.title, c.headline.link, _label(categories, category))
            for c in overflowing
            if (
                category := next(
                    (x for x in c.classification.categories if x in target.subscriptions), None
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
