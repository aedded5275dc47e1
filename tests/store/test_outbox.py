"""The outbox: each message queued once per destination, leased to one sender, sent or retried."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.store import destinations, outbox
from bot.store.connection import Database, to_db
from tests.store.helpers import T0, add_destination, at, fetch

LEASE = 60.0


async def queue(db: Database, destination: int, key: str, now: datetime = T0) -> int:
    """Queue one message; returns its row id."""
    async with db.transaction() as conn:
        assert await outbox.enqueue(conn, destination, key, f"message {key}", now)
    [(row_id,)] = await fetch(
        db, "SELECT id FROM outbox WHERE destination_id = ? AND dedupe_key = ?", (destination, key)
    )
    return int(row_id)


async def claim(
    db: Database, now: datetime, *, kinds: tuple[str, ...] = ("discord",), limit: int = 10
) -> list[outbox.OutboxRow]:
    async with db.transaction() as conn:
        return await outbox.claim_due(
            conn, now=now, lease=LEASE, limit=limit, kinds=kinds, owner="sender-1"
        )


async def test_enqueue_keeps_one_message_per_destination_and_key(db: Database) -> None:
    first, second = await add_destination(db, "discord:1"), await add_destination(db, "discord:2")
    async with db.transaction() as conn:
        assert await outbox.enqueue(conn, first, "story:1", "one", T0)
        assert not await outbox.enqueue(conn, first, "story:1", "again", at(1))
        assert await outbox.enqueue(conn, second, "story:1", "two", at(2))
    rows = await fetch(
        db,
        "SELECT destination_id, dedupe_key, message, status, attempts, created_at, "
        "next_attempt_at FROM outbox ORDER BY id",
    )
    assert rows == [
        (first, "story:1", "one", "pending", 0, to_db(T0), to_db(T0)),
        (second, "story:1", "two", "pending", 0, to_db(at(2)), to_db(at(2))),
    ]


async def test_enqueue_many_counts_only_new_rows_and_keeps_what_was_queued(db: Database) -> None:
    first, second = await add_destination(db, "discord:1"), await add_destination(db, "discord:2")
    async with db.transaction() as conn:
        assert await outbox.enqueue_many(conn, [], T0) == 0
        await outbox.enqueue(conn, first, "story:1", "queued before", T0)
        new = await outbox.enqueue_many(
            conn,
            [
                (first, "story:1", "replacement"),  # already queued: kept as it was
                (second, "story:1", "fan-out"),
                (second, "story:2", "next"),
                (second, "story:2", "repeated in the batch"),
            ],
            at(1),
        )
    assert new == 2
    rows = await fetch(db, "SELECT destination_id, dedupe_key, message, created_at FROM outbox")
    assert sorted(rows) == [
        (first, "story:1", "queued before", to_db(T0)),
        (second, "story:1", "fan-out", to_db(at(1))),
        (second, "story:2", "next", to_db(at(1))),
    ]


async def test_a_claim_leases_due_rows_in_order_until_the_lease_runs_out(db: Database) -> None:
    channel = await add_destination(db, "discord:1")
    ids = [await queue(db, channel, f"story:{n}") for n in range(3)]
    later = await queue(db, channel, "story:later", now=at(5))  # not due until then
    claimed = await claim(db, T0, limit=2)
    assert claimed == [
        outbox.OutboxRow(ids[0], channel, "message story:0", 1),
        outbox.OutboxRow(ids[1], channel, "message story:1", 1),
    ]
    leases = await fetch(db, "SELECT id, lease_until, lease_owner FROM outbox ORDER BY id")
    until = to_db(T0 + timedelta(seconds=LEASE))
    assert leases == [
        (ids[0], until, "sender-1"),
        (ids[1], until, "sender-1"),
        (ids[2], None, None),
        (later, None, None),
    ]
    assert [r.id for r in await claim(db, T0 + timedelta(seconds=30))] == [ids[2]]  # others leased
    expired = T0 + timedelta(seconds=LEASE + 1)
    assert [(r.id, r.attempts) for r in await claim(db, expired)] == [(ids[0], 2), (ids[1], 2)]
    assert [(r.id, r.attempts) for r in await claim(db, at(5))] == [
        (ids[0], 3),
        (ids[1], 3),
        (ids[2], 2),
        (later, 1),
    ]


# Which pending rows a claim for Discord takes, by the state of the row's destination.
CLAIM_CASES = {
    "working": ("discord", "working", True),
    "broken": ("discord", "broken", False),
    "inactive": ("discord", "inactive", False),
    "another kind": ("slack", "working", False),
}


@pytest.mark.parametrize(("kind", "state", "claimed"), CLAIM_CASES.values(), ids=CLAIM_CASES.keys())
async def test_a_claim_takes_rows_only_for_working_destinations_of_its_kinds(
    db: Database, kind: str, state: str, claimed: bool
) -> None:
    destination = await add_destination(db, "channel", kind=kind)
    row = await queue(db, destination, "story:1")
    async with db.transaction() as conn:
        if state == "broken":
            await destinations.mark_broken(conn, destination, "Missing Access", T0)
        elif state == "inactive":
            await destinations.unsubscribe(conn, "channel", None)  # no subscriptions left
    assert [r.id for r in await claim(db, T0)] == ([row] if claimed else [])


async def test_a_sent_row_is_done_and_never_claimed_again(db: Database) -> None:
    channel = await add_destination(db, "discord:1")
    row = await queue(db, channel, "story:1")
    await claim(db, T0)
    async with db.transaction() as conn:
        await outbox.mark_sent(conn, row, at(1), "remote-9")
    assert await fetch(
        db, "SELECT status, sent_at, remote_id, lease_until, last_error FROM outbox"
    ) == [("sent", to_db(at(1)), "remote-9", None, None)]
    assert await claim(db, at(60)) == []
    assert await outbox.depth(db.conn) == 0


async def test_a_retry_waits_for_its_next_attempt(db: Database) -> None:
    channel = await add_destination(db, "discord:1")
    row = await queue(db, channel, "story:1")
    await claim(db, T0)
    async with db.transaction() as conn:
        await outbox.mark_retry(conn, row, at(2), "HTTP 503")
    assert await fetch(db, "SELECT next_attempt_at, last_error, lease_until FROM outbox") == [
        (to_db(at(2)), "HTTP 503", None)
    ]
    assert await outbox.next_attempt_of(db.conn, row) == at(2)
    assert await outbox.next_attempt_of(db.conn, row + 1) is None
    assert await claim(db, at(1)) == []
    assert [(r.id, r.attempts) for r in await claim(db, at(2))] == [(row, 2)]


# A claimed row given back: (its next attempt, not before) → its next attempt after.
RELEASE_CASES = {
    "pushed back": (0, 5, 5),
    "already later": (8, 5, 8),
}


@pytest.mark.parametrize(
    ("due", "not_before", "after"), RELEASE_CASES.values(), ids=RELEASE_CASES.keys()
)
async def test_a_released_row_is_unleased_uncounted_and_not_due_before_the_given_time(
    db: Database, due: int, not_before: int, after: int
) -> None:
    channel = await add_destination(db, "discord:1")
    row = await queue(db, channel, "story:1", now=at(due))
    await claim(db, at(due))
    async with db.transaction() as conn:
        await outbox.release(conn, row, at(not_before))
    assert await fetch(db, "SELECT attempts, lease_until, next_attempt_at FROM outbox") == [
        (0, None, to_db(at(after)))
    ]
    async with db.transaction() as conn:
        await outbox.release(conn, row, at(not_before))  # never below zero tries
    assert await fetch(db, "SELECT attempts FROM outbox") == [(0,)]


async def test_lease_owners_and_taking_back_a_dead_senders_rows(db: Database) -> None:
    channel, other = await add_destination(db, "discord:1"), await add_destination(db, "discord:2")
    rows = [await queue(db, channel, f"story:{n}") for n in range(2)]
    rows.append(await queue(db, other, "story:2"))
    async with db.transaction() as conn:
        await outbox.claim_due(conn, now=T0, lease=LEASE, limit=2, kinds=["discord"], owner="a")
        await outbox.claim_due(conn, now=T0, lease=5, limit=1, kinds=["discord"], owner="b")
    assert sorted(await outbox.lease_owners(db.conn, T0)) == ["a", "b"]
    assert await outbox.lease_owners(db.conn, T0 + timedelta(seconds=10)) == ["a"]  # b's ran out
    async with db.transaction() as conn:
        assert await outbox.release_owner(conn, "a") == 2
        assert await outbox.release_owner(conn, "nobody") == 0
    assert await fetch(db, "SELECT id, lease_until, lease_owner FROM outbox ORDER BY id") == [
        (rows[0], None, None),
        (rows[1], None, None),
        (rows[2], to_db(T0 + timedelta(seconds=5)), "b"),
    ]


async def test_next_due_at_is_the_earliest_pending_row_a_sender_could_take(db: Database) -> None:
    channel = await add_destination(db, "discord:1")
    hook = await add_destination(db, "webhook:1", kind="webhook:slack")
    assert await outbox.next_due_at(db.conn, kinds=["discord"]) is None
    await queue(db, channel, "story:1", now=at(3))
    await queue(db, hook, "story:1", now=at(1))
    assert await outbox.next_due_at(db.conn, kinds=["discord"]) == at(3)
    assert await outbox.next_due_at(db.conn, kinds=["discord", "webhook:slack"]) == at(1)
    await claim(db, at(3))  # leased: due again when the lease runs out
    assert await outbox.next_due_at(db.conn, kinds=["discord"]) == at(3) + timedelta(seconds=LEASE)


async def test_depth_and_pending_counts_split_working_from_held(db: Database) -> None:
    assert await outbox.depth(db.conn) == 0
    assert await outbox.pending_counts(db.conn) == (0, 0)
    working = await add_destination(db, "discord:1")
    broken = await add_destination(db, "discord:2")
    paused = await add_destination(db, "webhook:1", kind="webhook:discord")
    for destination in (working, working, broken, paused):
        await queue(db, destination, f"story:{await outbox.depth(db.conn)}")
    sent = await queue(db, working, "story:sent")
    async with db.transaction() as conn:
        await outbox.mark_sent(conn, sent, T0, None)
        await destinations.mark_broken(conn, broken, "Missing Access", T0)
        await destinations.deactivate_config_destinations(conn, [])
    assert await outbox.depth(db.conn) == 4
    assert await outbox.pending_counts(db.conn) == (2, 2)


async def test_a_destination_another_sender_is_working_through_is_left_to_it(
    db: Database,
) -> None:
    one, two = await add_destination(db, "discord:1"), await add_destination(db, "discord:2")
    ones = [await queue(db, one, f"story:{n}") for n in range(3)]
    later = await queue(db, two, "story:9")

    async def claim_as(owner: str, now: datetime, limit: int = 10) -> list[int]:
        async with db.transaction() as conn:
            rows = await outbox.claim_due(
                conn, now=now, lease=LEASE, limit=limit, kinds=["discord"], owner=owner
            )
        return [row.id for row in rows]

    assert await claim_as("a", T0, limit=1) == [ones[0]]
    # Channel one's later messages wait for sender a, so they cannot overtake its first.
    assert await claim_as("b", T0) == [later]
    assert await claim_as("a", T0) == ones[1:]  # a itself carries on through its channel
    # Once the leases run out (a died on another host), b takes channel one, oldest first (and
    # its own unsent row again).
    assert await claim_as("b", T0 + timedelta(seconds=LEASE + 1)) == [*ones, later]


async def test_a_claim_can_take_only_the_destinations_waiting_longest(db: Database) -> None:
    first, second, third = [await add_destination(db, f"discord:{n}") for n in range(3)]
    oldest = await queue(db, second, "story:1", now=at(1))
    middle = await queue(db, third, "story:2", now=at(2))
    await queue(db, first, "story:3", now=at(3))
    newest = await queue(db, second, "story:4", now=at(4))
    async with db.transaction() as conn:
        rows = await outbox.claim_due(
            conn, now=at(5), lease=LEASE, limit=10, kinds=["discord"], destinations_max=2
        )
    assert [row.id for row in rows] == [oldest, middle, newest]
