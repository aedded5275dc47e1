"""A killed or interrupted `division-bell poll` takes its parse workers with it, quietly.

The OOM killer, `docker kill` and a crash loop all SIGKILL. Before the workers asked Linux for a
parent-death signal, each such kill left two parse workers and multiprocessing's resource tracker
blocked on a pipe for ever, piling up with every restart.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.reliability.test_crash_loop import poll_command
from tests.support.cli import write_config
from tests.support.feed_server import FeedServerThread
from tests.support.procfs import alive, children
from tests.support.rss import Item, rss_feed
from tests.support.waiting import wait_for

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc; parent-death signals are Linux's"
)


@contextmanager
def poll_mid_cycle(tmp_path: Path, feeds: FeedServerThread) -> Iterator[subprocess.Popen[str]]:
    """A `poll` in its own process group, parse workers started, stuck on a feed that hangs."""
    now = datetime.now(UTC)
    item = Item("Tory MP Ada Ashby defects to Labour", "https://news.example/orphans/1")
    feeds.set_feed("/quick.xml", rss_feed("Quick", [Item(item.title, item.link, published=now)]))
    feeds.set_feed("/stuck.xml", rss_feed("Stuck", []))
    feeds.set_fault("/stuck.xml", "slow", delay=60)
    write_config(
        tmp_path,
        feeds={"Quick": feeds.url("/quick.xml"), "Stuck": feeds.url("/stuck.xml")},
        console=True,
    )
    command, env = poll_command(tmp_path)
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal would give it
    )
    try:
        # The resource tracker and at least one parse worker (spawned for the quick feed).
        assert wait_for(lambda: len(children(process.pid)) >= 2, timeout=30), "no workers started"
        assert process.poll() is None, "poll ended before the stuck feed answered"
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)
        feeds.clear_fault("/stuck.xml")


def assert_all_gone(pids: set[int]) -> None:
    assert wait_for(lambda: not any(alive(pid) for pid in pids), timeout=15), (
        f"orphans still running: {sorted(pid for pid in pids if alive(pid))}"
    )


def test_sigkilled_poll_leaves_no_parse_workers(tmp_path: Path, feeds: FeedServerThread) -> None:
    with poll_mid_cycle(tmp_path, feeds) as process:
        spawned = set(children(process.pid))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        assert process.returncode == -signal.SIGKILL
        assert_all_gone(spawned)


def test_ctrl_c_stops_poll_and_its_workers_without_a_traceback(
    tmp_path: Path, feeds: FeedServerThread
) -> None:
    with poll_mid_cycle(tmp_path, feeds) as process:
        spawned = set(children(process.pid))
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole group
        _, stderr = process.communicate(timeout=30)
        assert process.returncode == 130, stderr
        assert "Traceback" not in stderr, stderr
        assert "KeyboardInterrupt" not in stderr, stderr
        assert_all_gone(spawned)
