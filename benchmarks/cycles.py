"""Poll cycles through the library, with a ticker measuring the event loop's longest stall.

The measured process runs the real runtime (`bot.app.open_runtime`, `Poller.poll_all`) beside a
ticker coroutine that sleeps 5 ms at a time and records how late it wakes: any synchronous work
on the loop (parsing inline, a slow query on the loop thread, a big JSON decode) shows up as
lateness. No hook in production code is needed. The parent process samples the whole tree's RSS
(parse workers included) between the "begin" and "end" of each cycle.

Child protocol, one JSON object per line on stdout: {"event": "begin", "kind": K}, then the child
waits for a line on stdin (so the parent's sampler is reset first), runs the cycle and prints
{"event": "end", ...figures}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import PLANS, ROOT, write_config
from benchmarks.farm_client import ITEMS, FarmClient
from benchmarks.proctree import MB, TreeSampler, cpu, tree

TICK = 0.005


@dataclass(frozen=True, slots=True)
class CycleFigures:
    """One measured cycle."""

    kind: str
    feeds: int
    wall: float
    cpu: float
    peak_rss_mb: float
    items_per_s: float
    stall_ms: float
    stall_cpu_ms: float  # the loop thread's own CPU time within that worst stall
    stall_queued_ms: float  # how long, within it, the loop thread was runnable but had no core
    busiest_ms: float  # the longest the loop thread computed between two ticks
    parsed_feeds: int
    new_items: int
    failed: int
    stall_p99_ms: float = 0.0  # the 99th percentile of the ticker's lateness over the cycle


class Ticker:
    """Records the worst lateness of a 5 ms sleep on this loop since the last reset.

    Also how much CPU the loop's thread used meanwhile, and how long Linux kept it queued for a
    core (/proc/thread-self/schedstat): a stall with little CPU in it was the thread waiting, and
    what is neither CPU nor queueing was the thread blocked, in practice on the GIL.
    """

    def __init__(self) -> None:
        self.worst = 0.0  # seconds late
        self.worst_cpu = 0.0  # the loop thread's CPU seconds during that worst stall
        self.worst_queued = 0.0  # seconds it spent runnable without a core in that stall
        self.busiest = 0.0  # the most CPU the loop thread used between two ticks
        self.lates: list[float] = []  # every tick's lateness, for percentiles
        self._task: asyncio.Task[None] | None = None

    def reset(self) -> None:
        """Forget what was seen so far."""
        self.worst = self.worst_cpu = self.worst_queued = self.busiest = 0.0
        self.lates = []

    def p99(self) -> float:
        """The 99th percentile lateness since the last reset (nearest rank), in seconds."""
        ordered = sorted(self.lates)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, max(0, -(-99 * len(ordered) // 100) - 1))]

    def start(self) -> None:
        """Begin ticking on the running loop."""
        self._task = asyncio.create_task(self._tick())

    async def stop(self) -> None:
        """Stop ticking."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _tick(self) -> None:
        while True:
            before, cpu_before, queued_before = time.perf_counter(), time.thread_time(), _queued()
            await asyncio.sleep(TICK)
            late = time.perf_counter() - before - TICK
            used = time.thread_time() - cpu_before
            self.lates.append(late)
            if late > self.worst:
                self.worst, self.worst_cpu = late, used
                self.worst_queued = _queued() - queued_before
            self.busiest = max(self.busiest, used)


def _queued() -> float:
    """Seconds this thread has spent runnable but waiting for a core (0 where Linux won't say)."""
    try:
        with open("/proc/thread-self/schedstat", "rb") as stat:
            return int(stat.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


async def _child(ports: list[int], feeds: int, folder: Path, plan: str) -> None:
    from bot.app import open_runtime, settle_heap
    from bot.config import load_settings

    farm = FarmClient(feeds, ports)
    config = write_config(folder, farm.urls(), webhook="http://127.0.0.1:9/unused")
    settings = load_settings(config)
    ticker = Ticker()
    async with open_runtime(settings, long_running=True) as runtime:  # as `run` opens it
        settle_heap()  # as `run` does once started
        ticker.start()
        for step in PLANS[plan]:
            farm.set_state(round_no=step.round_no, mode=step.mode, clear=step.clear)
            if step.measured:
                print(json.dumps({"event": "begin", "kind": step.kind}), flush=True)
                sys.stdin.readline()
            # Let the ticker settle after the blocking farm call and the stdin read.
            await asyncio.sleep(0.05)
            ticker.reset()
            pids = tree(_pid())
            cpu_before = cpu(pids)
            start = time.perf_counter()
            outcomes = await runtime.poller.poll_all(settings.feeds)
            wall = time.perf_counter() - start
            used = cpu(tree(_pid())) - cpu_before
            if step.measured:
                print(
                    json.dumps(
                        {
                            "event": "end",
                            "kind": step.kind,
                            "wall": wall,
                            "cpu": used,
                            "stall": ticker.worst,
                            "stall_p99": ticker.p99(),
                            "stall_cpu": ticker.worst_cpu,
                            "stall_queued": ticker.worst_queued,
                            "busiest": ticker.busiest,
                            "parsed": sum(o.status == "changed" for o in outcomes),
                            "new": sum(o.new for o in outcomes),
                            "failed": sum(o.status == "failed" for o in outcomes),
                        }
                    ),
                    flush=True,
                )
        await ticker.stop()


def _pid() -> int:
    import os

    return os.getpid()


def run_cycles(
    ports: list[int], feeds: int, folder: Path, plan: str = "standard"
) -> list[CycleFigures]:
    """Run a plan (benchmarks.common.PLANS) in a fresh child process against a farm; one row
    per measured cycle."""
    folder.mkdir(parents=True, exist_ok=True)
    log = (folder / "cycles.log").open("wb")
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "benchmarks.cycles", "--ports", ",".join(map(str, ports))),
            *("--feeds", str(feeds), "--folder", str(folder), "--plan", plan),
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    rows: list[CycleFigures] = []
    with TreeSampler(proc.pid, interval=0.02) as sampler:
        for line in proc.stdout:
            event = json.loads(line)
            if event["event"] == "begin":
                sampler.reset()
                proc.stdin.write("go\n")
                proc.stdin.flush()
                continue
            rows.append(
                CycleFigures(
                    kind=event["kind"],
                    feeds=feeds,
                    wall=event["wall"],
                    cpu=event["cpu"],
                    peak_rss_mb=sampler.peak / MB,
                    items_per_s=feeds * ITEMS / event["wall"],
                    stall_ms=event["stall"] * 1000,
                    stall_cpu_ms=event["stall_cpu"] * 1000,
                    stall_queued_ms=event["stall_queued"] * 1000,
                    busiest_ms=event["busiest"] * 1000,
                    parsed_feeds=event["parsed"],
                    new_items=event["new"],
                    failed=event["failed"],
                    stall_p99_ms=event["stall_p99"] * 1000,
                )
            )
    proc.wait()
    log.close()
    if proc.returncode != 0:
        tail = (folder / "cycles.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"cycle benchmark failed (exit {proc.returncode}):\n{tail}")
    return rows


def main() -> None:
    """Child entry point (see the module docstring)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--ports", required=True)
    parser.add_argument("--feeds", type=int, required=True)
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--plan", choices=sorted(PLANS), default="standard")
    args = parser.parse_args()
    ports = [int(p) for p in args.ports.split(",")]
    asyncio.run(_child(ports, args.feeds, args.folder, args.plan))


def run_cycles_repeated(
    ports: list[int], feeds: int, folder: Path, repeats: int
) -> list[CycleFigures]:
    """run_cycles `repeats` times from fresh databases: the median of each figure, except the
    loop stall, which is the worst seen (the target is about the worst case)."""
    runs = [run_cycles(ports, feeds, folder / f"run-{n}") for n in range(repeats)]
    merged = []
    for rows in zip(*runs, strict=True):
        worst = max(rows, key=lambda r: r.stall_ms)
        merged.append(
            CycleFigures(
                kind=rows[0].kind,
                feeds=feeds,
                wall=statistics.median(r.wall for r in rows),
                cpu=statistics.median(r.cpu for r in rows),
                peak_rss_mb=statistics.median(r.peak_rss_mb for r in rows),
                items_per_s=statistics.median(r.items_per_s for r in rows),
                stall_ms=worst.stall_ms,
                stall_cpu_ms=worst.stall_cpu_ms,
                stall_queued_ms=worst.stall_queued_ms,
                busiest_ms=max(r.busiest_ms for r in rows),
                parsed_feeds=rows[0].parsed_feeds,
                new_items=rows[0].new_items,
                failed=max(r.failed for r in rows),
                stall_p99_ms=max(r.stall_p99_ms for r in rows),
            )
        )
    return merged


if __name__ == "__main__":
    main()
