"""The parse pool starts only when given work, runs its workers niced and deaf to Ctrl-C, and
shuts down cleanly."""

from __future__ import annotations

import functools
import multiprocessing
import os
import signal
import subprocess
import sys
from pathlib import Path

from bot.pipeline.parse import parse_feed
from bot.pipeline.parse_job import prepare_worker
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


def test_workers_started_early_hold_the_parser_and_classifier_before_any_feed() -> None:
    # What `poll` does for a new database, whose every feed the workers will classify.
    before = set(multiprocessing.active_children())
    pool = make_parse_executor(workers=2)
    try:
        pool.start_workers(functools.partial(prepare_worker, None))
        assert len(set(multiprocessing.active_children()) - before) == 2
        settled = "__import__('bot.pipeline.parse_job').pipeline.parse_job._settle.cache_info()"
        check = f"('feedparser' in __import__('sys').modules, {settled}.currsize)"
        for _ in range(4):  # whichever worker takes the job
            assert pool.submit(eval, check).result(timeout=60) == (True, 1)
    finally:
        pool.shutdown(wait=True)
    assert set(multiprocessing.active_children()) == before


# Run as a script, like the `division-bell` entry point: a main module that imports the CLI.
SCRIPT = """
import sys
from bot.cli.main import main
from bot.pipeline.workers import make_parse_executor

if __name__ == "__main__":
    pool = make_parse_executor(workers=1)
    try:
        print(pool.submit(eval, "sorted(__import__('sys').modules)").result(timeout=60))
    finally:
        pool.shutdown(wait=True)
    print(sys.modules["__main__"].__file__ == sys.argv[0], sys.modules["__main__"].__spec__)
"""


def test_workers_do_not_run_the_parents_main_script_again(tmp_path: Path) -> None:
    script = tmp_path / "entry.py"
    script.write_text(SCRIPT, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True
    )
    worker_modules, parent_main = done.stdout.splitlines()
    assert "bot.cli.main" not in worker_modules  # the CLI is the parent's, not the workers'
    assert "bot.pipeline.workers" in worker_modules  # (what the list holds: the worker's modules)
    assert parent_main == "True None", "the parent's main module is left as it was"
