"""`demo` is the `poll` pipeline: the same sample feeds over loopback give the same alerts."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli.demo import DEMO_FEEDS, render_demo_feed
from tests.support.cli import run_cli, write_config
from tests.support.feed_server import FeedServer

_HEADING = re.compile(r"^(\S+) ([^:]+): (.+)$")


def alert_headings(stdout: str) -> list[tuple[str, str]]:
    """(category label, headline) for each alert block printed on the console."""
    found = []
    for line in stdout.splitlines():
        match = _HEADING.match(line)
        if match and not line.startswith(" ") and "demo" not in line.lower():
            found.append((match.group(2), match.group(3)))
    return found


def summary(headings: list[tuple[str, str]]) -> tuple[Counter[str], int]:
    labels = Counter(label for label, _ in headings)
    wakeford = sum("Wakeford" in title for _, title in headings)
    return labels, wakeford


@pytest.mark.usefixtures("cli_backend")  # demo's throwaway SQLite against poll on each backend
def test_demo_matches_poll_on_the_same_feeds(tmp_path: Path) -> None:
    demo = run_cli(["demo"], cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    demo_alerts = alert_headings(demo.stdout)
    labels, wakeford = summary(demo_alerts)
    assert wakeford == 1  # one story, two outlets, one alert
    assert sorted(labels.values()) == [1, 1, 1, 1]  # one alert in each of the four categories
    assert not any("Energy" in t or "Snow" in t or "Letters page" in t for _, t in demo_alerts)

    now = datetime.now(UTC)
    with FeedServer.start_in_thread() as server:
        for filename in DEMO_FEEDS.values():
            server.set_feed(f"/{filename}", render_demo_feed(filename, now))
        write_config(
            tmp_path,
            feeds={name: server.url(f"/{file}") for name, file in DEMO_FEEDS.items()},
            console=True,
        )
        polled = run_cli(["--config", "division-bell.toml", "poll"], cwd=tmp_path)
    assert polled.returncode == 0, polled.stderr
    assert summary(alert_headings(polled.stdout)) == (labels, wakeford)
    assert len(alert_headings(polled.stdout)) == len(demo_alerts)
