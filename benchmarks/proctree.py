"""Whole-process-tree measurement from /proc: RSS, CPU time, and a peak-RSS sampler.

Linux only, and no psutil, so the smoke run works in CI with just the test dependencies. The tree
is a process and all its descendants (a `poll`'s forkserver and parse workers included).
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")
MB = 1_000_000


def tree(pid: int) -> list[int]:
    """`pid` and every live descendant."""
    found = [pid]
    index = 0
    while index < len(found):
        current = found[index]
        index += 1
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                text = Path(f"/proc/{current}/task/{task}/children").read_text()
            except OSError:
                continue
            found.extend(int(child) for child in text.split())
    return found


def rss(pids: Sequence[int]) -> int:
    """Summed resident set size in bytes (shared pages count once per process, as top shows)."""
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


def pss(pids: Sequence[int]) -> int:
    """Summed proportional set size in bytes: shared pages split between their sharers, so
    unlike summed RSS it does not count the parse workers' shared libraries several times."""
    total = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1]) * 1024
                break
    return total


def cpu(pids: Sequence[int]) -> float:
    """Summed user + system CPU seconds of these live processes."""
    total = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command name; utime and stime are the 12th and 13th.
        fields = text[text.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


def become_subreaper() -> None:
    """Adopt orphaned descendants, so their CPU time can be collected with wait4.

    A `poll`'s parse workers are children of multiprocessing's forkserver, which may outlive the
    `poll` by a moment; without this their CPU time would be reaped by init and lost.
    """
    pr_set_child_subreaper = 36
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(pr_set_child_subreaper, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


class TreeSampler:
    """Samples a process tree's summed RSS in a thread and keeps the peak since `reset()`."""

    def __init__(self, pid: int, interval: float = 0.025) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self.last = 0
        self.seen: set[int] = set()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def reset(self) -> None:
        """Start a new peak from the current size."""
        with self._lock:
            self.peak = self.last = rss(tree(self.pid))

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = tree(self.pid)
            size = rss(pids)
            with self._lock:
                self.seen.update(pids)
                self.last = size
                self.peak = max(self.peak, size)
            self._stop.wait(self.interval)


@dataclass(frozen=True, slots=True)
class ProcessRun:
    """One whole-process run: wall and CPU seconds, peak tree RSS, exit status and log tail."""

    wall: float
    cpu: float
    peak_rss: int
    returncode: int
    stderr_tail: str


def run_process(
    cmd: Sequence[str], *, cwd: Path, env: Mapping[str, str], log: Path, timeout: float = 900
) -> ProcessRun:
    """Run `cmd` to completion; CPU is the whole tree's, collected with wait4 (see below)."""
    become_subreaper()
    with log.open("ab") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd), cwd=cwd, env=dict(env), stdout=subprocess.DEVNULL, stderr=err
        )
        with TreeSampler(proc.pid) as sampler:
            deadline = start + timeout
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() > deadline:
                    proc.kill()
                    _pid, status, usage = os.wait4(proc.pid, 0)
                    break
                time.sleep(0.005)
            wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    # wait4's figure includes every descendant reaped inside the tree; descendants still alive
    # when the root exited were re-parented to us (subreaper): reap them and add theirs.
    used = usage.ru_utime + usage.ru_stime + reap(sampler.seen - {proc.pid})
    tail = log.read_text(errors="replace")[-2000:]
    return ProcessRun(
        wall=wall,
        cpu=used,
        peak_rss=sampler.peak,
        returncode=proc.returncode,
        stderr_tail=tail,
    )


def reap(pids: set[int], timeout: float = 10.0) -> float:
    """Wait for these adopted orphans to exit; their CPU seconds, with their reaped children's."""
    total = 0.0
    waiting = set(pids)
    deadline = time.monotonic() + timeout
    while waiting and time.monotonic() < deadline:
        for pid in list(waiting):
            try:
                done, _status, usage = os.wait4(pid, os.WNOHANG)
            except ChildProcessError:
                # Still another's child (it may be orphaned to us later), or already reaped by
                # its own parent, whose figure then includes it.
                if not Path(f"/proc/{pid}").exists():
                    waiting.discard(pid)
                continue
            if done:
                total += usage.ru_utime + usage.ru_stime
                waiting.discard(pid)
        time.sleep(0.01)
    return total


def bench_env(data_dir: Path) -> dict[str, str]:
    """The environment for a tool under test: loopback never proxied, no chat tokens."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DISCORD_", "SLACK_", "DIVISION_BELL_"))
        and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")
    }
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["DIVISION_BELL_DATA"] = str(data_dir)
    return env
