"""SIGKILL `division-bell poll` at random points, 50 times, restarting each time: nothing is lost.

A repeat is tolerated only where a kill lands between the chat API accepting a message and the
outbox recording it; the test counts and prints them.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.support.chat_server import ChatServer, Reply
from tests.support.cli import write_config
from tests.support.feed_server import FeedServerThread
from tests.support.rss import Item, defection_item, rss_feed

KILLS = 50
HOOK = "/discord/crash"


def story(index: int) -> Item:
    """A distinct defection: each is its own event."""
    return defection_item(index, "crash")


def poll_command(folder: Path) -> tuple[list[str], dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
    env["DIVISION_BELL_DATA"] = str(folder / "data")
    command = [sys.executable, "-m", "bot", "--config", "division-bell.toml", "poll"]
    return command, env


def pending(folder: Path) -> int:
    with sqlite3.connect(folder / "db.sqlite3") as db:
        return int(db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0])


def test_sigkill_at_random_points_loses_no_alert(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    rng = random.Random(20220119)
    # Each answer takes a little while, so kills also land mid-send, not only between sends.
    chat.script(HOOK, [Reply(200, delay=rng.uniform(0.02, 0.15)) for _ in range(2000)])
    write_config(
        tmp_path,
        feeds={"Crash Feed": feeds.url("/crash.xml")},
        webhooks=[{"platform": "discord", "url": chat.url(HOOK)}],
        # Killed polls let new items pile up; a high cap keeps every one an alert of its own
        # (the cap's summary line is tested elsewhere), so each can be counted here.
        extra="[polling]\nmax_alerts_per_poll = 100\n",
    )
    command, env = poll_command(tmp_path)
    items: list[Item] = []
    killed = 0
    for round_number in range(KILLS):
        items.extend(story(len(items) + n) for n in range(rng.choice((1, 2, 3))))
        # Every item stays listed: on a loaded machine most runs die before a poll completes,
        # and an item that scrolled out of a short feed unseen would count as lost.
        feeds.set_feed("/crash.xml", rss_feed("Crash", items))
        process = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.3, 2.2))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed += 1
        process.wait(timeout=30)
        assert process.returncode in (0, -signal.SIGKILL), round_number

    # Restart without killing until everything queued is out (a killed sender's leases included).
    for _ in range(5):
        final = subprocess.run(
            command,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert final.returncode == 0, final.stderr
        if pending(tmp_path) == 0:
            break
    assert pending(tmp_path) == 0

    received = Counter(post["embeds"][0]["title"] for post in chat.received(HOOK))
    expected = {item.title for item in items}
    lost = [t for t in expected if not any(t in got for got in received)]
    repeats = sum(count - 1 for count in received.values() if count > 1)
    print(
        f"\ncrash loop: {KILLS} runs, {killed} killed mid-run, {len(expected)} alerts expected, "
        f"{len(received)} distinct received, lost {len(lost)}, repeats {repeats}"
    )
    assert lost == []
    # A repeat needs a kill between the API's answer and the outbox's record: at most one a kill.
    assert repeats <= killed
