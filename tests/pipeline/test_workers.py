"""The parse pool starts only when given work, runs its workers niced and deaf to Ctrl-C, and
shuts down cleanly."""

from __future__ import annotations

import multiprocessing
import os
import signal

from bot.pipeline.parse import parse_feed
from bot.pipeline.workers import PARSE_NICE, make_parse_executor
from tests.support.rss import Item, rss_feed


def test_no_process_starts_until_there_is_something_to_parse() -> None:
    before = set(multiprocessing.active_children())
    pool = make_parse_executor(workers=1)
    assert set(multiprocessing.active_children()) == before
    pool.shutdown(wait=True)  # never used: nothing to stop, and no error
    assert set(multiprocessing.active_children()) == before


def test_workers_parse_at_lower_priority_and_stop_with_the_pool() -> None:
    before = set(multiprocessing.active_children())
    pool = make_parse_executor(workers=1)
    try:
        body = rss_feed("Wire", [Item("Tory MP defects to Labour", "https://news.example/1")])
        parsed = pool.submit(parse_feed, "Wire", body).result(timeout=60)
        assert [h.title for h in parsed.headlines] == ["Tory MP defects to Labour"]
        assert pool.submit(os.nice, 0).result(timeout=60) == min(os.nice(0) + PARSE_NICE, 19)
        # Ctrl-C is the parent's to handle: ignored, and no longer blocked once started.
        assert pool.submit(signal.getsignal, signal.SIGINT).result(timeout=60) == signal.SIG_IGN
        mask = pool.submit(signal.pthread_sigmask, signal.SIG_BLOCK, set()).result(timeout=60)
        assert signal.SIGINT not in mask
        assert len(set(multiprocessing.active_children()) - before) == 1
    finally:
        pool.shutdown(wait=True)
    assert set(multiprocessing.active_children()) == before
