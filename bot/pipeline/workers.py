"""The parse worker pool: how the processes that run feedparser are started and tied to us.

Workers unpickle `init_parse_worker` by reference, so this module imports nothing heavy: a
worker should load only what parsing needs.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from concurrent.futures import Executor, ProcessPoolExecutor

PARSE_NICE = 10  # added to the parse workers' niceness (lower CPU priority)
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM this worker when its parent dies, even by SIGKILL."""
    # Without this a SIGKILLed `poll` or `run` (OOM killer, `docker kill`, a crash loop) leaves
    # its workers, and the resource tracker they keep alive, blocked on a pipe forever. Linux
    # sends it when the thread that spawned us ends; the pool spawns from the thread that
    # submits, the event loop's, which lives as long as the process.
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return  # no prctl (an unusual libc): orphans remain possible, nothing else changes
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:
        os._exit(0)  # the parent died before prctl took effect: nobody will ever send work


def init_parse_worker(nice: int) -> None:
    """Runs first in every parse worker: lower its priority and tie its life to the parent's."""
    # Parsing is batch work; the event loop is not (Discord heartbeats, 3 s slash-command
    # deadlines). When the workers and anything else fill every core, niced workers leave the
    # loop its share: worst stall in a cold 500-feed cycle 23-35 ms niced, 52-117 ms not
    # (4 alternating runs each on a busy 2-core machine; benchmarks/cycles.py). The cost: on a
    # machine saturated by other work, parsing gets a smaller share and takes longer.
    os.nice(nice)
    _die_with_parent()


def make_parse_executor(workers: int = 2) -> Executor:
    """A small process pool: feedparser is CPU-bound and would stall the event loop (TESTING.md)."""
    # spawn: forking a process that runs aiosqlite and aiohttp threads is unsafe. Not
    # forkserver: its server is one more resident interpreter (~14 MB RSS) for nothing, as the
    # workers live as long as the pool (benchmarks/memory.py).
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=init_parse_worker,
        initargs=(PARSE_NICE,),
    )
