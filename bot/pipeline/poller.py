"""The poll cycle: the one place that runs fetch → parse → classify → decide against the store."""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import aiohttp

from bot.config import Settings
from bot.domain import Classification, FeedSource, Headline
from bot.errors import FetchError, ParseError
from bot.pipeline import admit as gate
from bot.pipeline.classify import Classifier
from bot.pipeline.decide import DecideResult, decide_new
from bot.pipeline.events import EventWindow
from bot.pipeline.fetch import (
    FetchLimits,
    FetchResult,
    Validators,
    backoff_delay,
    fetch_feed,
    next_poll_delay,
)
from bot.pipeline.parse import ParsedFeed, parse_feed
from bot.pipeline.parse_job import (
    ClassifiedFeed,
    actors_given,
    parse_and_classify,
    prepare_classifying,
)
from bot.store import feeds as feed_store
from bot.store import headlines as headline_store
from bot.store.sql import Conn, Store

log = logging.getLogger(__name__)

POLL_CONCURRENCY = 16


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """What polling one feed did, for logs, tests and `status`."""

    feed: str
    status: str  # "changed", "not_modified", "failed", "deferred"
    new: int = 0
    alerts: int = 0
    error: str | None = None
    categories: tuple[str, ...] = ()  # one entry per (alerting story, category)
    breaking: int = 0  # events that became breaking
    queued: int = 0  # outbox rows queued or re-armed: alerts, updates, summaries


# Told of every poll's outcome (the service's metrics); the core knows nothing of what listens.
PollObserver = Callable[[PollOutcome], None]


class Poller:
    """Polls feeds into the store; knows nothing of chat platforms or the scheduler."""

    def __init__(
        self,
        settings: Settings,
        db: Store,
        classifier: Classifier,
        session: aiohttp.ClientSession,
        parse_executor: Executor | None,
        *,
        clock: Callable[[], datetime],
        rng: random.Random | None = None,
        on_poll: PollObserver | None = None,
    ) -> None:
        self.settings = settings
        # A one-off poll: a feed's first reading is parsed and classified in the pool, later
        # readings parsed in a thread here (see _parse); `run` uses the pool for every parse
        # (prepare_for_service).
        self.one_off = True
        self.on_poll = on_poll
        self.db = db
        self.classifier = classifier
        self.session = session
        self.parse_executor = parse_executor
        self.clock = clock
        self.rng = rng or random.Random()
        self._in_flight = asyncio.Semaphore(POLL_CONCURRENCY)
        self._prepared: asyncio.Future[None] | None = None  # see prepare_in_background
        # While poll_all runs: the records it holds back, and every feed's state read in one
        # query (a feed's poll changes only its own).
        self._unchanged: list[Callable[[Conn], Awaitable[None]]] | None = None
        self._states: dict[str, feed_store.FeedState] | None = None
        # One event window per process: read once, then kept current (bot.pipeline.window).
        self.window = EventWindow(
            timedelta(hours=settings.events.window), dict(classifier.grouping)
        )
        polling = settings.polling
        self.limits = FetchLimits(
            timeout=polling.timeout,
            connect_timeout=min(10.0, polling.timeout),
            max_bytes=polling.max_bytes,
        )

    async def prepare_for_service(self) -> None:
        """Ready for a long-running service: the classifier built now, off the loop, and
        every feed classified in this process."""
        # The first cold cycle then does not stall on building the classifier's index. In the
        # pool, first readings pay off for a one-off `poll`, whose workers end with it; a
        # service's workers would hold the classifier and the register for good
        # (benchmarks/memory.py).
        self.one_off = False
        await asyncio.to_thread(self.classifier.prepare)

    def prepare_in_background(self) -> None:
        """For a one-off poll: build what classifying and placing in this process need (the
        classifier's index, the register, the patterns) in a thread from now, while the first
        fetches and parses are under way, so the first entry to classify here need not wait."""
        if self._prepared is None:
            building = asyncio.to_thread(prepare_classifying, self.classifier)
            self._prepared = asyncio.ensure_future(building)

    def interval(self, feed: FeedSource) -> float:
        """The feed's own interval, else the global one."""
        return feed.interval or self.settings.polling.interval

    async def poll_all(
        self, feeds: Sequence[FeedSource], *, skip_backing_off: bool = True
    ) -> list[PollOutcome]:
        """Poll several feeds at once; one feed's failure never touches the others."""
        # Unchanged feeds are recorded together at the end (one by one, each queued behind the
        # changed feeds' transactions); lost if the poll dies: those are refetched next time.
        if self._unchanged is not None:  # the held-back records are this call's alone
            raise RuntimeError("poll_all is already polling with this Poller")
        self._unchanged = []
        self._states = {state.name: state for state in await feed_store.all_feeds(self.db.conn)}
        try:
            polls = (self.poll_feed(f, skip_backing_off=skip_backing_off) for f in feeds)
            return list(await asyncio.gather(*polls))
        finally:
            self._states = None
            unchanged, self._unchanged = self._unchanged, None
            if unchanged:
                async with self.db.transaction() as conn:
                    for record in unchanged:
                        await record(conn)

    async def poll_feed(self, feed: FeedSource, *, skip_backing_off: bool = True) -> PollOutcome:
        """Fetch, parse, classify and record one feed; never raises for a feed's own faults."""
        # At most POLL_CONCURRENCY feeds in flight however they are started: `run` starts one
        # job per feed, and 500 at once held every body in memory waiting for the parse pool
        # (memory the heap never gave back; benchmarks/memory.py).
        async with self._in_flight:
            outcome = await self._poll_feed(feed, skip_backing_off=skip_backing_off)
        if self.on_poll is not None:
            self.on_poll(outcome)
        return outcome

    async def _poll_feed(self, feed: FeedSource, *, skip_backing_off: bool) -> PollOutcome:
        read = self._states
        if read is not None and feed.name in read:
            state: feed_store.FeedState | None = read.pop(feed.name)
        else:
            state = await feed_store.get_feed(self.db.conn, feed.name)
        now = self.clock()
        if (
            skip_backing_off
            and state is not None
            and state.failures > 0
            and state.next_poll_at is not None
            and state.next_poll_at > now
        ):
            return PollOutcome(feed.name, "deferred", error=state.last_error)
        previous = Validators(
            etag=state.etag if state else None,
            last_modified=state.last_modified if state else None,
            body_hash=state.body_hash if state else None,
        )
        try:
            result = await fetch_feed(self.session, feed, previous, self.limits)
            first_reading = state is None or state.first_success_at is None
            parsed, given = (
                await self._parse(feed, result, first_reading=first_reading)
                if result.modified
                else (None, None)
            )
        except (FetchError, ParseError) as exc:
            retry_after = exc.retry_after if isinstance(exc, FetchError) else None
            return await self._failed(feed, exc.reason, retry_after, state)
        return await self._record(feed, result, parsed, state, given)

    async def _parse(
        self, feed: FeedSource, result: FetchResult, *, first_reading: bool
    ) -> tuple[ParsedFeed, ClassifiedFeed | None]:
        """The parsed document and, for a feed's first reading in the pool, its classifying."""
        assert result.body is not None  # noqa: S101 - a modified result always carries its body
        # The module-level functions themselves: a worker unpickling the job imports the
        # function's module, and this one would pull aiohttp and aiosqlite into every worker
        # (benchmarks/memory.py).
        job: Callable[[], ParsedFeed | ClassifiedFeed]
        document: dict[str, Any] = {
            "content_type": result.content_type,
            "base_url": result.final_url,
            "outlet": feed.publisher,
        }
        if first_reading and self.one_off and self.parse_executor is not None:
            # Every entry of a feed read for the first time is new: classified (with its
            # actors) beside the parsing, off this process, which every feed's deciding
            # shares. Later readings bring a few new entries each, not worth the pattern
            # compiling a worker would pay in a short-lived `poll` (benchmarks/event_day.py).
            job = functools.partial(
                parse_and_classify,
                feed.name,
                result.body,
                rules=self.settings.rules,
                today=self.clock().date(),
                **document,
            )
        else:
            job = functools.partial(parse_feed, feed.name, result.body, **document)
        if self.parse_executor is None or (self.one_off and not first_reading):
            # A later reading in a one-off poll: a thread here, not the pool, whose workers
            # take ~0.2 s to start, and most polls parse a few feeds that changed
            # (benchmarks: the 10%-changed cycles; a loop stall matters little in `poll`).
            done = await asyncio.get_running_loop().run_in_executor(None, job)
        else:
            # submit() from a thread: the first submits start the pool and its workers and
            # wait for them, which stalled the event loop (benchmarks/cycles.py).
            future = await asyncio.to_thread(self.parse_executor.submit, job)
            done = await asyncio.wrap_future(future)
        given = done if isinstance(done, ClassifiedFeed) else None
        parsed = given.parsed if given is not None else done
        assert isinstance(parsed, ParsedFeed)  # noqa: S101 - one of the two jobs above
        if parsed.warning:
            log.info("feed %s: read despite errors: %s", feed.name, parsed.warning)
        return parsed, given

    async def _record(
        self,
        feed: FeedSource,
        result: FetchResult,
        parsed: ParsedFeed | None,
        state: feed_store.FeedState | None,
        given: ClassifiedFeed | None = None,
    ) -> PollOutcome:
        """Store what a fetch that reached the feed found: new entries, validators, next poll."""
        now = self.clock()
        delay = next_poll_delay(
            self.interval(feed),
            jitter=self.settings.polling.jitter,
            rng=self.rng,
            ttl=parsed.ttl if parsed else None,
            max_age=result.max_age,
        )
        catch_up = gate.is_catch_up(
            state.first_success_at if state else None,
            state.last_success_at if state else None,
            now,
            self.settings.polling.backfill,
        )
        classify = self._classify_as_of(self.clock().date())
        items = await self._entries(feed, parsed, classify, given) if parsed is not None else []
        success = _success(feed, result, parsed, now, now + timedelta(seconds=delay))
        decided = None
        if parsed is None and self._unchanged is not None:
            self._unchanged.append(success)
        elif parsed is None:
            # A 304 or the same body again: one statement, no transaction (most feeds of a poll).
            async with self.db.statement() as conn:
                await success(conn)
        else:
            async with self.db.transaction() as conn:
                decided = await decide_new(
                    conn,
                    feed.name,
                    items,
                    window=self.window,
                    categories=self.classifier.categories,
                    polling=self.settings.polling,
                    events=self.settings.events,
                    catch_up=catch_up,
                    now=now,
                    classify=classify,
                    actors_of=actors_given(given),
                )
                await success(conn)
        if decided is not None:
            # Only now that the plan is stored: a rolled-back plan leaves the window as it was.
            for event_id, event in decided.events.items():
                self.window.put(event, decided.revisions.get(event_id, 0))
        if state is not None and state.failures > 0:
            log.info("feed %s: recovered after %d failed polls", feed.name, state.failures)
        return _recorded_outcome(feed, decided)

    async def _entries(
        self,
        feed: FeedSource,
        parsed: ParsedFeed,
        classify: Callable[[Headline], Classification],
        given: ClassifiedFeed | None,
    ) -> list[tuple[Headline, Classification | None]]:
        """Each parsed headline in feed order, classified if the feed never listed it before.

        Classified here, before the write transaction, so the lock is not held for it; an entry
        taken for known here and found new under the lock is classified by decide_new.
        """
        if not parsed.headlines:
            # A readable feed that lists nothing is often a publisher fault worth seeing.
            log.warning("feed %s: the feed lists no entries", feed.name)
        if given is not None:
            # Classified in the pool, every entry: decide_new drops those already known.
            return list(zip(parsed.headlines, given.classifications, strict=True))
        keys = [h.entry_key for h in parsed.headlines]
        known = await headline_store.known_keys(self.db.conn, feed.name, keys)
        if self._prepared is not None and len(known) < len(keys):
            await asyncio.shield(self._prepared)  # one build, however many feeds wait for it
        return [(h, None if h.entry_key in known else classify(h)) for h in parsed.headlines]

    def _classify_as_of(self, today: date) -> Callable[[Headline], Classification]:
        """Classification of one headline as the poller does it; `today` for undated ones."""

        def classify(h: Headline) -> Classification:
            # Who sat for which party, or held which post, is judged on the day it was published.
            return self.classifier.classify(
                h.title, h.summary, h.published.date() if h.published else today
            )

        return classify

    async def _failed(
        self,
        feed: FeedSource,
        reason: str,
        retry_after: float | None,
        state: feed_store.FeedState | None,
    ) -> PollOutcome:
        now = self.clock()
        failures = (state.failures if state else 0) + 1
        delay = backoff_delay(failures, base=self.interval(feed), retry_after=retry_after)
        log.warning(
            "feed %s: %s (failure %d in a row; next try in %ds)",
            feed.name,
            reason,
            failures,
            round(delay),
        )
        async with self.db.transaction() as conn:
            await feed_store.record_failure(
                conn, feed.name, now=now, error=reason, next_poll_at=now + timedelta(seconds=delay)
            )
        return PollOutcome(feed.name, "failed", error=reason)


def _recorded_outcome(feed: FeedSource, decided: DecideResult | None) -> PollOutcome:
    """The outcome of a poll that reached the feed; `decided` is None for an unchanged feed."""
    if decided is None:
        return PollOutcome(feed.name, "not_modified")
    if decided.new:
        log.info(
            "feed %s: %d new entries, %d alerts queued%s",
            feed.name,
            decided.new,
            decided.alerts,
            f", {decided.overflow} summarised" if decided.overflow else "",
        )
    return PollOutcome(
        feed.name,
        "changed",
        new=decided.new,
        alerts=decided.alerts,
        categories=decided.categories,
        breaking=decided.breaking,
        queued=decided.queued,
    )


def _success(
    feed: FeedSource,
    result: FetchResult,
    parsed: ParsedFeed | None,
    now: datetime,
    next_poll_at: datetime,
) -> Callable[[Conn], Awaitable[None]]:
    """Storing that a poll reached the feed, for the caller to run in its write."""
    return functools.partial(
        feed_store.record_success,
        name=feed.name,
        now=now,
        next_poll_at=next_poll_at,
        etag=result.validators.etag,
        last_modified=result.validators.last_modified,
        body_hash=result.validators.body_hash,
        title=parsed.title if parsed else None,
        parsed=parsed is not None,
    )
