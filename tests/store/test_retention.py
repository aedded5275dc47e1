"""Retention: only entries really gone from their feeds are forgotten; nothing ever re-alerts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import open_runtime
from bot.config import PollingSettings, WebhookSettings, load_settings
from bot.domain import FeedSource
from bot.store import retention
from bot.store.connection import Database, to_db
from tests.support.chat_server import ChatServer
from tests.support.feed_server import FeedServer
from tests.support.rss import Item, rss_feed

DAY0 = datetime(2024, 1, 2, 9, 0, tzinfo=UTC)


def day(n: float) -> datetime:
    return DAY0 + timedelta(days=n)


async def add_headline(db: Database, feed: str, key: str, last_seen: datetime) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO headlines (feed, entry_key, link, title, summary, outlet, first_seen_at, "
            "last_seen_at, categories, evidence, decision) "
            "VALUES (?, ?, '', ?, '', ?, ?, ?, '', '{}', 'no_category')",
            (feed, key, key, feed, to_db(DAY0), to_db(last_seen)),
        )


async def keys(db: Database, table: str = "headlines", column: str = "entry_key") -> list[str]:
    async with db.conn.execute(f"SELECT {column} FROM {table} ORDER BY {column}") as cursor:  # noqa: S608
        return [str(row[0]) for row in await cursor.fetchall()]


async def test_only_headlines_absent_from_their_feed_for_the_retention_period_go(
    db: Database,
) -> None:
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO feeds (name, url, last_parsed_at) VALUES (?, 'http://x/', ?)",
            [("Parsed", to_db(day(95))), ("Unchanged", to_db(day(0))), ("Never", None)],
        )
    await add_headline(db, "Parsed", "gone-long-ago", day(1))  # read again since: gone
    await add_headline(db, "Parsed", "gone-recently", day(92))  # gone, but not for 90 days
    await add_headline(db, "Parsed", "still-listed", day(95))  # in the latest read
    await add_headline(db, "Unchanged", "sits-for-months", day(0))  # only 304s since
    await add_headline(db, "Never", "no-read-recorded", day(0))  # upgraded database
    await add_headline(db, "Removed", "feed-left-config", day(1))
    pruned = await retention.prune(
        db, cutoff=day(100) - timedelta(days=90), configured=["Parsed", "Unchanged", "Never"]
    )
    assert pruned.headlines == 2
    assert await keys(db) == [
        "gone-recently",
        "no-read-recorded",
        "sits-for-months",
        "still-listed",
    ]


async def test_sent_alerts_and_orphaned_stories_go_but_the_newest_story_id_stays(
    db: Database,
) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO destinations (key, kind, label, created_at) "
            "VALUES ('console', 'console', 'console', ?)",
            (to_db(DAY0),),
        )
        await conn.executemany(
            "INSERT INTO outbox (destination_id, dedupe_key, message, status, created_at, "
            "next_attempt_at, sent_at) VALUES (1, ?, '{}', ?, ?, ?, ?)",
            [
                ("old-sent", "sent", to_db(day(0)), to_db(day(0)), to_db(day(1))),
                ("new-sent", "sent", to_db(day(50)), to_db(day(50)), to_db(day(50))),
                ("old-pending", "pending", to_db(day(0)), to_db(day(0)), None),
            ],
        )
        await conn.executemany(
            "INSERT INTO stories (id, created_at, title, link, categories, signature) "
            "VALUES (?, ?, ?, '', '', '{}')",
            [
                (1, to_db(day(0)), "orphan"),
                (2, to_db(day(0)), "kept by a headline"),
                (3, to_db(day(0)), "newest orphan"),
            ],
        )
    await add_headline(db, "Gone", "h", day(60))
    async with db.transaction() as conn:
        await conn.execute("UPDATE headlines SET story_id = 2")
    pruned = await retention.prune(db, cutoff=day(10), configured=[])
    assert (pruned.outbox, pruned.stories, pruned.headlines) == (1, 1, 0)
    assert await keys(db, "outbox", "dedupe_key") == ["new-sent", "old-pending"]
    assert await keys(db, "stories", "title") == ["kept by a headline", "newest orphan"]


async def test_pruning_works_in_chunks(db: Database) -> None:
    for number in range(7):
        await add_headline(db, "Removed", f"h{number}", day(0))
    pruned = await retention.prune(db, cutoff=day(10), configured=[], chunk=3)
    assert pruned.headlines == 7
    assert await keys(db) == []


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def test_an_undated_entry_sitting_in_an_unchanging_feed_for_months_never_realerts(
    tmp_path: Path,
) -> None:
    start = datetime.now(UTC)
    clock = Clock(start)
    sitting = Item("Tory MP Jane Marchmont defects to Labour", "https://news.example/m", "m")
    later = Item(
        "PMQs: Prime minister clashes with opposition leader", "https://news.example/p", "p"
    )
    async with FeedServer() as feeds, ChatServer() as chat:
        feeds.set_feed("/bbc.xml", rss_feed("BBC", [sitting]))
        base = load_settings(None, env={"DIVISION_BELL_DATA": str(tmp_path)})
        settings = replace(
            base,
            feeds=(FeedSource("BBC", feeds.url("/bbc.xml")),),
            webhooks=(WebhookSettings("discord", chat.url("/hook"), None, "desk"),),
            console=False,
            polling=PollingSettings(timeout=2),
        )
        async with open_runtime(settings, clock=clock, parse_workers=1) as runtime:
            poll = runtime.poller.poll_feed
            assert (await poll(settings.feeds[0])).status == "changed"  # first poll: silent
            clock.now = start + timedelta(days=100)
            assert (await poll(settings.feeds[0])).status == "not_modified"
            await retention.prune(
                runtime.db, cutoff=clock.now - timedelta(days=90), configured=["BBC"]
            )
            clock.now += timedelta(minutes=5)  # a normal poll, not a catch-up after a gap
            feeds.set_feed("/bbc.xml", rss_feed("BBC", [later, sitting]))
            outcome = await poll(settings.feeds[0])
            await runtime.deliverer.deliver_due()
    assert (outcome.status, outcome.new) == ("changed", 1)
    posts = chat.received("/hook")
    assert [p["embeds"][0]["title"].endswith(later.title) for p in posts] == [True]
