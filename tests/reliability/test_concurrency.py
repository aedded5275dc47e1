"""Two writers on one database: `run` beside manual `poll`s, and SQLite's lock held by another.

A second `run` refusing to start is proved by
tests/scenarios/test_run_service.py::test_run_polls_delivers_is_healthy_and_stops_on_sigterm,
which conftest marks `reliability` too rather than repeating it here.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.app import open_runtime
from bot.config import WebhookSettings
from bot.errors import StorageError
from bot.store.connection import BUSY_TIMEOUT_S
from tests.reliability import documents as docs
from tests.reliability.delivery import Clock, exactly_once, outbox_counts, settings_for, tally
from tests.reliability.figures import Row, record
from tests.reliability.helpers import closed_port
from tests.support.chat_server import ChatServer
from tests.support.cli import write_config
from tests.support.feed_server import FeedServerThread
from tests.support.rss import rss_feed
from tests.support.waiting import wait_for

HOOK = "/discord/shared"
LOCKED_HOOK = "/discord/locked"  # the lock tests' webhook, and the stories it gets
STORIES = [docs.defection("shared", i, minutes_ago=3) for i in range(6)]


def environment(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
    return env | {"DIVISION_BELL_DATA": str(folder / "data"), "NO_PROXY": "127.0.0.1,localhost"}


def cli(folder: Path, command: str) -> list[str]:
    return [sys.executable, "-m", "bot", "--config", "division-bell.toml", command]


def received(chat: ChatServer, path: str = HOOK) -> list[str]:
    return [post["embeds"][0]["title"] for post in chat.received(path)]


def sent_by_poll(stderr: str) -> int:
    found = re.search(r"poll done: .*?; (\d+) sent", stderr)
    assert found, stderr
    return int(found.group(1))


def test_run_and_manual_polls_on_one_database_send_each_alert_once(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    feeds.set_feed("/shared.xml", rss_feed("Shared", STORIES[:1]))
    write_config(
        tmp_path,
        feeds={"Shared": feeds.url("/shared.xml")},
        webhooks=[{"platform": "discord", "url": chat.url(HOOK), "name": "shared hook"}],
        extra=f'[http]\nlisten = "127.0.0.1:{closed_port()}"\n'
        "[polling]\ninterval = 10\njitter = 0\n",
    )
    env = environment(tmp_path)
    service = subprocess.Popen(
        cli(tmp_path, "run"), cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    )
    polls_sent = 0
    try:
        if not wait_for(lambda: len(received(chat)) == 1):
            service.kill()
            pytest.fail(f"run never delivered: {service.communicate()[1]}")
        # A manual poll while `run` is up: it finds the new story first and sends it.
        feeds.set_feed("/shared.xml", rss_feed("Shared", STORIES[:2]))
        done = subprocess.run(
            cli(tmp_path, "poll"),
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        polls_sent += sent_by_poll(done.stderr)
        # Two more polls at once, racing each other and run's next scheduled poll.
        feeds.set_feed("/shared.xml", rss_feed("Shared", STORIES[:4]))
        racing = [
            subprocess.Popen(
                cli(tmp_path, "poll"), cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
            )
            for _ in range(2)
        ]
        for process in racing:
            _, err = process.communicate(timeout=60)
            assert process.returncode == 0, err
            polls_sent += sent_by_poll(err)
        # And one left for `run` alone: its scheduled poll picks it up and sends it.
        feeds.set_feed("/shared.xml", rss_feed("Shared", STORIES[:5]))
        assert wait_for(lambda: len(received(chat)) >= 5), "run never sent the last story"
        time.sleep(0.5)  # anything doubled would arrive now
    finally:
        service.send_signal(signal.SIGTERM)
        _, run_log = service.communicate(timeout=20)
    assert service.returncode == 0, run_log
    lost, repeats = tally(received(chat), [s.title for s in STORIES[:5]])
    assert (lost, repeats) == (0, 0)
    assert 1 <= polls_sent <= 3  # the manual polls sent some; `run` sent the first and the last
    record(
        Row(
            "concurrency",
            "`run` + 3 manual `poll`s on one database",
            lost,
            repeats,
            note=f"manual polls sent {polls_sent} of 5; `run` the rest",
        )
    )


def hold_write_lock(path: Path, seconds: float, started: threading.Event) -> None:
    """Another process's writer: takes SQLite's write lock, writes, holds it, commits."""
    holder = sqlite3.connect(path, isolation_level=None, timeout=60)
    try:
        holder.execute("BEGIN IMMEDIATE")
        holder.execute(
            "INSERT INTO ops_notices (subject, detail, notified_at) VALUES ('held', 'x', 'now')"
        )
        started.set()
        time.sleep(seconds)
        holder.execute("COMMIT")
    finally:
        holder.close()


async def run_with_lock_held(
    tmp_path: Path,
    feeds: FeedServerThread,
    chat: ChatServer,
    hold: float,
    busy_timeout: float = BUSY_TIMEOUT_S,
) -> tuple[Exception | None, Path, Clock, object]:
    feeds.set_feed("/locked.xml", rss_feed("Locked", STORIES[:3]))
    hook = WebhookSettings("discord", chat.url(LOCKED_HOOK), None, "locked hook")
    settings = settings_for(tmp_path, feeds.url("/locked.xml"), webhooks=[hook])
    clock = Clock()
    error = None
    started = threading.Event()
    holder = threading.Thread(
        target=hold_write_lock, args=(settings.storage.path, hold, started), daemon=True
    )
    async with open_runtime(settings, clock=clock, busy_timeout=busy_timeout) as runtime:
        holder.start()  # mid-service: another process starts writing and keeps the lock a while
        await asyncio.to_thread(started.wait, 10)
        try:
            await runtime.poller.poll_all(settings.feeds)
            await runtime.deliverer.deliver_due()
        except StorageError as exc:
            error = exc
    await asyncio.to_thread(holder.join, 30)
    return error, settings.storage.path, clock, settings


async def test_a_writer_holding_the_lock_briefly_makes_the_cycle_wait_not_fail(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    error, path, _, _ = await run_with_lock_held(tmp_path, feeds, chat, hold=2.0)
    assert error is None
    with sqlite3.connect(path) as db:  # both writes are there: the other writer's and ours
        assert db.execute("SELECT COUNT(*) FROM ops_notices WHERE subject = 'held'").fetchone()
        assert db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'sent'").fetchone()[0] == 3
    exactly_once(
        "concurrency",
        "SQLite write lock held 2 s by another writer",
        received(chat, LOCKED_HOOK),
        [s.title for s in STORIES[:3]],
        note="the cycle waits (busy timeout 30 s); both writes kept",
    )


async def test_a_lock_held_past_the_busy_timeout_fails_the_poll_whole_and_the_next_one_catches_up(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    error, _, clock, settings = await run_with_lock_held(  # 30 s in production
        tmp_path, feeds, chat, hold=3.0, busy_timeout=0.5
    )
    assert isinstance(error, StorageError)
    assert "busy" in str(error)
    assert chat.received(LOCKED_HOOK) == []  # nothing half-recorded, nothing sent
    async with open_runtime(settings, clock=clock) as runtime:  # type: ignore[arg-type]
        [polled] = await runtime.poller.poll_all(runtime.settings.feeds)
        assert polled.alerts == 3  # the failed poll recorded nothing, so nothing was lost
        await runtime.deliverer.deliver_due()
        assert await outbox_counts(runtime, "sent") == 3
    exactly_once(
        "concurrency",
        "SQLite lock held past the busy timeout",
        received(chat, LOCKED_HOOK),
        [s.title for s in STORIES[:3]],
        note="that poll fails whole (StorageError, `poll` exits 1); the next sends all",
    )
