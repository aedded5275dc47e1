"""Parliament's confirmation of an event: one update row per destination told of it, sent once,
and what sending it means (an edit, a reply in the thread, a follow-up, or waiting)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.delivery.messages import dump_message, load_message
from bot.delivery.updates import arm, arm_confirmation, update_kind
from bot.delivery.updating import outgoing
from bot.domain import Alert, FollowUp, story_key
from bot.store import destinations as dest_store
from bot.store import outbox, watches
from bot.store.connection import Database, to_db
from bot.store.updates import CONFIRMATION
from tests.store.helpers import T0, add_destination, add_headline, add_story, at, fetch

DETAIL = "Natalie Elphicke joined Labour (recorded 8 May 2024)"


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ({CONFIRMATION: "gone"}, None),  # its edit found the alert deleted
        ({CONFIRMATION: "exhausted"}, "followup"),  # its edit was refused: no more edits
        ({CONFIRMATION: "sent"}, "edit"),  # sent once: ordinary edits go on
    ],
)
def test_a_confirmation_row_s_fate_tells_what_the_alert_takes(
    statuses: dict[str, str], expected: str | None
) -> None:
    rows = {k: (status, None) for k, status in statuses.items()}
    assert update_kind("discord", "edit", rows) == expected


async def _confirmed_event(db: Database, kinds: dict[str, str]) -> tuple[int, dict[str, int]]:
    """An event alerted to destinations of these kinds (with these updates settings), its claim
    confirmed by Parliament."""
    event = await add_story(db)
    await add_headline(db, "a", story_id=event, now=at(0), link="https://x/a")
    alert = Alert(event, "Elphicke defects", "https://x/a", "", "BBC", T0, ())
    ids = {kind: await add_destination(db, f"{kind}:x", kind=kind) for kind in kinds}
    async with db.transaction() as conn:
        for kind, updates in kinds.items():
            await dest_store.set_updates(conn, ids[kind], updates)
        rows = [(d, story_key(event), dump_message(alert)) for d in ids.values()]
        await outbox.enqueue_many(conn, rows, at(0), event_id=event)
        claim = watches.Watch(event, 4795, "Natalie Elphicke", "lab", T0, at(7 * 24 * 60))
        await watches.add_watch(conn, claim)
        await watches.confirm_watch(conn, event, "Labour", date(2024, 5, 8), at(5))
    return event, ids


async def _confirm(db: Database, event: int, minutes: float = 6) -> int:
    async with db.transaction() as conn:
        return await arm_confirmation(conn, event, now=at(minutes))


async def _rows(db: Database) -> list[tuple[str, str, str, str]]:
    return await fetch(
        db,
        "SELECT d.kind, o.kind, o.dedupe_key, o.status FROM outbox o "
        "JOIN destinations d ON d.id = o.destination_id WHERE o.kind != 'alert' "
        "ORDER BY d.kind, o.id",
    )


async def test_each_destination_gets_one_confirmation_its_own_way(db: Database) -> None:
    kinds = {
        "webhook:discord": "edit",
        "webhook:slack": "edit",
        "slack": "thread",
        "discord": "off",
    }
    event, _ = await _confirmed_event(db, kinds)
    assert await _confirm(db, event) == 3
    assert await _confirm(db, event, 7) == 0  # once
    key = f"confirmed:{event}"
    assert await _rows(db) == [
        ("slack", "reply", key, "pending"),
        ("webhook:discord", "edit", key, "pending"),
        ("webhook:slack", "followup", key, "pending"),
    ]


async def test_a_sent_confirmation_does_not_delay_the_next_edit(db: Database) -> None:
    event, _ = await _confirmed_event(db, {"webhook:discord": "edit"})
    await _confirm(db, event)
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ? WHERE kind = 'edit'", (to_db(at(6)),)
        )
        assert await arm(conn, [event], now=at(6.1), edit_interval=30) == 1
    due = await fetch(
        db, "SELECT next_attempt_at FROM outbox WHERE dedupe_key = ?", (f"edit:{event}",)
    )
    assert due == [(to_db(at(6.1)),)]


async def test_a_refused_confirmation_edit_comes_again_as_a_follow_up(db: Database) -> None:
    event, _ = await _confirmed_event(db, {"discord": "edit"})
    await _confirm(db, event)
    async with db.transaction() as conn:
        await conn.execute("UPDATE outbox SET status = 'exhausted' WHERE kind = 'edit'")
        await arm(conn, [event], now=at(7), edit_interval=0)  # what the deliverer does then
    assert (await _rows(db))[0] == ("discord", "followup", f"confirmed:{event}", "pending")


async def test_sending_a_confirmation_row(db: Database) -> None:
    kinds = {"webhook:discord": "edit", "slack": "thread"}
    event, ids = await _confirmed_event(db, kinds)
    await _confirm(db, event)
    rows = {r.destination_id: r for r in await _claim(db)}
    # The alerts are still queued: their updates wait (the alert will show it all itself).
    assert [(await outgoing(db.conn, row)).wait for row in rows.values()] == [True, True]
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE outbox SET status = 'sent', remote_id = 'm1' WHERE kind = 'alert'"
        )
    edit = await outgoing(db.conn, rows[ids["webhook:discord"]])
    assert (edit.action, edit.remote_id) == ("edit", "m1")
    assert isinstance(edit.message, Alert)
    assert edit.message.event is not None
    assert edit.message.event.confirmed == DETAIL
    reply = await outgoing(db.conn, rows[ids["slack"]])
    assert (reply.action, reply.remote_id) == ("reply", "m1")
    assert isinstance(reply.message, FollowUp)
    assert (reply.message.confirmed, reply.message.more) == (DETAIL, 0)
    assert load_message(dump_message(reply.message)) == reply.message


async def _claim(db: Database) -> list[outbox.OutboxRow]:
    async with db.transaction() as conn:
        rows = await outbox.claim_due(
            conn, now=at(60), lease=60, limit=100, kinds=("webhook:discord", "slack"), owner="t"
        )
    return [r for r in rows if r.kind != "alert"]
