"""Memory: `division-bell run` polling the farm, whole process tree, after N poll cycles.

A short interval (10 s, the smallest the config allows) gets through 10 cycles in under two
minutes; the farm moves on a round every interval, so 10% of feeds change each time and alerts
flow to a loopback webhook as they would in service.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import start_service, stop_service, write_config
from benchmarks.farm_client import FarmClient
from benchmarks.proctree import MB, TreeSampler, pss, tree
from benchmarks.proctree import rss as tree_rss
from benchmarks.receiver import Receiver

TARGET_MB = 150
INTERVAL = 10.0


@dataclass(frozen=True, slots=True)
class MemoryFigures:
    """Tree RSS after `cycles` cycles, its peak, the PSS view, and how long it took."""

    feeds: int
    cycles: int
    rss_mb: float
    peak_mb: float
    pss_mb: float
    processes: int
    seconds: float
    exit_status: int

    @property
    def met(self) -> bool:
        """Under the 150 MB target (summed RSS, the stricter reading)."""
        return self.rss_mb < TARGET_MB


def run_memory(farm: FarmClient, folder: Path, *, cycles: int) -> MemoryFigures:
    """Run the service until every feed has been polled `cycles` times, then measure."""
    from benchmarks.proctree import bench_env

    farm.set_state(round_no=0, mode="mixed", clear=True)
    farm.reset_stats()
    receiver = Receiver()
    folder.mkdir(parents=True, exist_ok=True)
    config = write_config(folder, farm.urls(), interval=INTERVAL, webhook=receiver.url)
    stop = threading.Event()

    def advance() -> None:
        round_no = 0
        while not stop.wait(INTERVAL):
            round_no += 1
            farm.set_state(round_no=round_no)

    mover = threading.Thread(target=advance, daemon=True)
    start = time.monotonic()
    proc = start_service(folder, config, bench_env(folder / "data"))
    try:
        with TreeSampler(proc.pid, interval=0.1) as sampler:
            mover.start()
            deadline = start + cycles * INTERVAL * 3 + 60
            while farm.stats().get("requests", 0) < cycles * farm.feeds:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "run stopped or stalled before "
                        f"{cycles} cycles:\n{(folder / 'run.log').read_text()[-2000:]}"
                    )
                time.sleep(0.5)
            time.sleep(2)  # let the last polls of the cycle finish
            pids = tree(proc.pid)
            rss_now, pss_now = tree_rss(pids), pss(pids)
            seconds = time.monotonic() - start
            peak = sampler.peak
    finally:
        stop.set()
        status = stop_service(proc)
        receiver.stop()
    return MemoryFigures(
        feeds=farm.feeds,
        cycles=cycles,
        rss_mb=rss_now / MB,
        peak_mb=peak / MB,
        pss_mb=pss_now / MB,
        processes=len(pids),
        seconds=seconds,
        exit_status=status,
    )
