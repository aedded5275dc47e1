"""`division-bell why URL`: what became of a headline and why; exit 1 for one never seen."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scenarios.test_poll_scenarios import DEFECTION, OLD_DEFECTION, ORDINARY
from tests.support.chat_server import ChatServer
from tests.support.cli import run_cli, write_config
from tests.support.feed_server import FeedServerThread
from tests.support.rss import rss_feed

# The real CLI on each backend: SQLite, then PostgreSQL (tests/conftest.py cli_backend).
pytestmark = pytest.mark.usefixtures("cli_backend")


def test_why_explains_alerted_silent_and_unseen_headlines(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    feeds.set_feed("/bbc.xml", rss_feed("BBC", [DEFECTION, OLD_DEFECTION, ORDINARY]))
    write_config(
        tmp_path,
        feeds={"BBC": feeds.url("/bbc.xml")},
        webhooks=[{"platform": "discord", "url": chat.url("/discord/desk"), "name": "desk"}],
    )
    polled = run_cli(
        ["--config", "division-bell.toml", "--log-level", "DEBUG", "poll"], cwd=tmp_path
    )
    assert polled.returncode == 0, polled.stderr
    # Each silent entry is said once at DEBUG, with its reason.
    assert f"not alerting {OLD_DEFECTION.title!r}: backfill" in polled.stderr
    assert f"not alerting {ORDINARY.title!r}: no_category" in polled.stderr

    def why(url: str) -> tuple[int, str]:
        result = run_cli(["--config", "division-bell.toml", "why", url], cwd=tmp_path)
        assert "Traceback" not in result.stderr
        return result.returncode, result.stdout

    status, text = why(DEFECTION.link)  # with its utm_ tracking parameter, as shared
    assert status == 0
    assert "Decision: it alerted." in text
    assert "Why 🔀 Defection:" in text
    assert "To desk: alert sent " in text
    assert ": Tory MP Jane Marchmont defects to Labour (1 report)." in text
    status, text = why(OLD_DEFECTION.link)
    assert status == 0
    assert "older than the backfill window" in text
    assert "5 h old, outside the 3 h backfill window of a first poll" in text
    status, text = why(ORDINARY.link)
    assert status == 0
    assert "no rule matched it" in text
    status, text = why("https://news.example/never-carried")
    assert status == 1
    assert text.startswith("Never seen")
