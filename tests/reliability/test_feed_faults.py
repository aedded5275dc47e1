"""Feed faults through the real pipeline: no crash, the neighbour unharmed, one clear log line.

Each fault runs in its own interpreter (tests/reliability/runner.py: open_runtime, poll_all,
deliver_due, exactly as in-process tests do) beside a healthy feed and a webhook, so the peak RSS
printed for it is its own. The scenarios run a few at a time; each test then checks one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from tests.reliability import documents as docs
from tests.reliability.figures import Row, mb, record
from tests.reliability.helpers import closed_port, lines_about, outcome, run_scenario
from tests.support.chat_server import ChatServer
from tests.support.feed_server import FeedServer, FeedServerThread

# Feeds may take this long per fetch: the slow faults hit it, nothing else comes near it.
POLLING = {"timeout": 2.0}
PARALLEL = 3

Setup = Callable[[FeedServerThread, str], str]


@dataclass(frozen=True)
class Fault:
    """How to make a feed misbehave and what the pipeline must make of it."""

    setup: Setup  # serves the fault at a path; returns the URL to poll
    status: str  # the faulty feed's PollOutcome.status on its first poll
    log: str | None  # a regex exactly one log line naming the feed must match
    alerts: int = 0  # alerts the faulty feed itself sends (each exactly once)
    polls: int = 1
    note: str = ""


def _fault(mode: str, **options: Any) -> Setup:
    def setup(server: FeedServerThread, path: str) -> str:
        server.set_fault(path, mode, **options)
        return server.url(path)

    return setup


def _body(make: Callable[[FeedServerThread], bytes], **kwargs: Any) -> Setup:
    def setup(server: FeedServerThread, path: str) -> str:
        server.set_feed(path, make(server), **kwargs)
        return server.url(path)

    return setup


FAULTS: dict[str, Fault] = {
    "HTTP 500": Fault(_fault("status", status=500), "failed", r"HTTP 500"),
    "timeout (no answer)": Fault(_fault("slow", delay=30), "failed", r"timed out after 2s"),
    "trickle (1 byte/s)": Fault(
        _fault("trickle", interval=1.0, body=docs.good_feed("trickle")),
        "failed",
        r"timed out after 2s",
    ),
    "endless body": Fault(_fault("endless"), "failed", r"larger than 5000000 bytes"),
    "gzip bomb (512 MiB)": Fault(_fault("gzip_bomb"), "failed", r"larger than 5000000 bytes"),
    "redirect loop": Fault(_fault("redirect_loop"), "failed", r"redirect loop"),
    "connection refused": Fault(
        lambda _s, _p: f"http://127.0.0.1:{closed_port()}/feed.xml", "failed", r"cannot connect"
    ),
    "DNS failure": Fault(
        lambda _s, _p: "http://division-bell-test.invalid/feed.xml",
        "failed",
        r"DNS lookup failed for division-bell-test\.invalid",
    ),
    "invalid XML": Fault(_fault("malformed"), "failed", r"not well-formed XML"),
    "empty body": Fault(_body(lambda _s: b""), "failed", r"empty document"),
    "HTML instead of a feed": Fault(
        _body(
            lambda _s: b"<!doctype html><html><body>Moved</body></html>", content_type="text/html"
        ),
        "failed",
        r"an HTML page, not a feed",
    ),
    "billion laughs": Fault(
        _body(lambda _s: docs.billion_laughs()), "changed", r"DOCTYPE with entity declarations"
    ),
    "external entities": Fault(
        _body(lambda s: docs.external_entity("file:///etc/passwd", s.url("/xxe-target"))),
        "changed",
        r"DOCTYPE with entity declarations",
    ),
    "wrong encoding": Fault(_fault("wrong_encoding"), "changed", r"read despite errors"),
    "missing encoding": Fault(
        _body(lambda _s: docs.missing_encoding(), content_type="application/rss+xml"),
        "changed",
        r"read despite errors: CharacterEncodingOverride",
    ),
    "10,000 items": Fault(
        _body(lambda _s: docs.many_items(10_000, 30)),
        "changed",
        r"30 new alerts in one poll; sent the newest 10 and one summary for 20 more",
        alerts=11,
        note="30 categorised: 10 alerts + 1 summary",
    ),
    "empty feed (no items)": Fault(
        _body(lambda _s: docs.empty_feed()),
        "changed",
        r"the feed lists no entries",
        note="one WARNING: the feed lists no entries",
    ),
    "dated 2100 and 1970": Fault(
        _body(lambda _s: docs.odd_dates()),
        "changed",
        r"2 new entries, 1 alerts queued",
        alerts=1,
        polls=2,
        note="2100 alerts once as now; 1970 is silent (too old)",
    ),
}


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[FeedServerThread, ChatServer]]:
    feeds = FeedServer.start_in_thread()
    chat = ChatServer.start_in_thread()
    try:
        yield feeds, chat
    finally:
        chat.stop()
        feeds.stop()


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


@pytest.fixture(scope="module")
def reports(
    servers: tuple[FeedServerThread, ChatServer], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    """Every fault's scenario, run a few at a time (most of their time is waiting)."""
    feeds, chat = servers

    def one(name: str) -> dict[str, Any]:
        slug, fault = _slug(name), FAULTS[name]
        feeds.set_feed(f"/good-{slug}.xml", docs.good_feed(slug))
        url = fault.setup(feeds, f"/{slug}.xml")
        return run_scenario(
            tmp_path_factory.mktemp(slug),
            feeds={f"Faulty {name}": url, "Good": feeds.url(f"/good-{slug}.xml")},
            webhooks=[("discord", chat.url(f"/hook/{slug}"), f"hook {slug}", None)],
            polling=POLLING,
            polls=fault.polls,
        )

    with ThreadPoolExecutor(PARALLEL) as pool:
        return dict(zip(FAULTS, pool.map(one, FAULTS), strict=True))


@pytest.mark.parametrize("name", list(FAULTS))
def test_a_feed_fault_is_contained(
    name: str, reports: dict[str, dict[str, Any]], servers: tuple[FeedServerThread, ChatServer]
) -> None:
    feeds, chat = servers
    fault, report = FAULTS[name], reports[name]
    faulty = f"Faulty {name}"
    assert "Traceback" not in report["stderr"]
    assert all(level < logging.ERROR for level, _, _ in report["logs"]), report["logs"]
    assert outcome(report, faulty)["status"] == fault.status
    good = outcome(report, "Good")
    assert (good["status"], good["alerts"]) == ("changed", 1)
    about = lines_about(report, faulty)
    if fault.log is not None:
        matching = [line for line in about if re.search(fault.log, line[2])]
        assert len(matching) == 1, about
    assert len(about) <= 2 * fault.polls, about  # a line or two per poll, never a flood of them
    if fault.status == "failed":
        assert [line[0] for line in about] == [logging.WARNING], about

    titles = [post["embeds"][0]["title"] for post in chat.received(f"/hook/{_slug(name)}")]
    assert len(titles) == 1 + fault.alerts
    repeats = len(titles) - len(set(titles))
    assert repeats == 0
    if name == "external entities":
        assert feeds.requests_for("/xxe-target") == []
        leaked = [str(post) for post in chat.received("/hook/external-entities")]
        assert not any("root:" in text for text in leaked)
    peak = report["peak_rss_kb"]
    record(
        Row(
            "feed",
            name,
            lost=0,
            repeats=repeats,
            peak_mb=f"{mb(peak['main'])} + worker {mb(peak['worker'])}",
            note=fault.note,
        )
    )
