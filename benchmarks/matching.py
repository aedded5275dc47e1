"""Event matching at scale: placing categorised headlines with 5,000 open events in the window.

As a poll does it (bot.pipeline.plan): each categorised headline's actors
(bot.pipeline.actors.actors_of: the register's name recognition, bodies, other names, the
title's wording), then `Placer.place` on an overlay of the process's event window. Timed
separately, per headline, over enough samples for a p99.

The window's events are made the way the poller makes them: realistic categorised headlines
(real people from the packaged register, a few of them in many events as on a busy day; the
inquiries and committees of the day; other names) through actors_of and new_event, their last
reports spread over the 36-hour window so every one is open. They are also stored (encoded as
decide stores them) in a database of their own, to time the window's first load from the
store (bot.pipeline.window.refresh into an empty window) and a refresh that finds nothing new.
"""

from __future__ import annotations

import asyncio
import gc
import random
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.corpus import POLICIES, person
from benchmarks.cycles import TICK, Ticker

EVENTS = 5_000
SAMPLES = 2_000  # placed headlines: enough that the p99 is not one unlucky sample
HOT_PEOPLE = 12  # the people a busy day's coverage keeps naming
HOT_SHARE = 0.3  # of events and of placed headlines: naming one of them
_TEMPLATES = (
    ("defection", "Tory MP {who} defects to Labour"),
    ("defection", "{who} quits {party} to join Reform UK"),
    ("inquiry", "Covid inquiry: {who} gives evidence on {policy}"),
    ("inquiry", "{who} tells Post Office inquiry he was misled"),
    ("inquiry", "Privileges Committee to investigate {who} over {policy} claims"),
    ("inquiry", "Standards commissioner opens investigation into {who}"),
    ("inquiry", "Infected blood inquiry: {who} apologises to victims"),
    ("letters", "{who} submits letter of no confidence in the prime minister"),
    ("defection", "{other} and {who} cross the floor over {policy}"),
)
_SUMMARIES = (
    "{who} said the party had changed beyond recognition.",
    "The announcement follows weeks of pressure from backbench MPs and campaigners.",
    "{who} was questioned for more than three hours about {policy}.",
)


@dataclass
class MatchingFigures:
    """What matching.py measured (milliseconds; pairs are p50, p99)."""

    events: int = 0
    samples: int = 0
    actors_ms: tuple[float, float] = (0.0, 0.0)
    place_ms: tuple[float, float] = (0.0, 0.0)
    total_ms: tuple[float, float] = (0.0, 0.0)  # actors + place, per headline
    # The same two as CPU time of this thread: what a machine busy with other work does not
    # add to (wall time includes waiting for a core when other processes hold both).
    place_cpu_ms: tuple[float, float] = (0.0, 0.0)
    total_cpu_ms: tuple[float, float] = (0.0, 0.0)
    joined_share: float = 0.0  # placed headlines that joined an existing event
    candidates_p99: int = 0  # events compared with one headline, 99th percentile
    first_load_ms: float = 0.0  # refresh into an empty window: read and decode every event
    first_load_stall_ms: float = 0.0  # the event loop's longest stall meanwhile
    refresh_ms: float = 0.0  # refresh when nothing changed (what every decide starts with)


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p99) in milliseconds of samples in seconds (nearest rank for the p99)."""
    ordered = sorted(samples)
    rank = min(len(ordered) - 1, max(0, -(-99 * len(ordered) // 100) - 1))
    return statistics.median(ordered) * 1000, ordered[rank] * 1000


class _Headlines:
    """Deterministic categorised headlines naming register people."""

    def __init__(self, seed: int, on: date) -> None:
        from bot.pipeline.classify import shared_register

        self.rng = random.Random(seed)
        register = shared_register()
        sitting = sorted(
            (p.name for p in register if p.is_sitting_mp(on) and " " in p.name),
        )
        self.people = sitting
        self.hot = random.Random(0).sample(sitting, HOT_PEOPLE)

    def next(self) -> tuple[str, str, str]:
        """(category, title, summary)."""
        rng = self.rng
        pool = self.hot if rng.random() < HOT_SHARE else self.people
        category, template = rng.choice(_TEMPLATES)
        fields = {
            "who": rng.choice(pool),
            "other": person(rng),
            "party": rng.choice(("Labour", "the Conservatives", "the Lib Dems")),
            "policy": rng.choice(POLICIES),
        }
        return category, template.format(**fields), rng.choice(_SUMMARIES).format(**fields)


def build_window(now: datetime, count: int = EVENTS) -> Any:
    """An EventWindow holding `count` open events made from realistic headlines."""
    from bot.pipeline.actors import actors_of
    from bot.pipeline.classify import Classifier, shared_register
    from bot.pipeline.events import EventWindow, Sighting, new_event

    window = EventWindow(timedelta(hours=36), dict(Classifier.load().grouping))
    source = _Headlines(1, now.date())
    register = shared_register()
    span = window.window - timedelta(minutes=5)
    for number in range(count):
        category, title, summary = source.next()
        at = now - span * (1 - number / count)
        actors = actors_of(title, summary, register, at.date())
        report = Sighting(title, f"Outlet {number % 40}", at, at)
        window.put(new_event(number + 1, actors, (category,), report))
    return window


def measure_placing(window: Any, now: datetime, figures: MatchingFigures, samples: int) -> None:
    """Actors and placing, timed apart, for `samples` new categorised headlines."""
    from bot.pipeline.actors import actors_of
    from bot.pipeline.classify import shared_register
    from bot.pipeline.events import Sighting
    from bot.pipeline.placing import Placer

    register = shared_register()
    source = _Headlines(2, now.date())
    extracting, placing, totals, sizes = [], [], [], []
    placing_cpu, totals_cpu = [], []
    joined = 0
    for number in range(samples + 1):
        category, title, summary = source.next()
        placer = Placer(window, surge_outlets=3, surge_minutes=30)
        report = Sighting(title, f"Outlet {number % 40}", now, now)
        start, start_cpu = time.perf_counter(), time.thread_time()
        actors = actors_of(title, summary, register, now.date())
        middle, middle_cpu = time.perf_counter(), time.thread_time()
        placement = placer.place(actors, (category,), report)
        end, end_cpu = time.perf_counter(), time.thread_time()
        if number == 0:
            continue  # the first call pays for lazily built patterns, as one poll does once
        extracting.append(middle - start)
        placing.append(end - middle)
        totals.append(end - start)
        placing_cpu.append(end_cpu - middle_cpu)
        totals_cpu.append(end_cpu - start_cpu)
        joined += placement.joined
        sizes.append(len(window.candidates(actors)))
    figures.samples = samples
    figures.actors_ms = percentiles(extracting)
    figures.place_ms = percentiles(placing)
    figures.total_ms = percentiles(totals)
    figures.place_cpu_ms = percentiles(placing_cpu)
    figures.total_cpu_ms = percentiles(totals_cpu)
    figures.joined_share = joined / samples
    figures.candidates_p99 = sorted(sizes)[min(len(sizes) - 1, len(sizes) * 99 // 100)]


async def measure_first_load(
    path: Path, window: Any, now: datetime, figures: MatchingFigures
) -> None:
    """Store the window's events, then time refresh into an empty window, and once more."""
    from bot.pipeline.events import EventWindow
    from bot.pipeline.window import encode, refresh
    from bot.store import events as event_store
    from bot.store.connection import Database

    for leftover in path.parent.glob(path.name + "*"):
        leftover.unlink()
    db = await Database.open(path)
    try:
        async with db.transaction() as tx:
            for event in window.events.values():
                await event_store.insert_event(tx, encode(event, "https://example.org/"), "{}", now)
        fresh = EventWindow(window.window, window.grouping)
        ticker = Ticker()
        ticker.start()
        await asyncio.sleep(TICK * 2)
        ticker.reset()
        start = time.perf_counter()
        await refresh(db.conn, fresh, now)
        figures.first_load_ms = (time.perf_counter() - start) * 1000
        await asyncio.sleep(TICK * 2)  # the tick under way when the load ended reports late
        figures.first_load_stall_ms = ticker.worst * 1000
        await ticker.stop()
        if len(fresh.events) != len(window.events):
            raise RuntimeError(f"first load read {len(fresh.events)} of {len(window.events)}")
        start = time.perf_counter()
        await refresh(db.conn, fresh, now)
        figures.refresh_ms = (time.perf_counter() - start) * 1000
    finally:
        await db.close()


def run_matching(folder: Path, *, events: int = EVENTS, samples: int = SAMPLES) -> MatchingFigures:
    """Build the window, place headlines into it, and time its first load from a database."""
    now = datetime.now(UTC)
    figures = MatchingFigures()
    window = build_window(now, events)
    # As in the poller: its window is frozen out of the cyclic collector after the first load
    # (bot.pipeline.window.refresh), start-up's heap before it (bot.app.settle_heap).
    gc.collect()
    gc.freeze()
    figures.events = len(window.events)
    measure_placing(window, now, figures, samples)
    folder.mkdir(parents=True, exist_ok=True)
    asyncio.run(measure_first_load(folder / "events.sqlite3", window, now, figures))
    return figures


def main(argv: list[str] | None = None) -> int:
    """`python -m benchmarks.matching [--events N] [--samples N]`: print the figures."""
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=EVENTS)
    parser.add_argument("--samples", type=int, default=SAMPLES)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="division-bell-matching-"))
    m = run_matching(folder, events=args.events, samples=args.samples)
    print(f"{m.events:,} open events, {m.samples:,} categorised headlines placed")
    print(f"  {m.joined_share:.0%} joined an event; p99 {m.candidates_p99} events share an actor")
    print(f"  placing: {m.place_ms[0]:.3f} ms p50, {m.place_ms[1]:.3f} ms p99 (target ≤ 1 ms)")
    print(f"  actors:  {m.actors_ms[0]:.3f} ms p50, {m.actors_ms[1]:.3f} ms p99")
    print(f"  both:    {m.total_ms[0]:.3f} ms p50, {m.total_ms[1]:.3f} ms p99")
    print(
        f"  CPU time: placing {m.place_cpu_ms[0]:.3f} ms p50, {m.place_cpu_ms[1]:.3f} ms p99; "
        f"both {m.total_cpu_ms[0]:.3f} ms p50, {m.total_cpu_ms[1]:.3f} ms p99"
    )
    print(
        f"  first load of the window: {m.first_load_ms:.0f} ms (loop stall "
        f"{m.first_load_stall_ms:.0f} ms); refresh after: {m.refresh_ms:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
