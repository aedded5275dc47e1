"""The real `division-bell run`: polls at start, delivers, answers /healthz, stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.chat_server import ChatServer
from tests.support.cli import write_config
from tests.support.feed_server import FeedServer
from tests.support.rss import Item, rss_feed
from tests.support.waiting import free_port, wait_for


def start_run(folder: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
    env["DIVISION_BELL_DATA"] = str(folder / "data")
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "--config", "division-bell.toml", "run"],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def health(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def test_run_polls_delivers_is_healthy_and_stops_on_sigterm(
    tmp_path: Path, chat: ChatServer, cli_backend: str
) -> None:
    item = Item(
        "Tory MP Jane Marchmont defects to Labour",
        "https://news.example/m",
        guid="m-1",
        published=datetime.now(UTC) - timedelta(minutes=5),
    )
    port = free_port()
    with FeedServer.start_in_thread() as feeds:
        feeds.set_feed("/bbc.xml", rss_feed("BBC", [item]))
        write_config(
            tmp_path,
            feeds={"BBC": feeds.url("/bbc.xml")},
            webhooks=[{"platform": "discord", "url": chat.url("/discord/run")}],
            extra=f'[http]\nlisten = "127.0.0.1:{port}"\n[polling]\ninterval = 10\njitter = 0\n',
        )
        process = start_run(tmp_path)
        try:
            if not wait_for(lambda: len(chat.received("/discord/run")) == 1):
                process.kill()
                pytest.fail(f"no alert: {process.communicate()[1]}")
            assert wait_for(lambda: health(port) == 200), "never healthy"
            if cli_backend == "sqlite":
                # A second `run` on the same file refuses to start (PostgreSQL takes replicas:
                # tests/scenarios/test_replicas.py).
                second = start_run(tmp_path)
                _, err = second.communicate(timeout=30)
                assert second.returncode == 1
                assert "already using this database" in err
            # A new item is picked up by the scheduled poll.
            later = Item(
                "PMQs: prime minister clashes with opposition leader",
                "https://news.example/p",
                guid="p-1",
                published=datetime.now(UTC),
            )
            feeds.set_feed("/bbc.xml", rss_feed("BBC", [later, item]))
            assert wait_for(lambda: len(chat.received("/discord/run")) == 2, timeout=40)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                _, stderr = process.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
    assert process.returncode == 0, stderr
    assert "stopped" in stderr
    assert len(chat.received("/discord/run")) == 2
