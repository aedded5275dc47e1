"""Feed state: synced with the config, updated by each poll, and whether a feed's IDs are stable."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.store import feeds, headlines
from bot.store.connection import Database
from tests.store.helpers import T0, add_headline, at, headline


async def sync(db: Database, *pairs: tuple[str, str]) -> None:
    async with db.transaction() as conn:
        await feeds.sync_feeds(conn, list(pairs))


async def succeed(
    db: Database,
    name: str,
    now: datetime,
    *,
    title: str | None = "BBC News",
    parsed: bool = True,
    etag: str | None = '"v1"',
) -> None:
    async with db.transaction() as conn:
        await feeds.record_success(
            conn,
            name,
            now=now,
            next_poll_at=now + timedelta(minutes=5),
            etag=etag,
            last_modified="Wed, 06 Mar 2024 12:00:00 GMT",
            body_hash="hash",
            title=title,
            parsed=parsed,
        )


async def fail(db: Database, name: str, now: datetime, error: str) -> None:
    async with db.transaction() as conn:
        await feeds.record_failure(
            conn, name, now=now, error=error, next_poll_at=now + timedelta(minutes=10)
        )


async def test_sync_adds_feeds_and_lists_them_by_name(db: Database) -> None:
    await sync(db, ("Sky", "http://sky/"), ("BBC", "http://bbc/"))
    found = await feeds.all_feeds(db.conn)
    assert [(f.name, f.url, f.failures, f.etag, f.next_poll_at) for f in found] == [
        ("BBC", "http://bbc/", 0, None, None),
        ("Sky", "http://sky/", 0, None, None),
    ]
    assert await feeds.get_feed(db.conn, "BBC") == found[0]
    assert await feeds.get_feed(db.conn, "Times") is None


async def test_a_feeds_state_survives_a_sync_with_the_same_url(db: Database) -> None:
    await sync(db, ("BBC", "http://bbc/"))
    await succeed(db, "BBC", T0)
    before = await feeds.get_feed(db.conn, "BBC")
    await sync(db, ("BBC", "http://bbc/"))
    assert await feeds.get_feed(db.conn, "BBC") == before


async def test_a_changed_url_starts_the_feed_afresh(db: Database) -> None:
    await sync(db, ("BBC", "http://bbc/"))
    await succeed(db, "BBC", T0)
    await fail(db, "BBC", at(5), "HTTP 500")
    await sync(db, ("BBC", "http://bbc.example/rss"))
    state = await feeds.get_feed(db.conn, "BBC")
    assert state is not None
    assert state.url == "http://bbc.example/rss"
    fresh = (state.etag, state.last_modified, state.body_hash, state.first_success_at)
    assert fresh == (None, None, None, None)
    assert (state.failures, state.next_poll_at) == (0, None)
    # What is only shown, not used to poll, stays until the next poll replaces it.
    assert (state.title, state.last_success_at, state.last_error) == ("BBC News", T0, "HTTP 500")


async def test_a_success_stores_validators_and_keeps_the_first_success(db: Database) -> None:
    await sync(db, ("BBC", "http://bbc/"))
    await succeed(db, "BBC", T0)
    await succeed(db, "BBC", at(5), title=None, etag=None)  # no title in the document: keep it
    state = await feeds.get_feed(db.conn, "BBC")
    assert state == feeds.FeedState(
        name="BBC",
        url="http://bbc/",
        title="BBC News",
        etag=None,
        last_modified="Wed, 06 Mar 2024 12:00:00 GMT",
        body_hash="hash",
        first_success_at=T0,
        last_success_at=at(5),
        last_attempt_at=at(5),
        last_error=None,
        last_error_at=None,
        failures=0,
        next_poll_at=at(10),
        failing_since=None,
        last_parsed_at=at(5),
    )


@pytest.mark.parametrize(("parsed", "last_parsed"), [(True, 5), (False, 0)], ids=["200", "304"])
async def test_only_a_parsed_document_moves_last_parsed_at(
    db: Database, parsed: bool, last_parsed: int
) -> None:
    await sync(db, ("BBC", "http://bbc/"))
    await succeed(db, "BBC", T0)
    await succeed(db, "BBC", at(5), parsed=parsed)
    state = await feeds.get_feed(db.conn, "BBC")
    assert state is not None
    assert state.last_parsed_at == at(last_parsed)


async def test_failures_count_up_from_the_streaks_start_and_a_success_ends_the_streak(
    db: Database,
) -> None:
    await sync(db, ("BBC", "http://bbc/"))
    await fail(db, "BBC", at(1), "timed out")
    await fail(db, "BBC", at(2), "HTTP 503")
    state = await feeds.get_feed(db.conn, "BBC")
    assert state is not None
    summary = (state.failures, state.failing_since, state.last_error, state.last_error_at)
    assert summary == (2, at(1), "HTTP 503", at(2))
    assert (state.last_attempt_at, state.next_poll_at) == (at(2), at(12))
    await succeed(db, "BBC", at(3))
    state = await feeds.get_feed(db.conn, "BBC")
    assert state is not None
    assert (state.failures, state.failing_since, state.last_error) == (0, None, "HTTP 503")


async def list_document(db: Database, feed: str, old: list[str], new: list[str]) -> None:
    """The feed's first document lists `old` at T0; its latest lists some of them and `new`."""
    for title in old:
        await add_headline(db, f"old-{title}", feed=feed, title=title, now=T0)
    async with db.transaction() as conn:
        rows = [
            headlines.NewHeadline(headline(f"new-{t}", feed=feed, title=t), (), {}, "", None)
            for t in new
        ]
        await headlines.insert_headlines(conn, rows, at(5))
        await headlines.touch(conn, feed, [f"old-{t}" for t in old[:1]], at(5))
    await succeed(db, feed, T0)
    await succeed(db, feed, at(5))


async def test_churn_counts_new_entries_under_titles_the_feed_already_showed(
    db: Database,
) -> None:
    await sync(db, ("Rekeyed", "http://a/"), ("Growing", "http://b/"), ("One new", "http://c/"))
    await list_document(db, "Rekeyed", ["a", "b", "c"], ["a", "b", "c"])
    await list_document(db, "Growing", ["a", "b", "c"], ["d", "e", "f"])
    await list_document(db, "One new", ["a"], ["a"])
    churn = await feeds.churned_feeds(db.conn)
    assert churn == {
        "Rekeyed": feeds.Churn(listed=4, rekeyed=3),
        "Growing": feeds.Churn(listed=4, rekeyed=0),
    }
    assert churn["Rekeyed"].unstable
    assert not churn["Growing"].unstable


# (entries listed, entries new under an old title or link) → whether the feed's IDs are unstable.
UNSTABLE_CASES = {
    "most rekeyed": (4, 3, True),
    "half rekeyed": (4, 2, True),
    "under half": (5, 2, False),
    "one edited article": (1, 1, False),
    "none": (10, 0, False),
}


@pytest.mark.parametrize(
    ("listed", "rekeyed", "unstable"), UNSTABLE_CASES.values(), ids=UNSTABLE_CASES.keys()
)
def test_a_feed_is_unstable_when_most_of_it_came_back_rekeyed(
    listed: int, rekeyed: int, unstable: bool
) -> None:
    assert feeds.Churn(listed, rekeyed).unstable is unstable
