"""The poll cycle in-process: feed faults, backoff, floods, and the outbox surviving a crash."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import open_runtime
from bot.config import PollingSettings, Settings, WebhookSettings, load_settings
from bot.domain import Classification, FeedSource
from bot.pipeline.classify import Classifier
from bot.pipeline.workers import make_parse_executor
from bot.store import feeds as feed_store
from bot.store.opening import open_store
from tests.support.chat_server import ChatServer
from tests.support.feed_server import FeedServerThread
from tests.support.rss import Item, rss_feed

NOW = datetime.now(UTC)
DEFECTION = Item(
    "Tory MP Jane Marchmont defects to Labour",
    "https://news.example/m",
    guid="m",
    published=NOW - timedelta(minutes=10),
)


def settings_for(
    tmp_path: Path, feeds: dict[str, str], hooks: list[WebhookSettings], url: str | None = None
) -> Settings:
    """Settings for these feeds and hooks: the SQLite file in tmp_path, or PostgreSQL at `url`."""
    base = load_settings(None, env={"DIVISION_BELL_DATA": str(tmp_path)})
    return replace(
        base,
        storage=replace(base.storage, url=url),
        feeds=tuple(FeedSource(n, u) for n, u in feeds.items()),
        webhooks=tuple(hooks),
        console=False,
        polling=PollingSettings(timeout=2, max_bytes=200_000),
    )


class CountingClassifier:
    """A classifier that notes every title it is asked about."""

    def __init__(self, inner: Classifier) -> None:
        self.inner = inner
        self.titles: list[str] = []

    def classify(self, title: str, summary: str, on: date) -> Classification:
        self.titles.append(title)
        return self.inner.classify(title, summary, on)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def hook(chat: ChatServer, path: str, categories: tuple[str, ...] | None = None) -> WebhookSettings:
    return WebhookSettings("discord", chat.url(path), categories, f"hook {path}")


@pytest.mark.parametrize(
    ("mode", "options"),
    [
        ("status", {"status": 500}),
        ("slow", {"delay": 5}),
        ("malformed", {}),
        ("endless", {}),
        ("gzip_bomb", {}),
        ("redirect_loop", {}),
        ("drop", {}),
    ],
)
async def test_a_faulty_feed_is_logged_once_and_spares_the_others(
    tmp_path: Path,
    feeds: FeedServerThread,
    chat: ChatServer,
    caplog: pytest.LogCaptureFixture,
    mode: str,
    options: dict[str, object],
) -> None:
    feeds.set_feed("/good.xml", rss_feed("Good", [DEFECTION]))
    feeds.set_fault("/bad.xml", mode, **options)
    settings = settings_for(
        tmp_path,
        {"Bad Feed": feeds.url("/bad.xml"), "Good Feed": feeds.url("/good.xml")},
        [hook(chat, "/d")],
    )
    caplog.set_level(logging.INFO)
    async with open_runtime(settings) as runtime:
        outcomes = {o.feed: o for o in await runtime.poller.poll_all(settings.feeds)}
        await runtime.deliverer.deliver_due()
    assert outcomes["Bad Feed"].status == "failed"
    assert outcomes["Good Feed"].status == "changed"
    assert len(chat.received("/d")) == 1
    about_bad = [r for r in caplog.records if "Bad Feed" in r.getMessage()]
    assert len(about_bad) == 1
    assert about_bad[0].levelno == logging.WARNING


async def test_wrong_encoding_still_yields_headlines(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    feeds.set_fault("/enc.xml", "wrong_encoding")
    settings = settings_for(tmp_path, {"Enc": feeds.url("/enc.xml")}, [hook(chat, "/d")])
    async with open_runtime(settings) as runtime:
        [outcome] = await runtime.poller.poll_all(settings.feeds)
    assert outcome.status == "changed"
    assert outcome.new >= 1


async def test_retry_after_defers_the_feed_until_it_expires(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer, store_url: str | None
) -> None:
    feeds.set_fault("/busy.xml", "status", status=429, retry_after="3600")
    settings = settings_for(
        tmp_path, {"Busy": feeds.url("/busy.xml")}, [hook(chat, "/d")], store_url
    )
    async with open_runtime(settings) as runtime:
        [first] = await runtime.poller.poll_all(settings.feeds)
        [second] = await runtime.poller.poll_all(settings.feeds)
    assert first.status == "failed"
    assert second.status == "deferred"
    assert len(feeds.requests_for("/busy.xml")) == 1


async def test_unchanged_body_without_validators_is_not_parsed_again(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer, store_url: str | None
) -> None:
    feeds.set_feed("/plain.xml", rss_feed("Plain", [DEFECTION]), etag=False, last_modified=False)
    settings = settings_for(
        tmp_path, {"Plain": feeds.url("/plain.xml")}, [hook(chat, "/d")], store_url
    )
    async with open_runtime(settings) as runtime:
        [first] = await runtime.poller.poll_all(settings.feeds)
        [second] = await runtime.poller.poll_all(settings.feeds)
    assert (first.status, second.status) == ("changed", "not_modified")


async def test_feeds_found_unchanged_are_recorded_by_the_time_the_poll_returns(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer, store_url: str | None
) -> None:
    # poll_all records them together at its end; polled alone, each is recorded at once.
    feeds.set_feed("/a.xml", rss_feed("A", [DEFECTION]))
    feeds.set_feed("/b.xml", rss_feed("B", [DEFECTION]), etag=False, last_modified=False)
    names = {"A": feeds.url("/a.xml"), "B": feeds.url("/b.xml")}
    settings = settings_for(tmp_path, names, [hook(chat, "/d")], store_url)
    async with open_runtime(settings) as runtime:
        await runtime.poller.poll_all(settings.feeds)
        before = {n: await feed_store.get_feed(runtime.db.conn, n) for n in names}
        outcomes = await runtime.poller.poll_all(settings.feeds)
        assert [o.status for o in outcomes] == ["not_modified", "not_modified"]
        after = {n: await feed_store.get_feed(runtime.db.conn, n) for n in names}
        alone = await runtime.poller.poll_feed(settings.feeds[0], skip_backing_off=False)
        last = await feed_store.get_feed(runtime.db.conn, "A")
    for name in names:
        was, now = before[name], after[name]
        assert was is not None
        assert now is not None
        assert now.last_success_at is not None
        assert was.last_success_at is not None
        assert now.last_success_at > was.last_success_at
        assert (now.etag, now.body_hash) == (was.etag, was.body_hash)
    assert after["A"].etag is not None  # the 304 kept its validators
    assert alone.status == "not_modified"
    assert last is not None
    assert last.last_success_at is not None
    assert last.last_success_at > after["A"].last_success_at


async def test_one_poller_runs_one_poll_all_at_a_time(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    # poll_all holds back the records of unchanged feeds for itself: a second call meanwhile
    # would mix them up, so it is refused, and the first still records everything.
    feeds.set_feed("/slow.xml", rss_feed("Slow", [DEFECTION]))
    feeds.set_fault("/slow.xml", "slow", delay=0.5)
    settings = settings_for(tmp_path, {"Slow": feeds.url("/slow.xml")}, [hook(chat, "/d")])
    async with open_runtime(settings) as runtime:
        first = asyncio.create_task(runtime.poller.poll_all(settings.feeds))
        await asyncio.sleep(0.1)
        with pytest.raises(RuntimeError, match="already polling"):
            await runtime.poller.poll_all(settings.feeds)
        [outcome] = await first
        assert outcome.status == "changed"
        [again] = await runtime.poller.poll_all(settings.feeds)  # free again afterwards
    assert again.status == "not_modified"


async def test_a_one_off_poll_reads_a_feed_read_before_without_starting_the_pool(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer, store_url: str | None
) -> None:
    # A feed's first reading is parsed and classified in the pool; later readings (a few new
    # entries) are parsed here, so a poll where a few feeds changed never waits for workers.
    feeds.set_feed("/a.xml", rss_feed("A", [DEFECTION]))
    settings = settings_for(tmp_path, {"A": feeds.url("/a.xml")}, [hook(chat, "/d")], store_url)
    first_pool, later_pool = make_parse_executor(workers=1), make_parse_executor(workers=1)
    try:
        async with open_runtime(settings, parse_executor=first_pool) as runtime:
            [first] = await runtime.poller.poll_all(settings.feeds)
        assert first_pool._pool is not None, "the first reading went to the pool"
        later = Item("Second Tory MP Dan Example defects to Labour", "https://news.example/d")
        feeds.set_feed("/a.xml", rss_feed("A", [DEFECTION, later]))
        async with open_runtime(settings, parse_executor=later_pool) as runtime:
            [second] = await runtime.poller.poll_all(settings.feeds)
    finally:
        first_pool.shutdown(wait=True)
        later_pool.shutdown(wait=True)
    assert (first.status, first.new, second.status, second.new) == ("changed", 1, "changed", 1)
    assert second.alerts == 1
    assert later_pool._pool is None, "a later reading never started the pool"


async def test_only_entries_the_feed_never_listed_are_classified(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer, store_url: str | None
) -> None:
    later = Item(
        "Second Tory MP Dan Example defects to Labour",
        "https://news.example/d",
        guid="d",
        published=NOW - timedelta(minutes=5),
    )
    feeds.set_feed("/bbc.xml", rss_feed("BBC", [DEFECTION]))
    settings = settings_for(tmp_path, {"BBC": feeds.url("/bbc.xml")}, [hook(chat, "/d")], store_url)
    async with open_runtime(settings) as runtime:
        counting = CountingClassifier(runtime.poller.classifier)
        runtime.poller.classifier = counting  # type: ignore[assignment]
        [first] = await runtime.poller.poll_all(settings.feeds)
        feeds.set_feed("/bbc.xml", rss_feed("BBC", [later, DEFECTION]))
        [second] = await runtime.poller.poll_all(settings.feeds)
    assert (first.new, second.new) == (1, 1)
    # The first reading is classified in the parse workers; the entry it stored is seen
    # again, not classified again.
    assert counting.titles == [later.title]


async def test_a_first_reading_is_classified_in_the_parse_workers(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    feeds.set_feed("/bbc.xml", rss_feed("BBC", [DEFECTION]))
    settings = settings_for(tmp_path, {"BBC": feeds.url("/bbc.xml")}, [hook(chat, "/d")])
    async with open_runtime(settings) as runtime:
        counting = CountingClassifier(runtime.poller.classifier)
        runtime.poller.classifier = counting  # type: ignore[assignment]
        [first] = await runtime.poller.poll_all(settings.feeds)
    assert counting.titles == []
    # Decided as if classified here: the defection alerts.
    assert (first.new, first.alerts, first.categories) == (1, 1, ("defection",))


async def test_the_service_classifies_first_readings_itself(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    # `run`'s workers live on: the classifier and register stay out of them.
    feeds.set_feed("/bbc.xml", rss_feed("BBC", [DEFECTION]))
    settings = settings_for(tmp_path, {"BBC": feeds.url("/bbc.xml")}, [hook(chat, "/d")])
    async with open_runtime(settings, long_running=True) as runtime:
        counting = CountingClassifier(runtime.poller.classifier)
        runtime.poller.classifier = counting  # type: ignore[assignment]
        [first] = await runtime.poller.poll_all(settings.feeds)
    assert counting.titles == [DEFECTION.title]
    assert (first.new, first.alerts, first.categories) == (1, 1, ("defection",))


async def test_a_flood_sends_the_cap_and_one_summary(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer, store_url: str | None
) -> None:
    items = [
        Item(
            f"Tory MP Member{chr(65 + i)} Surname{chr(65 + i)} defects to Labour",
            f"https://news.example/{i}",
            guid=f"g{i}",
            published=NOW - timedelta(minutes=i + 1),
        )
        for i in range(14)
    ]
    feeds.set_feed("/flood.xml", rss_feed("Flood", items))
    settings = settings_for(
        tmp_path, {"Flood": feeds.url("/flood.xml")}, [hook(chat, "/d")], store_url
    )
    async with open_runtime(settings) as runtime:
        await runtime.poller.poll_all(settings.feeds)
        await runtime.deliverer.deliver_due()
    posts = chat.received("/d")
    assert len(posts) == 11  # ten alerts and one summary line
    summary = posts[-1]["embeds"][0]
    assert "4" in summary["title"] + summary.get("description", "")
    listed = summary.get("description", "")
    assert "Defection" in listed  # the category's label, not the rules file's key
    assert "defection" not in listed.replace("defects", "")


async def test_queued_alerts_survive_a_crash_before_sending(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer, store_url: str | None
) -> None:
    feeds.set_feed("/bbc.xml", rss_feed("BBC", [DEFECTION]))
    settings = settings_for(tmp_path, {"BBC": feeds.url("/bbc.xml")}, [hook(chat, "/d")], store_url)
    async with open_runtime(settings) as runtime:
        await runtime.poller.poll_all(settings.feeds)  # decided and queued; "crash" before send
    assert chat.received("/d") == []
    async with open_runtime(settings) as runtime:
        await runtime.poller.poll_all(settings.feeds)
        await runtime.deliverer.deliver_due()
        await runtime.deliverer.deliver_due()
    assert len(chat.received("/d")) == 1


async def test_a_send_leased_by_a_dead_process_is_sent_after_the_lease(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer, store_url: str | None
) -> None:
    feeds.set_feed("/bbc.xml", rss_feed("BBC", [DEFECTION]))
    settings = settings_for(tmp_path, {"BBC": feeds.url("/bbc.xml")}, [hook(chat, "/d")], store_url)
    async with open_runtime(settings) as runtime:
        await runtime.poller.poll_all(settings.feeds)
    db = await open_store(settings.storage.path, settings.storage.url)
    await db.conn.execute("UPDATE outbox SET lease_until = '2999-01-01T00:00:00.000000Z'")
    await db.close()
    async with open_runtime(settings) as runtime:
        await runtime.deliverer.deliver_due()
    assert chat.received("/d") == []  # still leased by the "dead" sender
    later = datetime.now(UTC) + timedelta(days=365 * 1000)
    async with open_runtime(settings, clock=lambda: later) as runtime:
        await runtime.deliverer.deliver_due()
    assert len(chat.received("/d")) == 1
