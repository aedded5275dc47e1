"""Scale: classification rate, and the store with 1,000,000 headlines in it.

- classification: headlines per second on one core (bench_classify.py's corpus and the farm's);
- is-new lookups: `known_keys` (identity) and `find_by_links` (canonical URL) for one headline,
  and both batched for a whole poll, as decide_new uses them;
- event matching (benchmarks/matching.py): categorised headlines placed with 5,000 open events
  in the window, actors and placing timed apart, and the window's first load from the store;
- the query plans of every statement those use (EXPLAIN QUERY PLAN, real bound parameters);
- one story fanned out to 10,000 subscribed channels through decide_new → route → outbox;
- the database's size on disk.

The 1M rows are written with plain sqlite3 in big transactions (the production code writes one
poll at a time; filling the table that way would take an hour and measure nothing new). They
span 90 days, the default retention, from 500 feeds; 6% carry a category and belong to a story.
No ANALYZE is run, as production never runs it: the plans are the ones users get.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.corpus import compose
from benchmarks.farm_client import ITEMS
from benchmarks.matching import EVENTS, SAMPLES, MatchingFigures, run_matching

FEEDS = 500
RETENTION = timedelta(days=90)
FANOUT_CATEGORY = "defection"


@dataclass
class ScaleFigures:
    """What scale.py measured."""

    headlines: int
    classify_per_s: float = 0.0
    classify_farm_per_s: float = 0.0
    fill_s: float = 0.0
    db_mb: float = 0.0
    known_key_ms: tuple[float, float] = (0.0, 0.0)  # p50, p99 per headline
    find_by_link_ms: tuple[float, float] = (0.0, 0.0)
    is_new_ms: tuple[float, float] = (0.0, 0.0)  # both lookups for one headline
    poll_batch_ms: float = 0.0  # known_keys + find_by_links for a 50-item poll
    matching: MatchingFigures = field(default_factory=MatchingFigures)
    fanout_subscriptions: int = 0
    fanout_s: float = 0.0
    fanout_queued: int = 0
    plans: dict[str, list[str]] = field(default_factory=dict)


def classify_rate(seconds: float = 1.0) -> tuple[float, float]:
    """Median headlines/s over bench_classify.py's corpus, and over the farm's headlines."""
    from benchmarks.bench_classify import headlines
    from bot.pipeline.classify import Classifier

    classifier = Classifier.load()
    _source, base = headlines()
    rng = random.Random(8)
    farm = [(h.title, h.standfirst) for h in (compose(rng, 0, i) for i in range(2000))]
    return _rate(classifier, base, seconds), _rate(classifier, farm, seconds)


def _rate(classifier: Any, items: Sequence[tuple[str, str]], seconds: float) -> float:
    for title, summary in items:  # warm-up
        classifier.classify(title, summary)
    rates: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(rates) < 3:
        start = time.perf_counter()
        for title, summary in items:
            classifier.classify(title, summary)
        rates.append(len(items) / (time.perf_counter() - start))
    return statistics.median(rates)


def fill(path: Path, count: int, now: datetime) -> list[tuple[str, str, str]]:
    """Write `count` headlines (and their events) into the migrated database at `path`.

    Returns a sample of (feed, entry_key, link) that exist.
    """
    from bot.pipeline.stories import signature
    from bot.store.connection import to_db

    rng = random.Random(1)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    span = RETENTION.total_seconds()
    sample: list[tuple[str, str, str]] = []
    batch: list[tuple[Any, ...]] = []
    story_id = 0
    for index in range(count):
        feed = index % FEEDS
        seq = index // FEEDS
        fake = compose(rng, feed, seq)
        # Oldest first, evenly over the retention period, so ids grow with time as in real use.
        seen = now - timedelta(seconds=span * (1 - index / count))
        stamp = to_db(seen)
        link = f"https://www.example-news.co.uk/politics/{fake.slug}"
        key = f"https://www.example-news.co.uk/news/articles/c{index:011d}"
        story: int | None = None
        categories = ""
        evidence = "{}"
        decision = "no_category"
        if fake.label:
            categories = fake.label
            evidence = json.dumps({fake.label: [f"{fake.label}.rule (title): matched"]})
            # Two in three reports start a story; the rest join the previous one.
            if story_id == 0 or rng.random() < 0.67:
                story_id += 1
                conn.execute(
                    "INSERT INTO stories (id, created_at, title, link, categories, signature, "
                    "alerted_at, last_report_at, revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        story_id,
                        stamp,
                        fake.title,
                        link,
                        fake.label,
                        json.dumps(signature(fake.title).to_json()),
                        stamp,
                        stamp,
                        story_id,
                    ),
                )
                decision = "alerted"
            else:
                decision = "joined_story"
            story = story_id
        batch.append(
            (
                f"Feed {feed:04d}",
                key,
                link,
                fake.title,
                fake.standfirst,
                f"Feed {feed:04d}",
                stamp,
                stamp,
                stamp,
                categories,
                evidence,
                decision,
                story,
            )
        )
        if index % (count // 200 or 1) == 0:
            sample.append((f"Feed {feed:04d}", key, link))
        if len(batch) >= 20_000:
            _flush(conn, batch)
    _flush(conn, batch)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return sample


def _flush(conn: sqlite3.Connection, batch: list[tuple[Any, ...]]) -> None:
    conn.executemany(
        "INSERT INTO headlines (feed, entry_key, link, title, summary, outlet, published_at, "
        "first_seen_at, last_seen_at, categories, evidence, decision, story_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        batch,
    )
    conn.commit()
    batch.clear()


class RecordingConnection:
    """Passes calls through to an aiosqlite connection, keeping each SQL text and its parameters.

    Lets the benchmark EXPLAIN exactly the statements the store runs, with parameters bound as
    the store binds them (a literal in their place can change which index SQLite may use).
    """

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.statements: dict[str, Any] = {}

    def execute(self, sql: str, parameters: Any = None) -> Any:
        """Record, then delegate."""
        self.statements.setdefault(sql, parameters)
        return self._conn.execute(sql, parameters)

    def execute_fetchall(self, sql: str, parameters: Any = None) -> Any:
        """Record, then delegate."""
        self.statements.setdefault(sql, parameters)
        return self._conn.execute_fetchall(sql, parameters)

    def executemany(self, sql: str, parameters: Any) -> Any:
        """Record (with the first row's parameters), then delegate."""
        rows = list(parameters)
        self.statements.setdefault(sql, rows[0] if rows else ())
        return self._conn.executemany(sql, rows)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return (
        statistics.median(ordered) * 1000,
        ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    )


async def measure(
    path: Path,
    figures: ScaleFigures,
    sample: list[tuple[str, str, str]],
    *,
    now: datetime,
    fanout: int,
) -> None:
    """Lookups, matching, plans and fan-out against the filled database."""
    from bot.store.connection import Database

    db = await Database.open(path)
    try:
        await _lookups(db.conn, figures, sample)
        await _plans(db.conn, figures, sample[0][0], now)
        await _fanout(db, figures, fanout, now)
    finally:
        await db.close()


async def _lookups(conn: Any, figures: ScaleFigures, sample: list[tuple[str, str, str]]) -> None:
    from bot.store import headlines as seen

    rng = random.Random(2)
    known, by_link, both = [], [], []
    for feed, key, link in sample * max(1, 1000 // len(sample)):
        hit = rng.random() < 0.5  # half seen before, half new
        probe_key = key if hit else key + "-new"
        probe_link = link if hit else link + "-new"
        start = time.perf_counter()
        await seen.known_keys(conn, feed, [probe_key])
        middle = time.perf_counter()
        await seen.find_by_links(conn, [probe_link])
        end = time.perf_counter()
        known.append(middle - start)
        by_link.append(end - middle)
        both.append(end - start)
    figures.known_key_ms = _percentiles(known)
    figures.find_by_link_ms = _percentiles(by_link)
    figures.is_new_ms = _percentiles(both)
    # What a poll really does: both lookups for all of a feed's items in one query each.
    feed = sample[len(sample) // 2][0]
    keys, links = _probe_keys()
    start = time.perf_counter()
    for _ in range(20):
        await seen.known_keys(conn, feed, keys)
        await seen.find_by_links(conn, links)
    figures.poll_batch_ms = (time.perf_counter() - start) / 20 * 1000


def _probe_keys() -> tuple[list[str], list[str]]:
    keys = [f"https://www.example-news.co.uk/news/articles/x{i}" for i in range(ITEMS)]
    links = [f"https://www.example-news.co.uk/politics/x{i}" for i in range(ITEMS)]
    return keys, links


async def _plans(conn: Any, figures: ScaleFigures, feed: str, now: datetime) -> None:
    """EXPLAIN QUERY PLAN for the statements behind the lookups, a poll and a fan-out."""
    from bot.pipeline.events import RESUMES_WITHIN
    from bot.store import destinations as dest_store
    from bot.store import events as event_store
    from bot.store import headlines as seen
    from bot.store import outbox, stories
    from bot.store.connection import to_db

    keys, links = _probe_keys()
    recorder: Any = RecordingConnection(conn)
    await seen.known_keys(recorder, feed, keys[:3])
    await seen.find_by_links(recorder, links[:3])
    await seen.touch(recorder, feed, keys[:3], now)
    # What every decide starts with: the events changed since the window last looked.
    await event_store.changed_since(
        recorder, to_db(now - timedelta(minutes=5)), now - timedelta(hours=36) - RESUMES_WITHIN
    )
    await stories.also_reported_by(recorder, 1, "")
    await dest_store.active_destinations(recorder)
    await outbox.claim_due(recorder, now=now, lease=60, limit=100, kinds=("console",))
    for sql, params in recorder.statements.items():
        async with conn.execute("EXPLAIN QUERY PLAN " + sql, params or ()) as cursor:
            rows = await cursor.fetchall()
        figures.plans[" ".join(sql.split())] = [str(row[3]) for row in rows]


async def _fanout(db: Any, figures: ScaleFigures, fanout: int, now: datetime) -> None:
    """N channels subscribed to one category; one new headline in it, through decide_new."""
    from bot.config import PollingSettings
    from bot.domain import Headline
    from bot.pipeline.classify import Classifier
    from bot.pipeline.decide import decide_new
    from bot.store import destinations as dest_store

    async with db.transaction() as tx:
        for index in range(fanout):
            await dest_store.subscribe(
                tx,
                key=f"discord:bench:{index}",
                kind="discord",
                label=f"#politics-{index}",
                scope=f"guild-{index % 50}",
                channel=str(10**17 + index),
                categories=[FANOUT_CATEGORY],
                mention=None,
                created_by="bench",
                now=now,
            )
    classifier = Classifier.load()
    headline = Headline(
        feed="Fan-out feed",
        entry_key="fanout-1",
        link="https://www.example-news.co.uk/politics/fanout-1",
        title="Tory MP Quentin Fanshawe-Oglethorpe defects to Labour",
        summary="The MP said the party had left them.",
        published=now,
        outlet="Fan-out feed",
    )
    result = classifier.classify(headline.title, headline.summary)
    start = time.perf_counter()
    async with db.transaction() as tx:
        decided = await decide_new(
            tx,
            headline.feed,
            [(headline, result)],
            categories=classifier.categories,
            polling=PollingSettings(),
            catch_up=False,
            now=now,
        )
    figures.fanout_s = time.perf_counter() - start
    figures.fanout_subscriptions = fanout
    figures.fanout_queued = decided.queued


def run_scale(
    folder: Path,
    *,
    headlines: int,
    fanout: int,
    classify_s: float,
    events: int = EVENTS,
    samples: int = SAMPLES,
) -> ScaleFigures:
    """Fill a fresh database with `headlines` rows and measure everything above."""
    from bot.app import settle_heap
    from bot.store.connection import Database

    figures = ScaleFigures(headlines=headlines)
    figures.classify_per_s, figures.classify_farm_per_s = classify_rate(classify_s)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "scale.sqlite3"
    for leftover in folder.glob("scale.sqlite3*"):
        leftover.unlink()
    now = datetime.now(UTC)

    async def migrate() -> None:
        db = await Database.open(path)
        await db.close()

    asyncio.run(migrate())
    start = time.perf_counter()
    sample = fill(path, headlines, now)
    figures.fill_s = time.perf_counter() - start
    figures.db_mb = path.stat().st_size / 1_000_000
    # The fill left this process a heap `run` never has; `run` measures from a settled one.
    settle_heap()
    asyncio.run(measure(path, figures, sample, now=now, fanout=fanout))
    figures.matching = run_matching(folder / "matching", events=events, samples=samples)
    return figures
