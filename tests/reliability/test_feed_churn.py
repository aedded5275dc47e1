"""A feed whose GUIDs change on every poll: no flood, no repeat, and `status` calls it unstable."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability import documents as docs
from tests.reliability.figures import Row, mb, record
from tests.reliability.helpers import outcome, run_scenario
from tests.support.chat_server import ChatServer
from tests.support.feed_server import FeedServerThread
from tests.support.rss import rss_feed

POLLING = {"timeout": 2.0}
UNSTABLE = "UNSTABLE: 14 of its 14 entries came back under new IDs"


def status_line(report: dict[str, object], feed: str) -> str:
    lines = str(report["status"]).splitlines()
    return next(line for line in lines if line.startswith(f"• {feed}:"))


@pytest.mark.parametrize("links", [False, True], ids=["new-guids", "new-guids-and-links"])
def test_guids_changing_every_poll_send_the_cap_once_and_flag_the_feed(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer, links: bool
) -> None:
    feeds.set_feed("/churn.xml", rss_feed("Churn", [docs.defection("churn", i) for i in range(14)]))
    feeds.set_fault("/churn.xml", "churn", links=links)
    feeds.set_feed("/good.xml", docs.good_feed("churn"))
    report = run_scenario(
        tmp_path,
        feeds={"Churner": feeds.url("/churn.xml"), "Good": feeds.url("/good.xml")},
        webhooks=[("discord", chat.url("/hook"), "hook", None)],
        polling=POLLING,
        polls=3,
    )
    polls = [outcome(report, "Churner", n) for n in range(3)]
    assert [p["new"] for p in polls] == [14, 14, 14]  # every entry is "new" every time
    assert [p["alerts"] for p in polls] == [10, 0, 0]  # the cap once, then nothing again
    titles = [post["embeds"][0]["title"] for post in chat.received("/hook")]
    assert len(titles) == 1 + 10 + 1  # the neighbour's alert, the cap, one summary line
    assert len(set(titles)) == len(titles)
    assert sum("4 more headlines" in title for title in titles) == 1
    assert UNSTABLE in status_line(report, "Churner")
    assert "UNSTABLE" not in status_line(report, "Good")
    peak = report["peak_rss_kb"]
    record(
        Row(
            "feed",
            f"GUIDs change every poll{' (links too)' if links else ''}",
            lost=0,
            peak_mb=f"{mb(peak['main'])} + worker {mb(peak['worker'])}",
            note="3 polls: 10 alerts + 1 summary, then none; `status` says UNSTABLE",
        )
    )


def test_a_feed_that_turns_over_for_real_is_not_flagged(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    first = [docs.defection("before", i, minutes_ago=30) for i in range(14)]
    feeds.set_feed("/turnover.xml", rss_feed("Turnover", first))
    scenario = {
        "feeds": {"Turnover": feeds.url("/turnover.xml")},
        "webhooks": [("discord", chat.url("/hook"), "hook", None)],
        "polling": POLLING,
    }
    run_scenario(tmp_path, **scenario)  # type: ignore[arg-type]
    # Fourteen genuinely new stories: every entry is new, but none repeats an old title or link.
    feeds.set_feed(
        "/turnover.xml", rss_feed("Turnover", [docs.defection("after", i) for i in range(14)])
    )
    report = run_scenario(tmp_path, **scenario)  # type: ignore[arg-type]
    assert outcome(report, "Turnover")["new"] == 14
    assert "UNSTABLE" not in status_line(report, "Turnover")
