"""Latency: a feed changes on the farm → the alert arrives at a loopback webhook.

`division-bell run` polls every feed on its interval (with jitter) and delivers through the
outbox; the benchmark publishes one new categorised headline at a time, on a different feed
each time, at random moments, and times each from publication to arrival. The expected worst
case is one full interval plus the maximum jitter (a change just after a poll waits for the
next one), so the target is p99 ≤ interval + jitter + 2 s.
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import start_service, stop_service, write_config
from benchmarks.corpus import words
from benchmarks.farm_client import FarmClient
from benchmarks.proctree import bench_env
from benchmarks.receiver import Receiver

JITTER = 0.1
# Names used nowhere else in the farm, so no injected headline joins an existing story.
FIRST = ("Imogen", "Barnaby", "Cressida", "Ptolemy", "Ottoline", "Crispin", "Araminta", "Rufus")
SURNAMES = words(
    """
    Abercrombie Blenkinsop Carrowmore Dunsinane Ellerbeck Fothergill Gormley Hepplewhite
    Illingworth Jellicoe Kettlewell Llewellyn Mountjoy Netherton Ormerod Postlethwaite
    Quarrington Rathbone Sowerby Thistlethwaite Urquhart Vavasour Wolstenholme Yelverton
    Ackroyd Braithwaite Cholmondeley Dimbleby Entwistle Featherstonehaugh Grimshaw Hollingsworth
    """
)


@dataclass(frozen=True, slots=True)
class LatencyFigures:
    """Change → alert latencies in seconds."""

    interval: float
    changes: int
    arrived: int
    p50: float
    p99: float
    worst: float
    seconds: float

    @property
    def target(self) -> float:
        """interval + maximum jitter + 2 s."""
        return self.interval * (1 + JITTER) + 2

    @property
    def met(self) -> bool:
        """Every change arrived, and p99 is within the target."""
        return self.arrived == self.changes and self.p99 <= self.target


def run_latency(
    farm: FarmClient, folder: Path, *, interval: float, changes: int, seed: int = 8
) -> LatencyFigures:
    """Publish `changes` headlines over ~2.5 intervals and time each to its alert."""
    rng = random.Random(seed)
    farm.set_state(round_no=0, mode="mixed", clear=True)
    farm.reset_stats()
    receiver = Receiver()
    folder.mkdir(parents=True, exist_ok=True)
    config = write_config(
        folder, farm.urls(), interval=interval, jitter=JITTER, webhook=receiver.url
    )
    started = time.monotonic()
    proc = start_service(folder, config, bench_env(folder / "data"))
    sent: list[tuple[str, float]] = []
    try:
        # First cycle done (every feed polled once) before any change, so each change is
        # picked up by a regular poll rather than the start-up one.
        while farm.stats().get("requests", 0) < farm.feeds:
            if proc.poll() is not None or time.monotonic() - started > 300:
                raise RuntimeError((folder / "run.log").read_text()[-2000:])
            time.sleep(0.5)
        time.sleep(min(5.0, interval / 4))
        window = 2.5 * interval
        moments = sorted(rng.uniform(0, window) for _ in range(changes))
        feeds = rng.sample(range(farm.feeds), min(changes, farm.feeds))
        begin = time.monotonic()
        for number, moment in enumerate(moments):
            time.sleep(max(0.0, begin + moment - time.monotonic()))
            # A new surname each time, then new first names: two MPs who share only a
            # surname are different stories, so up to 256 changes never merge.
            first = FIRST[(number // len(SURNAMES)) % len(FIRST)]
            name = f"{first} {SURNAMES[number % len(SURNAMES)]}"
            title = f"Tory MP {name} defects to Labour"
            at = farm.inject(feeds[number % len(feeds)], title, f"{name} said the party had gone.")
            sent.append((name, at))
        deadline = time.monotonic() + interval * (1 + JITTER) + 30
        while time.monotonic() < deadline:
            if all(receiver.first_containing(name) is not None for name, _ in sent):
                break
            time.sleep(0.2)
    finally:
        stop_service(proc)
        receiver.stop()
    delays = []
    for name, at in sent:
        arrived = receiver.first_containing(name)
        if arrived is not None:
            delays.append(arrived - at)
    ordered = sorted(delays) or [float("inf")]
    return LatencyFigures(
        interval=interval,
        changes=len(sent),
        arrived=len(delays),
        p50=statistics.median(ordered),
        # Nearest rank: with fewer than 100 samples the p99 is the worst one.
        p99=ordered[min(len(ordered) - 1, max(0, -(-99 * len(ordered) // 100) - 1))],
        worst=ordered[-1],
        seconds=time.monotonic() - started,
    )
