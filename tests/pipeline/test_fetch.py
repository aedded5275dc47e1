"""Fetch stage: conditional GETs, caps, timeouts and failures against a loopback FeedServer."""

from __future__ import annotations

import asyncio
import hashlib
import random
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest

from bot import USER_AGENT
from bot.domain import FeedSource
from bot.errors import FetchError
from bot.pipeline.fetch import (
    FetchLimits,
    Validators,
    backoff_delay,
    fetch_feed,
    make_session,
    next_poll_delay,
    parse_max_age,
    parse_retry_after,
)
from tests.support.feed_server import MALFORMED, WRONG_ENCODING, FeedServer
from tests.support.rss import Item, rss_feed

FAST = FetchLimits(timeout=0.5, connect_timeout=0.5, max_bytes=1_000_000, max_redirects=3)
BODY = rss_feed("Politics", [Item("MP defects", "https://example.org/1", guid="1")])
NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as srv:
        yield srv


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with make_session(limits=FAST) as sess:
        yield sess


def feed_at(server: FeedServer, path: str = "/feed") -> FeedSource:
    return FeedSource(name="Test Feed", url=server.url(path))


async def test_200_then_304_sends_stored_validators(server, session) -> None:
    server.set_feed("/feed", BODY)
    first = await fetch_feed(session, feed_at(server), Validators(), FAST)
    assert first.modified
    assert first.status == 200
    assert first.body == BODY
    assert first.validators.etag
    assert first.validators.last_modified
    assert first.validators.body_hash == hashlib.sha256(BODY).hexdigest()
    assert first.content_type == "application/rss+xml; charset=utf-8"
    assert first.final_url == server.url("/feed")

    second = await fetch_feed(session, feed_at(server), first.validators, FAST)
    assert not second.modified
    assert second.status == 304
    assert second.body is None
    assert second.validators == first.validators
    sent = server.requests_for("/feed")[-1].headers
    assert sent["If-None-Match"] == first.validators.etag
    assert sent["If-Modified-Since"] == first.validators.last_modified


async def test_first_request_has_user_agent_accept_and_no_conditionals(server, session) -> None:
    server.set_feed("/feed", BODY)
    await fetch_feed(session, feed_at(server), Validators(), FAST)
    headers = server.requests_for("/feed")[0].headers
    assert headers["User-Agent"] == USER_AGENT
    assert "application/rss+xml" in headers["Accept"]
    assert "gzip" in headers["Accept-Encoding"]
    assert "If-None-Match" not in headers
    assert "If-Modified-Since" not in headers


async def test_unchanged_body_without_validators_is_not_modified(server, session) -> None:
    server.set_feed("/feed", BODY, etag=False, last_modified=False)
    first = await fetch_feed(session, feed_at(server), Validators(), FAST)
    second = await fetch_feed(session, feed_at(server), first.validators, FAST)
    assert second.status == 200
    assert not second.modified
    assert second.body is None
    assert second.validators == Validators(body_hash=first.validators.body_hash)


async def test_last_modified_alone_gives_304(server, session) -> None:
    server.set_feed("/feed", BODY, etag=False)
    first = await fetch_feed(session, feed_at(server), Validators(), FAST)
    assert first.validators.etag is None
    second = await fetch_feed(session, feed_at(server), first.validators, FAST)
    assert second.status == 304
    assert "If-None-Match" not in server.requests_for("/feed")[-1].headers


async def test_same_body_keeps_new_validators(server, session) -> None:
    server.set_feed("/feed", BODY)
    stale = Validators(etag='"old"', body_hash=hashlib.sha256(BODY).hexdigest())
    result = await fetch_feed(session, feed_at(server), stale, FAST)
    assert not result.modified
    assert result.validators.etag not in (None, '"old"')


async def test_changed_body_is_modified_with_new_etag(server, session) -> None:
    server.set_feed("/feed", BODY)
    first = await fetch_feed(session, feed_at(server), Validators(), FAST)
    changed = rss_feed("Politics", [Item("PM resigns", "https://example.org/2", guid="2")])
    server.set_feed("/feed", changed)
    second = await fetch_feed(session, feed_at(server), first.validators, FAST)
    assert second.modified
    assert second.body == changed
    assert second.validators.etag != first.validators.etag


async def test_gzip_body_is_decoded(server, session) -> None:
    server.set_feed("/feed", BODY * 20, gzip=True)
    result = await fetch_feed(session, feed_at(server), Validators(), FAST)
    assert result.body == BODY * 20


async def test_cache_control_max_age_is_reported(server, session) -> None:
    server.set_feed("/feed", BODY, headers={"Cache-Control": "public, max-age=600"})
    result = await fetch_feed(session, feed_at(server), Validators(), FAST)
    assert result.max_age == 600


@pytest.mark.parametrize("mode", ["gzip_bomb", "endless"])
async def test_unbounded_body_is_cut_off_at_the_cap(server, session, mode) -> None:
    server.set_fault("/feed", mode)
    with pytest.raises(FetchError, match=r"body larger than 1000000 bytes \(cap\)") as info:
        await fetch_feed(session, feed_at(server), Validators(), FAST)
    assert info.value.feed == "Test Feed"


async def test_declared_oversize_body_is_refused(server, session) -> None:
    server.set_feed("/feed", b"x" * (FAST.max_bytes + 1))
    with pytest.raises(FetchError, match="cap"):
        await fetch_feed(session, feed_at(server), Validators(), FAST)


@pytest.mark.parametrize(("mode", "options"), [("slow", {"delay": 5}), ("trickle", {})])
async def test_slow_server_times_out(server, session, mode, options) -> None:
    server.set_feed("/feed", BODY)
    server.set_fault("/feed", mode, **options)
    with pytest.raises(FetchError, match=r"timed out after 0\.5s"):
        await fetch_feed(session, feed_at(server), Validators(), FAST)


def chain(server: FeedServer, hops: int) -> None:
    """/r0 → /r1 → … → /r{hops}, which serves the feed."""
    server.set_feed(f"/r{hops}", BODY)
    for i in range(hops):
        server.set_fault(f"/r{i}", "redirect", to=f"/r{i + 1}", status=301 if i % 2 else 302)


async def test_redirects_up_to_the_limit_are_followed(server, session) -> None:
    chain(server, FAST.max_redirects)
    result = await fetch_feed(session, feed_at(server, "/r0"), Validators(), FAST)
    assert result.body == BODY
    assert result.final_url == server.url(f"/r{FAST.max_redirects}")


async def test_too_many_redirects(server, session) -> None:
    chain(server, FAST.max_redirects + 1)
    with pytest.raises(FetchError, match="more than 3 redirects"):
        await fetch_feed(session, feed_at(server, "/r0"), Validators(), FAST)


async def test_redirect_loop(server, session) -> None:
    server.set_fault("/feed", "redirect_loop")
    with pytest.raises(FetchError, match="redirect loop"):
        await fetch_feed(session, feed_at(server), Validators(), FAST)
    assert len(server.requests_for("/feed")) == FAST.max_redirects + 1


@pytest.mark.parametrize(("path", "status"), [("/feed", 500), ("/feed", 403), ("/none", 404)])
async def test_error_status_is_named(server, session, path, status) -> None:
    server.set_fault("/feed", "status", status=status)
    with pytest.raises(FetchError, match=f"HTTP {status}") as info:
        await fetch_feed(session, feed_at(server, path), Validators(), FAST)
    assert info.value.retry_after is None
    assert str(info.value).startswith("Test Feed: ")


@pytest.mark.parametrize("status", [429, 503])
async def test_rate_limit_carries_retry_after(server, session, status) -> None:
    server.set_fault("/feed", "status", status=status, retry_after=120)
    with pytest.raises(FetchError, match=f"HTTP {status}") as info:
        await fetch_feed(session, feed_at(server), Validators(), FAST)
    assert info.value.retry_after == 120


async def test_connection_refused(session) -> None:
    with socket.socket() as sock:  # bind, then close: a port nobody is listening on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    feed = FeedSource(name="Gone", url=f"http://127.0.0.1:{port}/feed")
    with pytest.raises(FetchError, match=r"cannot connect to 127\.0\.0\.1") as info:
        await fetch_feed(session, feed, Validators(), FAST)
    assert "Traceback" not in str(info.value)


async def test_connect_timeout(session) -> None:
    # A listener whose accept queue is full: Linux drops further SYNs, so connect() just hangs.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        fillers = [socket.socket() for _ in range(3)]
        for filler in fillers:
            filler.setblocking(False)
            filler.connect_ex(listener.getsockname())
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/feed"
        try:
            limits = FetchLimits(timeout=5, connect_timeout=0.3)
            with pytest.raises(FetchError, match=r"timed out after 0\.3s connecting"):
                await fetch_feed(session, FeedSource(name="Stuck", url=url), Validators(), limits)
        finally:
            for filler in fillers:
                filler.close()


async def test_dropped_connection(server, session) -> None:
    server.set_fault("/feed", "drop")
    with pytest.raises(FetchError, match="closed the connection"):
        await fetch_feed(session, feed_at(server), Validators(), FAST)


@pytest.mark.parametrize(
    ("mode", "body"), [("wrong_encoding", WRONG_ENCODING), ("malformed", MALFORMED)]
)
async def test_bad_bodies_are_returned_as_bytes_for_the_parser(server, session, mode, body) -> None:
    server.set_fault("/feed", mode)
    result = await fetch_feed(session, feed_at(server), Validators(), FAST)
    assert result.modified
    assert result.body == body


def test_thread_mode_server_serves_synchronous_callers() -> None:
    with FeedServer.start_in_thread() as srv:
        srv.set_feed("/feed", BODY)

        async def fetch() -> bytes | None:
            async with make_session(limits=FAST) as sess:
                feed = FeedSource(name="Threaded", url=srv.url("/feed"))
                return (await fetch_feed(sess, feed, Validators(), FAST)).body

        assert asyncio.run(fetch()) == BODY
        assert [r.path for r in srv.requests] == ["/feed"]
    srv.stop()  # a second stop is harmless


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("120", 120.0),
        (" 5 ", 5.0),
        ("1.5", 1.5),
        ("0", 0.0),
        ("-5", None),
        ("soon", None),
        ("999999", 86_400.0),
        ("Fri, 01 Mar 2024 12:02:00 GMT", 120.0),
        ("Fri, 01 Mar 2024 11:00:00 GMT", 0.0),
        ("Sun, 03 Mar 2024 12:00:00 GMT", 86_400.0),
        ("Fri, 01 Mar 2024 12:00:30 -0000", 30.0),
    ],
)
def test_parse_retry_after(value, expected) -> None:
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("no-cache", None),
        ("max-age=300", 300.0),
        ("public, MAX-AGE=60, must-revalidate", 60.0),
        ('max-age="90"', 90.0),
        ("max-age=soon", None),
        ("max-age=-1", None),
        ("s-maxage=100", None),
    ],
)
def test_parse_max_age(value, expected) -> None:
    assert parse_max_age(value) == expected


@pytest.mark.parametrize(
    ("failures", "kwargs", "expected"),
    [
        (1, {"base": 300}, 300),
        (2, {"base": 300}, 600),
        (4, {"base": 300}, 2400),
        (5, {"base": 300}, 3600),
        (500, {"base": 300}, 3600),
        (3, {"base": 300, "cap": 1000}, 1000),
        (1, {"base": 7200}, 7200),  # never poll a failing feed more often than a healthy one
        (1, {"base": 300, "retry_after": 900}, 900),
        (1, {"base": 300, "retry_after": 10}, 300),
        (1, {"base": 300, "retry_after": 20_000}, 20_000),  # beyond the cap: the server asked
        (1, {"base": 300, "retry_after": 10**9}, 86_400),
    ],
)
def test_backoff_delay(failures, kwargs, expected) -> None:
    assert backoff_delay(failures, **kwargs) == expected


@pytest.mark.parametrize("failures", [0, -1])
def test_backoff_delay_rejects_no_failures(failures) -> None:
    with pytest.raises(ValueError, match="failures"):
        backoff_delay(failures, base=300)


@pytest.mark.parametrize(
    ("ttl", "max_age", "low", "high"),
    [
        (None, None, 270, 330),  # interval ± 10 %
        (60, 30, 270, 330),  # hints shorter than the interval never shorten it
        (3600, None, 300, 330),  # a longer hint only stops early polls ...
        (None, 86_400, 300, 330),  # ... and never stretches beyond the interval
        (290, None, 290, 330),  # a hint inside the jitter band is a floor
    ],
)
def test_next_poll_delay(ttl, max_age, low, high) -> None:
    rng = random.Random(7)
    delays = [
        next_poll_delay(300, jitter=0.1, rng=rng, ttl=ttl, max_age=max_age) for _ in range(500)
    ]
    assert all(low <= d <= high for d in delays)
    assert max(delays) > 320  # jitter still spreads polls upwards


def test_next_poll_delay_without_jitter_is_the_interval() -> None:
    rng = random.Random(1)
    assert next_poll_delay(300, jitter=0, rng=rng, ttl=None, max_age=None) == 300
