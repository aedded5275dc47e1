"""Which update a destination gets when its alerted event grows, and how often."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.delivery.updates import arm, update_kind
from bot.domain import story_key
from bot.store import outbox
from bot.store.connection import Database, to_db
from tests.store.helpers import add_destination, add_story, at, fetch

# (destination kind, its updates setting, its update rows' statuses) → the update row it gets.
KINDS = {
    "a Discord webhook edits": ("webhook:discord", "edit", {}, "edit"),
    "a Discord bot channel edits": ("discord", "edit", {}, "edit"),
    "a Slack bot channel edits": ("slack", "edit", {}, "edit"),
    "the console edits": ("console", "edit", {}, "edit"),
    "a Slack-format webhook cannot edit: follow-ups": ("webhook:slack", "edit", {}, "followup"),
    "a bot channel set to thread replies": ("discord", "thread", {}, "reply"),
    "a Slack channel set to thread replies": ("slack", "thread", {}, "reply"),
    "a webhook cannot thread: it edits": ("webhook:discord", "thread", {}, "edit"),
    "off is nothing": ("discord", "off", {}, None),
    "a deleted alert gets nothing more": ("discord", "edit", {"edit": "gone"}, None),
    "a deleted thread parent gets nothing more": ("slack", "thread", {"reply": "gone"}, None),
    "edits used up: follow-ups": ("discord", "edit", {"edit": "exhausted"}, "followup"),
}


@pytest.mark.parametrize(
    ("kind", "updates", "statuses", "expected"), KINDS.values(), ids=KINDS.keys()
)
def test_update_kind(kind: str, updates: str, statuses: dict[str, str], expected: str) -> None:
    rows = {k: (status, None) for k, status in statuses.items()}
    assert update_kind(kind, updates, rows) == expected


async def _alerted(db: Database, kind: str = "webhook:discord") -> tuple[int, int]:
    event = await add_story(db)
    dest = await add_destination(db, f"{kind}:a", kind=kind)
    async with db.transaction() as conn:
        await outbox.enqueue_many(conn, [(dest, story_key(event), "{}")], at(0), event_id=event)
    return event, dest


async def _arm(db: Database, event: int, minutes: float, interval: float = 30) -> int:
    async with db.transaction() as conn:
        return await arm(conn, [event], now=at(minutes), edit_interval=interval)


async def _updates(db: Database) -> list[tuple[str, str, str]]:
    return await fetch(
        db, "SELECT dedupe_key, status, next_attempt_at FROM outbox WHERE kind != 'alert'"
    )


async def test_reports_while_an_edit_waits_make_no_second_edit(db: Database) -> None:
    event, _ = await _alerted(db)
    assert await _arm(db, event, 1) == 1
    assert await _arm(db, event, 2) == 0  # coalesced: the pending edit will show both
    assert await _updates(db) == [(f"edit:{event}", "pending", to_db(at(1)))]


async def test_an_edit_after_a_sent_one_waits_for_the_interval(db: Database) -> None:
    event, _ = await _alerted(db)
    await _arm(db, event, 1)
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ? WHERE kind = 'edit'", (to_db(at(1)),)
        )
    assert await _arm(db, event, 1.1) == 1
    due = at(1) + timedelta(seconds=30)
    assert await _updates(db) == [(f"edit:{event}", "pending", to_db(due))]


async def test_follow_ups_come_at_most_once_an_hour(db: Database) -> None:
    event, _ = await _alerted(db, "webhook:slack")
    await _arm(db, event, 1)
    async with db.transaction() as conn:
        await conn.execute("UPDATE outbox SET status = 'sent', sent_at = ?", (to_db(at(1)),))
    await _arm(db, event, 5)
    assert await _updates(db) == [(f"followup:{event}", "pending", to_db(at(61)))]


async def test_a_stopped_edit_is_never_armed_again(db: Database) -> None:
    event, _ = await _alerted(db)
    await _arm(db, event, 1)
    async with db.transaction() as conn:
        await conn.execute("UPDATE outbox SET status = 'gone' WHERE kind = 'edit'")
    assert await _arm(db, event, 5) == 0
    assert [row[1] for row in await _updates(db)] == ["gone"]


async def test_destinations_never_told_of_the_event_get_no_update(db: Database) -> None:
    event = await add_story(db)
    await add_destination(db, "webhook:discord:b", kind="webhook:discord")
    assert await _arm(db, event, 1) == 0
    assert await _updates(db) == []
