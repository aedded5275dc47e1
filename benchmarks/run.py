"""Run every benchmark and print one report: `python benchmarks/run.py [--feeds 200,500] [--smoke]`.

Sections (each explained in its module): poll cycles through the library with a loop-stall
ticker (cycles.py); `division-bell poll` against lemon24/reader side by side (reader_side.py);
the same on an event day, where events are the work (event_day.py); classification, the store
at 1M headlines and event matching with 5,000 events (scale.py, matching.py); `run`'s memory
after 10 cycles (memory.py); and, with --latency, change-to-alert latency under `run`
(latency.py).

Everything talks to 127.0.0.1 only. The full run takes about 10 minutes on 2 cores (plus about
4 minutes with --latency at the real 60 s interval); --smoke uses tiny sizes and takes well under
a minute, which is what the test suite runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python benchmarks/run.py` puts benchmarks/ first, not the root
    sys.path.insert(0, str(ROOT))

from benchmarks.common import busy_cores, cpu_accounts, table, verdict  # noqa: E402
from benchmarks.cycles import CycleFigures, run_cycles_repeated  # noqa: E402
from benchmarks.event_day import EventDayFigures, run_event_day  # noqa: E402
from benchmarks.event_day import plain as event_day_plain  # noqa: E402
from benchmarks.event_day import render as render_event_day  # noqa: E402
from benchmarks.farm import Farm  # noqa: E402
from benchmarks.latency import LatencyFigures, run_latency  # noqa: E402
from benchmarks.memory import TARGET_MB, MemoryFigures, run_memory  # noqa: E402
from benchmarks.reader_side import HEADERS, SideBySide, describe, reader_available  # noqa: E402
from benchmarks.reader_side import side_by_side as run_side_by_side  # noqa: E402
from benchmarks.scale import ScaleFigures, run_scale  # noqa: E402

STALL_TARGET_MS = 50.0


@dataclass(frozen=True, slots=True)
class Sizes:
    """How big each benchmark runs."""

    feeds: tuple[int, ...]
    headlines: int
    fanout: int
    memory_cycles: int
    classify_s: float
    repeats: int  # runs of our short cycles, for medians on a machine that may be busy
    event_feeds: int  # the event-day farm
    event_repeats: int  # runs of each tool on it
    events: int  # open events in the matching window
    match_samples: int  # headlines placed into it


FULL = Sizes(
    feeds=(200, 500),
    headlines=1_000_000,
    fanout=10_000,
    memory_cycles=10,
    classify_s=3,
    repeats=3,
    event_feeds=200,
    event_repeats=3,
    events=5_000,
    match_samples=2_000,
)
SMOKE = Sizes(
    feeds=(10,),
    headlines=20_000,
    fanout=200,
    memory_cycles=1,
    classify_s=0.2,
    repeats=1,
    event_feeds=10,
    event_repeats=1,
    events=200,
    match_samples=50,
)


@dataclass
class Report:
    """Everything measured in one run."""

    machine: dict[str, str]
    cycles: list[CycleFigures] = field(default_factory=list)
    side: list[SideBySide] = field(default_factory=list)
    scale: ScaleFigures | None = None
    event_day: EventDayFigures | None = None
    memory: MemoryFigures | None = None
    latency: LatencyFigures | None = None
    seconds: float = 0.0


def machine() -> dict[str, str]:
    """Where the figures came from."""
    model = "unknown CPU"
    memory = "?"
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        model = next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.splitlines()
                if "model name" in line
            ),
            model,
        )
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    import feedparser

    reader = "not installed"
    if reader_available():
        from importlib.metadata import version

        reader = version("reader")
    return {
        "cpu": f"{os.cpu_count()} cores ({model})",
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "feedparser": feedparser.__version__,
        "reader": reader,
        "busy_before": f"{busy_cores():.2f} cores busy before the run (other processes)",
    }


def progress(message: str) -> None:
    """A line on stderr so a long run shows where it is."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> Report:
    """Every section, in order, against one farm per size."""
    sizes = SMOKE if args.smoke else FULL
    feeds = tuple(int(n) for n in args.feeds.split(",")) if args.feeds else sizes.feeds
    with_reader = not args.no_reader and reader_available()
    if not with_reader:
        progress("reader not installed (pip install -e '.[bench]'): side by side shows ours only")
    started = time.monotonic()
    report = Report(machine=machine())
    before = cpu_accounts()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="division-bell-bench-"))
    progress(f"working in {work}")
    largest = max(feeds)
    for count in feeds:
        progress(f"starting a farm of {count} feeds")
        with Farm(count) as farm:
            progress(f"{count} feeds: poll cycles through the library, with the loop ticker")
            report.cycles += run_cycles_repeated(
                farm.ports, count, work / f"cycles-{count}", sizes.repeats
            )
            progress(f"{count} feeds: division-bell poll and reader, side by side")
            report.side += run_side_by_side(
                farm, work / f"side-{count}", with_reader=with_reader, repeats=sizes.repeats
            )
            if count == largest:
                progress(f"{count} feeds: run, {sizes.memory_cycles} cycles, memory")
                report.memory = run_memory(farm, work / "memory", cycles=sizes.memory_cycles)
                if args.latency:
                    interval = args.latency_interval
                    progress(f"{count} feeds: latency under run, {interval:g} s interval")
                    report.latency = run_latency(
                        farm, work / "latency", interval=interval, changes=args.latency_changes
                    )
    progress(f"event day: {sizes.event_feeds} feeds, {sizes.event_repeats} runs of each tool")
    report.event_day = run_event_day(
        work / "event-day",
        feeds=sizes.event_feeds,
        repeats=sizes.event_repeats,
        with_reader=with_reader,
    )
    progress(f"scale: classification, {sizes.headlines:,} stored headlines, fan-out, matching")
    report.scale = run_scale(
        work / "scale",
        headlines=sizes.headlines,
        fanout=sizes.fanout,
        classify_s=sizes.classify_s,
        events=sizes.events,
        samples=sizes.match_samples,
    )
    report.seconds = time.monotonic() - started
    after = cpu_accounts()
    others = (after[0] - before[0]) - (after[1] - before[1])
    report.machine["busy_during"] = (
        f"{max(others, 0) / report.seconds:.2f} cores used by other processes during the run "
        "(the machine's CPU time minus this benchmark's and its children's)"
    )
    return report


def render(report: Report, command: str) -> str:
    """The whole report as Markdown."""
    out: list[str] = []
    out.append("### Poll cycles (library, in one process, with a loop-stall ticker)\n")
    out.append(
        table(
            [
                "feeds",
                "cycle",
                "wall s",
                "CPU s",
                "peak RSS MB",
                "items/s",
                "max stall ms (loop CPU; queued for a core)",
                "longest loop CPU ms",
                "stall < 50 ms",
            ],
            [
                [
                    c.feeds,
                    c.kind,
                    f"{c.wall:.2f}",
                    f"{c.cpu:.2f}",
                    f"{c.peak_rss_mb:.0f}",
                    f"{c.items_per_s:,.0f}",
                    f"{c.stall_ms:.0f} ({c.stall_cpu_ms:.0f}; {c.stall_queued_ms:.0f})",
                    f"{c.busiest_ms:.0f}",
                    verdict(c.stall_ms < STALL_TARGET_MS),
                ]
                for c in report.cycles
            ],
        )
    )
    out.append(
        "\nMedians of several runs, each from a fresh database; the stall is the worst seen. CPU "
        "and peak RSS cover the whole process tree (parse workers included). items/s = items in "
        "the polled feeds ÷ wall time (in the 304 and unchanged cycles they are checked, not "
        "parsed). The stall is how late a 5 ms ticker on the loop woke; in brackets, the CPU the "
        "loop's thread used meanwhile, then how long Linux kept it queued for a core; the rest "
        "of a stall is the thread blocked, in practice waiting for the GIL. Longest loop CPU: "
        "the most the loop's thread computed between two ticks.\n"
    )
    out.append(
        "### Side by side: `division-bell poll` vs reader `update_feeds()`, whole processes\n"
    )
    out.append(
        table(
            [*HEADERS, "verdict"],
            [[*describe(row), verdict(row.met)] for row in report.side],
        )
    )
    out.append("")
    if report.event_day is not None:
        out += render_event_day(report.event_day)
    if report.scale is not None:
        out += _scale(report.scale)
    if report.memory is not None:
        m = report.memory
        out.append("### Memory: `division-bell run`, whole process tree\n")
        out.append(
            table(
                ["feeds", "cycles", "RSS MB", "peak RSS MB", "PSS MB", "processes", "target"],
                [
                    [
                        m.feeds,
                        m.cycles,
                        f"{m.rss_mb:.0f}",
                        f"{m.peak_mb:.0f}",
                        f"{m.pss_mb:.0f}",
                        m.processes,
                        f"< {TARGET_MB} MB: {verdict(m.met)}",
                    ]
                ],
            )
        )
        out.append(
            "\nRSS is summed over the processes, counting shared pages once per process (the "
            "strict reading); PSS splits shared pages between their sharers.\n"
        )
    if report.latency is not None:
        lat = report.latency
        out.append("### Latency: feed change → alert at a webhook, under `division-bell run`\n")
        out.append(
            table(
                ["interval s", "changes", "arrived", "p50 s", "p99 s", "worst s", "target"],
                [
                    [
                        f"{lat.interval:g}",
                        lat.changes,
                        lat.arrived,
                        f"{lat.p50:.1f}",
                        f"{lat.p99:.1f}",
                        f"{lat.worst:.1f}",
                        f"p99 ≤ {lat.target:g} s: {verdict(lat.met)}",
                    ]
                ],
            )
        )
        out.append(f"\n(latency section took {lat.seconds:.0f} s)\n")
    out.append("### Machine\n")
    out += [f"- {key}: {value}" for key, value in report.machine.items()]
    out.append(f"\nReproduce with `{command}`; this run took {report.seconds / 60:.1f} minutes.")
    return "\n".join(out)


def _scale(s: ScaleFigures) -> list[str]:
    m = s.matching
    out = [f"### Scale ({s.headlines:,} stored headlines)\n"]
    rows = [
        ["classification (bench_classify corpus)", f"{s.classify_per_s:,.0f} /s", "≥ 20,000 /s"],
        ["classification (farm headlines)", f"{s.classify_farm_per_s:,.0f} /s", "≥ 20,000 /s"],
        [
            "is-new, one headline: known_keys + find_by_links",
            f"{s.is_new_ms[0]:.2f} ms p50, {s.is_new_ms[1]:.2f} p99",
            "≤ 1 ms",
        ],
        ["  of which known_keys (identity)", f"{s.known_key_ms[0]:.2f} ms p50", ""],
        ["  of which find_by_links (canonical URL)", f"{s.find_by_link_ms[0]:.2f} ms p50", ""],
        [
            "is-new, a 50-item poll (batched), per headline",
            f"{s.poll_batch_ms / 50:.3f} ms ({s.poll_batch_ms:.2f} ms a poll)",
            "≤ 1 ms",
        ],
        [
            f"event matching, one categorised headline ({m.events:,} open events, "
            f"{m.samples:,} headlines; {m.joined_share:.0%} joined one)",
            f"{m.place_ms[0]:.2f} ms p50, {m.place_ms[1]:.2f} p99 (CPU {m.place_cpu_ms[0]:.2f}, "
            f"{m.place_cpu_ms[1]:.2f})",
            "≤ 1 ms",
        ],
        [
            "  its actors beforehand (register names, bodies, other names)",
            f"{m.actors_ms[0]:.2f} ms p50, {m.actors_ms[1]:.2f} p99",
            "",
        ],
        [
            "  both, per headline",
            f"{m.total_ms[0]:.2f} ms p50, {m.total_ms[1]:.2f} p99 (CPU {m.total_cpu_ms[0]:.2f}, "
            f"{m.total_cpu_ms[1]:.2f})",
            "≤ 1 ms",
        ],
        [
            f"the window's first load from the store ({m.events:,} events)",
            f"{m.first_load_ms:.0f} ms once a process (loop stall {m.first_load_stall_ms:.0f} "
            f"ms); {m.refresh_ms:.1f} ms a refresh after",
            "(reported)",
        ],
        [
            f"one story → {s.fanout_subscriptions:,} subscriptions enqueued",
            f"{s.fanout_s:.2f} s ({s.fanout_queued:,} rows)",
            "≤ 1 s",
        ],
        ["database size", f"{s.db_mb:,.0f} MB", "(reported)"],
    ]
    checks = [
        s.classify_per_s >= 20_000,
        s.classify_farm_per_s >= 20_000,
        s.is_new_ms[0] <= 1.0,
        None,
        None,
        s.poll_batch_ms / 50 <= 1.0,
        m.place_ms[1] <= 1.0,  # the p99, not just the median
        None,
        m.total_ms[1] <= 1.0,
        None,
        s.fanout_s <= 1.0 and s.fanout_queued == s.fanout_subscriptions,
        None,
    ]
    out.append(
        table(
            ["measure", "value", "target", "verdict"],
            [
                [*row, "" if ok is None else verdict(ok)]
                for row, ok in zip(rows, checks, strict=True)
            ],
        )
    )
    out.append("\nQuery plans (EXPLAIN QUERY PLAN, parameters bound as the store binds them):\n")
    for sql, plan in s.plans.items():
        out.append(f"- `{sql}`\n  → {'; '.join(plan)}")
    out.append("")
    return out


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        found = asdict(value)
        for name in ("ratio", "met", "target"):
            if hasattr(value, name):
                found[name] = getattr(value, name)
        return found
    return value


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run, print the report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", help="comma-separated farm sizes (default 200,500)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, well under a minute")
    parser.add_argument("--latency", action="store_true", help="also measure latency (slow)")
    parser.add_argument("--latency-interval", type=float, default=60.0, metavar="SECONDS")
    parser.add_argument("--latency-changes", type=int, default=30, metavar="N")
    parser.add_argument("--no-reader", action="store_true", help="skip reader's side")
    parser.add_argument("--workdir", help="where databases and logs go (default: a temp dir)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write figures as JSON")
    args = parser.parse_args(argv)
    report = run(args)
    command = "python benchmarks/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print(render(report, command.strip()))
    if args.json:
        data = {
            "machine": report.machine,
            "cycles": [_plain(c) for c in report.cycles],
            "side_by_side": [
                {
                    "kind": r.kind,
                    "feeds": r.feeds,
                    "ours": asdict(r.ours),
                    "reader": asdict(r.reader) if r.reader else None,
                    "ratio": r.ratio,
                    "target": r.target,
                }
                for r in report.side
            ],
            "event_day": event_day_plain(report.event_day) if report.event_day else None,
            "scale": _plain(report.scale),
            "memory": _plain(report.memory),
            "latency": _plain(report.latency),
            "seconds": report.seconds,
        }
        args.json.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
