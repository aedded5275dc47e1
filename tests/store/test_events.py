"""Events in the store: written and read back for the window, and their state as alerts show it."""

from __future__ import annotations

from dataclasses import replace

from bot.store import events
from bot.store.connection import Database
from tests.store.helpers import T0, add_headline, at

ROW = events.EventRow(
    id=0,
    title="Marchmont defects",
    link="https://news.example/1",
    categories=("defection",),
    first_seen=T0,
    last_report=T0,
    actors='{"people":[1]}',
)


async def _insert(db: Database, row: events.EventRow = ROW, now: int = 0) -> int:
    async with db.transaction() as conn:
        return await events.insert_event(conn, row, "{}", at(now))


async def test_an_event_is_read_back_as_written(db: Database) -> None:
    event_id = await _insert(db, replace(ROW, continues=None, development="resignation"))
    rows, newest = await events.changed_since(db.conn, 0, at(-60))
    assert rows == [replace(ROW, id=event_id, development="resignation")]
    assert newest == 1  # the first write


async def test_only_what_changed_since_is_read_again(db: Database) -> None:
    first = await _insert(db)
    _, seen = await events.changed_since(db.conn, 0, at(-60))
    second = await _insert(db, now=5)
    rows, newest = await events.changed_since(db.conn, seen, at(-60))
    assert [r.id for r in rows] == [second]
    async with db.transaction() as conn:
        grown = replace(ROW, id=first, categories=("defection", "pmqs"), last_report=at(9))
        await events.update_event(conn, replace(grown, breaking=True), at(10))
    rows, _ = await events.changed_since(db.conn, newest, at(-60))
    assert [(r.id, r.categories, r.last_report, r.breaking) for r in rows] == [
        (first, ("defection", "pmqs"), at(9), True)
    ]


async def test_events_whose_last_report_is_too_old_are_not_read(db: Database) -> None:
    await _insert(db, replace(ROW, last_report=at(-600)))
    assert (await events.changed_since(db.conn, 0, at(-60)))[0] == []


async def test_marking_alerted_keeps_the_first_time(db: Database) -> None:
    event_id = await _insert(db)
    async with db.transaction() as conn:
        await events.mark_alerted(conn, event_id, at(1))
        await events.mark_alerted(conn, event_id, at(2))
    rows, _ = await events.changed_since(db.conn, 0, at(-60))
    assert rows[0].alerted


async def test_event_state_counts_reports_not_copies_of_one_link(db: Database) -> None:
    event_id = await _insert(db)
    earlier = await _insert(db, replace(ROW, title="Earlier saga"))
    async with db.transaction() as conn:
        await conn.execute("UPDATE stories SET continues_id = ? WHERE id = ?", (earlier, event_id))
    for minute, (key, outlet) in enumerate(
        [("a", "BBC"), ("b", "Sky"), ("c", "BBC"), ("d", "ITV")]
    ):
        await add_headline(
            db, key, story_id=event_id, now=at(minute), outlet=outlet, link=f"https://x/{key}"
        )
    await add_headline(db, "e", story_id=event_id, now=at(9), decision="duplicate_url")
    state = await events.event_state(db.conn, event_id)
    assert state is not None
    assert state.reports == 4
    assert state.outlets == ("BBC", "Sky", "ITV")
    assert [r.title for r in state.latest] == ["d", "c", "b"]
    assert (state.first_seen, state.last_seen) == (at(0), at(3))
    assert state.continues == "Earlier saga"
    assert not state.breaking
    more, latest = await events.reports_since(db.conn, event_id, 1)
    assert more == 3
    assert [r.title for r in latest] == ["d", "c", "b"]
    assert await events.reports_since(db.conn, event_id, 4) == (0, ())


async def test_no_state_for_an_unknown_event(db: Database) -> None:
    assert await events.event_state(db.conn, 404) is None
