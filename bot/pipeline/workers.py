"""The parse worker pool: how the processes that run feedparser are started and tied to us.

Workers unpickle `init_parse_worker` by reference, so this module imports nothing heavy: a
worker should load only what parsing needs.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from typing import Any, TypeVar

_T = TypeVar("_T")

PARSE_NICE = 10  # added to the parse workers' niceness (lower CPU priority)
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM this worker when its parent dies, even by SIGKILL."""
    # Without this a SIGKILLed `poll` or `run` (OOM killer, `docker kill`, a crash loop) leaves
    # its workers, and the resource tracker they keep alive, blocked on a pipe forever. Linux
    # sends it when the *thread* that spawned us ends: the pool spawns from the thread that
    # submits, one of asyncio's default-executor threads (poller.py), which outlive the pool.
    if not sys.platform.startswith("linux"):
        return
    import ctypes  # noqa: PLC0415 - only workers need it
    import multiprocessing  # noqa: PLC0415

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return  # no prctl (an unusual libc): orphans remain possible, nothing else changes
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:
        os._exit(0)  # the parent died before prctl took effect: nobody will ever send work


def init_parse_worker(nice: int) -> None:
    """Runs first in every parse worker: lower its priority, leave Ctrl-C to the parent, and
    tie its life to the parent's."""
    # Parsing is batch work; the event loop is not (Discord heartbeats, 3 s slash-command
    # deadlines). When the workers and anything else fill every core, niced workers leave the
    # loop its share (benchmarks/cycles.py measures the worst loop stall either way). The cost: on a
    # machine saturated by other work, parsing gets a smaller share and takes longer.
    os.nice(nice)
    # Ctrl-C in a terminal signals the whole process group: the parent stops the pool itself,
    # and a worker left to the default handler printed a KeyboardInterrupt traceback. Started
    # with SIGINT blocked (see ParsePool.submit); ignored from here on, so unblocking
    # drops one that arrived meanwhile.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _die_with_parent()


@contextmanager
def _sigint_blocked() -> Iterator[None]:
    """SIGINT held back in this thread (Python handles signals in the main thread anyway)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class ParsePool(Executor):
    """An Executor that starts its process pool only when first given work."""

    # Spawning the pool starts multiprocessing's resource tracker, one more interpreter, and a
    # cycle of 304s and unchanged bodies parses nothing: a `poll` like that never pays for it.

    def __init__(self, start: Callable[[], Executor], workers: int) -> None:
        self._start = start
        self._workers = workers
        self._pool: Executor | None = None
        self._lock = threading.Lock()  # submit may come from more than one thread

    def start_workers(self, warm_up: Callable[[], None]) -> None:
        """Start every worker now, each running `warm_up` (a module-level function, or a
        partial of one: each worker unpickles it), instead of on first use.

        For a `poll` that is sure to parse, called before the rest of the program loads: a
        worker takes about 0.2 s to boot, which then overlaps our own start-up instead of
        delaying the first parse (benchmarks/event_day.py). Call it from a thread that
        outlives the pool (the main thread): workers die with the thread that spawned them
        (_die_with_parent).
        """
        # The pool spawns a worker per submit while none is idle: one warm-up job per worker.
        for _ in range(self._workers):
            self.submit(warm_up)

    def submit(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> Future[_T]:
        """Start the pool if need be, then hand it the call."""
        with self._lock:
            if self._pool is None:
                self._pool = self._start()
            pool = self._pool
        # The pool spawns workers inside submit(), and a worker inherits this thread's signal
        # mask: with SIGINT blocked, a Ctrl-C that lands while a worker's interpreter is still
        # starting waits until init_parse_worker ignores it, instead of killing the start-up
        # with a traceback. Blocked only now: starting the pool starts multiprocessing's
        # resource tracker, which unblocks SIGINT in this thread when it is done.
        with _sigint_blocked():
            return pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Shut the pool down, if it was ever started."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def make_parse_executor(workers: int = 2) -> ParsePool:
    """A small process pool: feedparser is CPU-bound and would stall the event loop (TESTING.md)."""
    return ParsePool(lambda: _start_pool(workers), workers)


def _start_pool(workers: int) -> Executor:
    # Imported here: a `poll` which parses nothing need not pay for importing multiprocessing.
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

    from bot.pipeline.spawning import LeanSpawnContext  # noqa: PLC0415

    # spawn: forking a process that runs aiosqlite and aiohttp threads is unsafe. Not
    # forkserver: its server is one more resident interpreter for nothing, as the
    # workers live as long as the pool (benchmarks/memory.py).
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=LeanSpawnContext(),
        initializer=init_parse_worker,
        initargs=(PARSE_NICE,),
    )
