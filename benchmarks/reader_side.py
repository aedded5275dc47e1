"""Side by side: `division-bell poll` and lemon24/reader's update_feeds(), as whole processes.

Both run the same cycle plan against the same farm in the same benchmark run, each from a fresh
database, timed the same way (wall clock from spawn to exit, CPU from wait4 including reaped
children, peak RSS of the whole process tree sampled every 25 ms).

reader runs with its defaults (one worker, its own requests session and feedparser settings) with
one exception: `scheduled=False`. Since reader 3.21 update_feeds() only updates feeds whose
update interval (an hour by default) has passed, so a second cycle minutes later would do no work
at all; scheduled=False makes it fetch every feed, which is the equivalent of a `poll`.
reader's side of each cycle is benchmarks/reader_cycle.py.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import MEASURED, PLAN, Step, division_bell, write_config
from benchmarks.farm_client import FarmClient
from benchmarks.proctree import MB, ProcessRun, bench_env, run_process

# What each cycle kind must show, as reader's time over ours (issue 8).
TARGETS = {"cold": 1.5, "304": 1.0, "unchanged-200": 10.0, "changed-10%": 1.5}


@dataclass(frozen=True, slots=True)
class SideBySide:
    """One cycle kind at one size: both tools' figures and the ratio reader/ours."""

    kind: str
    feeds: int
    ours: ProcessRun
    reader: ProcessRun | None

    @property
    def ratio(self) -> float | None:
        """reader's wall time over ours (> 1: we are faster)."""
        return None if self.reader is None else self.reader.wall / self.ours.wall

    @property
    def target(self) -> float:
        """The ratio this kind must reach."""
        return TARGETS[self.kind]

    @property
    def met(self) -> bool | None:
        """Whether the target is met (None when reader did not run)."""
        ratio = self.ratio
        return None if ratio is None else ratio >= self.target


def reader_available() -> bool:
    """Whether the benchmark-only dependency is installed (pip install -e '.[bench]')."""
    try:
        import reader  # noqa: F401
    except ImportError:
        return False
    return True


def run_plan(
    farm: FarmClient,
    folder: Path,
    command: list[str],
    tool: str,
    plan: tuple[Step, ...] = PLAN,
    *,
    extra_env: Mapping[str, str] | None = None,
    after_step: Callable[[Step, ProcessRun], None] | None = None,
) -> dict[str, ProcessRun]:
    """Run one tool's process once per step of `plan`, from a fresh farm state; the measured
    steps' figures by kind. `extra_env` adds to its environment (a database URL); `after_step`
    is told of each step as it ends (to sample what else the step cost)."""
    farm.set_state(round_no=0, mode="mixed", clear=True)
    folder.mkdir(parents=True, exist_ok=True)
    env = bench_env(folder / "data") | dict(extra_env or {})
    found: dict[str, ProcessRun] = {}
    for number, step in enumerate(plan):
        farm.set_state(round_no=step.round_no, mode=step.mode, clear=step.clear)
        run = run_process(command, cwd=folder, env=env, log=folder / f"{tool}.log")
        if run.returncode != 0:
            raise RuntimeError(
                f"{tool} cycle {number} ({step.kind}) exited {run.returncode}:\n{run.stderr_tail}"
            )
        if after_step is not None:
            after_step(step, run)
        if step.measured:
            found[step.kind] = run
    return found


def side_by_side(
    farm: FarmClient, folder: Path, *, with_reader: bool, repeats: int = 1
) -> list[SideBySide]:
    """Run the plan with each tool; one row per measured cycle kind.

    Ours runs `repeats` times (each from a fresh database) and each figure is the median, since
    its short cycles are the ones a busy machine disturbs most; reader's long cycles run once.
    """
    runs = []
    for number in range(repeats):
        place = folder / f"ours-{number}"
        runs.append(run_plan(farm, place, ours_command(farm, place), "ours"))
    ours = {kind: _median([run[kind] for run in runs]) for kind in MEASURED}
    theirs: dict[str, ProcessRun] = {}
    if with_reader:
        place = folder / "reader"
        theirs = run_plan(farm, place, reader_command(farm, place), "reader")
    return [SideBySide(kind, farm.feeds, ours[kind], theirs.get(kind)) for kind in MEASURED]


def ours_command(farm: FarmClient, folder: Path, *, database_env: str | None = None) -> list[str]:
    """`division-bell poll` of every farm feed, its config and database in `folder` (or, with
    `database_env`, the PostgreSQL database that variable names)."""
    # The config names its database beside itself, or the variable holding its URL.
    config = write_config(folder, farm.urls(), database_env=database_env)
    return [*division_bell(), "--config", str(config), "poll"]


def reader_command(farm: FarmClient, folder: Path) -> list[str]:
    """reader_cycle.py over every farm feed, its URL list and database in `folder`."""
    urls = folder / "urls.txt"
    urls.parent.mkdir(parents=True, exist_ok=True)
    urls.write_text("\n".join(farm.urls()) + "\n", encoding="utf-8")
    script = Path(__file__).resolve().with_name("reader_cycle.py")
    return [sys.executable, str(script), str(folder / "db.sqlite"), str(urls)]


def _median(runs: list[ProcessRun]) -> ProcessRun:
    return ProcessRun(
        wall=statistics.median(r.wall for r in runs),
        cpu=statistics.median(r.cpu for r in runs),
        peak_rss=int(statistics.median(r.peak_rss for r in runs)),
        returncode=max(r.returncode for r in runs),
        stderr_tail=runs[-1].stderr_tail,
    )


def describe(row: SideBySide) -> list[object]:
    """Table cells for one row."""
    reader = row.reader
    return [
        row.feeds,
        row.kind,
        f"{row.ours.wall:.2f}",
        f"{reader.wall:.2f}" if reader else "—",
        f"{row.ratio:.1f}×" if row.ratio is not None else "—",
        f"≥ {row.target:g}×",
        f"{row.ours.cpu:.2f}",
        f"{reader.cpu:.2f}" if reader else "—",
        f"{row.ours.peak_rss / MB:.0f}",
        f"{reader.peak_rss / MB:.0f}" if reader else "—",
    ]


HEADERS = [
    "feeds",
    "cycle",
    "ours wall s",
    "reader wall s",
    "reader/ours",
    "target",
    "ours CPU s",
    "reader CPU s",
    "ours RSS MB",
    "reader RSS MB",
]
