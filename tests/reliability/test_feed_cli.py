"""Several feed faults at once through the real `division-bell poll`, with its peak RSS."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from tests.reliability import documents as docs
from tests.reliability.figures import Row, mb, record
from tests.reliability.helpers import run_measured
from tests.support.chat_server import ChatServer
from tests.support.cli import write_config
from tests.support.feed_server import FeedServerThread

FAILING = {
    "Broken 500": r"HTTP 500",
    "Gzip Bomb": r"larger than 5000000 bytes",
    "Nowhere": r"DNS lookup failed",
    "Loop": r"redirect loop",
}


def test_poll_cli_survives_many_faulty_feeds_at_once(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    feeds.set_fault("/500.xml", "status", status=500)
    feeds.set_fault("/bomb.xml", "gzip_bomb")
    feeds.set_fault("/loop.xml", "redirect_loop")
    feeds.set_feed("/laughs.xml", docs.billion_laughs())
    feeds.set_feed("/big.xml", docs.many_items(10_000, 30))
    feeds.set_feed("/good.xml", docs.good_feed("cli"))
    write_config(
        tmp_path,
        feeds={
            "Broken 500": feeds.url("/500.xml"),
            "Gzip Bomb": feeds.url("/bomb.xml"),
            "Nowhere": "http://division-bell-test.invalid/rss",
            "Loop": feeds.url("/loop.xml"),
            "Laughs": feeds.url("/laughs.xml"),
            "Big": feeds.url("/big.xml"),
            "Good": feeds.url("/good.xml"),
        },
        webhooks=[{"platform": "discord", "url": chat.url("/discord/cli"), "name": "desk"}],
        extra="[polling]\ntimeout = 5\n",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
    env |= {"DIVISION_BELL_DATA": str(tmp_path / "data"), "NO_PROXY": "127.0.0.1,localhost"}
    done = run_measured(
        [sys.executable, "-m", "bot", "--config", "division-bell.toml", "poll"],
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    for feed, reason in FAILING.items():
        about = [line for line in lines if f"feed {feed}:" in line]
        assert len(about) == 1, about
        assert " WARNING " in about[0]
        assert re.search(reason, about[0])
    assert "3 changed, 4 failed" in done.stderr
    titles = [post["embeds"][0]["title"] for post in chat.received("/discord/cli")]
    assert len(titles) == 1 + 10 + 1  # Good's alert; Big's cap and its summary line
    assert len(set(titles)) == len(titles)
    record(
        Row(
            "feed (CLI)",
            "`poll` with 500, gzip bomb, DNS failure, redirect loop, billion laughs, "
            "10,000 items and a good feed at once",
            lost=0,
            peak_mb=f"{mb(done.main_kb)} + worker {mb(done.children_kb)}",
            note="exit 0; one WARNING line per failing feed",
        )
    )
