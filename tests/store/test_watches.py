"""Party watches in the store: added once per event, open for a week, confirmed or expired once,
and shown by the event's state only once confirmed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from bot.store import events, watches
from bot.store.connection import Database
from tests.store.helpers import T0, add_headline, add_story, at

WEEK = timedelta(days=7)


def claim(event_id: int) -> watches.Watch:
    return watches.Watch(
        event_id=event_id,
        person_id=4795,
        person_name="Natalie Elphicke",
        party="lab",
        first_report=T0,
        until=T0 + WEEK,
    )


async def _add(db: Database, watch: watches.Watch) -> bool:
    async with db.transaction() as conn:
        return await watches.add_watch(conn, watch)


async def test_a_watch_is_read_back_and_added_once_per_event(db: Database) -> None:
    event_id = await add_story(db)
    assert await _add(db, claim(event_id))
    assert not await _add(db, replace(claim(event_id), person_id=1, party="reform"))
    assert await watches.watch_of(db.conn, event_id) == claim(event_id)
    assert await watches.watch_of(db.conn, event_id + 1) is None


async def test_open_watches_are_those_within_their_week(db: Database) -> None:
    first, second = await add_story(db, "one"), await add_story(db, "two")
    await _add(db, claim(first))
    await _add(db, replace(claim(second), until=T0 + timedelta(days=1)))
    assert [w.event_id for w in await watches.open_watches(db.conn, at(60))] == [first, second]
    later = T0 + timedelta(days=2)
    assert [w.event_id for w in await watches.open_watches(db.conn, later)] == [first]
    async with db.transaction() as conn:
        expired = await watches.expire_watches(conn, later)
        assert await watches.expire_watches(conn, later) == []  # once
    assert [(w.event_id, w.status, w.closed_at) for w in expired] == [
        (second, watches.EXPIRED, later)
    ]
    assert [w.event_id for w in await watches.open_watches(db.conn, later)] == [first]


async def test_only_an_open_watch_is_confirmed(db: Database) -> None:
    first, second = await add_story(db, "one"), await add_story(db, "two")
    await _add(db, claim(first))
    await _add(db, replace(claim(second), until=at(1)))
    async with db.transaction() as conn:
        await watches.expire_watches(conn, at(2))
        assert await watches.confirm_watch(conn, first, "Labour", date(2024, 3, 6), at(3))
        assert not await watches.confirm_watch(conn, first, "Labour", date(2024, 3, 7), at(4))
        assert not await watches.confirm_watch(conn, second, "Labour", date(2024, 3, 6), at(3))
    confirmed = await watches.watch_of(db.conn, first)
    assert confirmed == replace(
        claim(first),
        status=watches.CONFIRMED,
        confirmed_party="Labour",
        recorded_on=date(2024, 3, 6),
        closed_at=at(3),
    )
    assert await watches.open_watches(db.conn, at(5)) == []


async def test_event_state_carries_the_confirmation_only_once_confirmed(db: Database) -> None:
    event_id = await add_story(db)
    await add_headline(db, "a", story_id=event_id, now=at(0), link="https://x/a")
    await _add(db, claim(event_id))
    state = await events.event_state(db.conn, event_id)
    assert state is not None
    assert state.confirmed is None
    async with db.transaction() as conn:
        await watches.confirm_watch(conn, event_id, "Labour", date(2024, 5, 8), at(1))
    state = await events.event_state(db.conn, event_id)
    assert state is not None
    assert state.confirmed == "Natalie Elphicke joined Labour (recorded 8 May 2024)"


async def test_an_expired_watch_never_shows(db: Database) -> None:
    event_id = await add_story(db)
    await add_headline(db, "a", story_id=event_id, now=at(0), link="https://x/a")
    await _add(db, claim(event_id))
    async with db.transaction() as conn:
        await watches.expire_watches(conn, T0 + WEEK)
        await watches.confirm_watch(conn, event_id, "Labour", date(2024, 3, 6), T0 + WEEK)
    state = await events.event_state(db.conn, event_id)
    assert state is not None
    assert state.confirmed is None


async def test_a_watch_goes_with_its_event(db: Database) -> None:
    event_id = await add_story(db)
    await _add(db, claim(event_id))
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM stories WHERE id = ?", (event_id,))
    assert await watches.watch_of(db.conn, event_id) is None
