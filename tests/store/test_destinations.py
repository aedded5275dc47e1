"""Destinations and subscriptions: config-owned ones synced, chat channels subscribed by users."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.domain import Destination
from bot.store import destinations, outbox
from bot.store.connection import Database, to_db
from tests.store.helpers import T0, add_destination, at, fetch, subscribe


async def unsubscribe(db: Database, key: str, categories: Sequence[str] | None) -> list[str]:
    async with db.transaction() as conn:
        return await destinations.unsubscribe(conn, key, categories)


async def active(db: Database) -> dict[str, dict[str, str | None]]:
    """Active destinations' keys → their subscriptions."""
    return {d.key: d.subscriptions for d in await destinations.active_destinations(db.conn)}


async def test_upsert_creates_once_then_relabels_and_reactivates(db: Database) -> None:
    first = await add_destination(db, "webhook:abc", kind="webhook:slack", label="old name")
    async with db.transaction() as conn:
        await conn.execute("UPDATE destinations SET active = 0")
        again = await destinations.upsert_destination(
            conn, key="webhook:abc", kind="webhook:slack", label="new name", now=at(9)
        )
    assert again == first
    assert await fetch(db, "SELECT id, key, kind, label, active, created_at FROM destinations") == [
        (first, "webhook:abc", "webhook:slack", "new name", 1, to_db(T0))
    ]


# A config destination's categories before and after the config changed.
REPLACE_CASES = {
    "some kept, some added, some dropped": (["a", "b"], ["b", "c"]),
    "all dropped": (["a", "b"], []),
    "from none": ([], ["a"]),
    "unchanged": (["a"], ["a"]),
}


@pytest.mark.parametrize(("before", "after"), REPLACE_CASES.values(), ids=REPLACE_CASES.keys())
async def test_set_subscriptions_replaces_a_config_destinations_categories(
    db: Database, before: list[str], after: list[str]
) -> None:
    hook = await add_destination(db, "webhook:abc", kind="webhook:discord")
    async with db.transaction() as conn:
        await destinations.set_subscriptions(conn, hook, before, now=T0)
        await destinations.set_subscriptions(conn, hook, after, now=at(5))
    rows = await fetch(db, "SELECT category, mention, created_by, created_at FROM subscriptions")
    # A category that stays keeps the date it was first subscribed.
    expected = [(c, None, "config", to_db(T0 if c in before else at(5))) for c in after]
    assert sorted(rows) == sorted(expected)


async def test_active_destinations_carry_their_subscriptions_and_broken_mark(
    db: Database,
) -> None:
    console = await add_destination(db, "console", kind="console")
    await subscribe(db, "111", ["defection", "resignation"], mention="<@&9>")
    async with db.transaction() as conn:
        await destinations.set_subscriptions(conn, console, ["defection"], now=T0)
        await destinations.mark_broken(conn, console, "stdout closed", T0)
    found = await destinations.active_destinations(db.conn)
    assert found == [
        Destination(
            id=console,
            key="console",
            kind="console",
            label="console",
            subscriptions={"defection": None},
            broken_reason="stdout closed",
        ),
        Destination(
            id=found[1].id,
            key="discord:111",
            kind="discord",
            label="#111",
            scope="guild-1",
            channel="111",
            subscriptions={"defection": "<@&9>", "resignation": "<@&9>"},
        ),
    ]
    assert await destinations.find_destination(db.conn, "discord:111") == found[1]
    assert await destinations.find_destination(db.conn, "discord:999") is None


async def test_subscribe_returns_the_new_categories_and_updates_the_mention(db: Database) -> None:
    assert await subscribe(db, "111", ["defection", "resignation"]) == [
        "defection",
        "resignation",
    ]
    assert await subscribe(db, "111", ["resignation", "leadership"], mention="<@&9>", now=5) == [
        "leadership"
    ]
    rows = await fetch(db, "SELECT category, mention, created_by, created_at FROM subscriptions")
    assert sorted(rows) == [
        ("defection", None, "ada", to_db(T0)),
        ("leadership", "<@&9>", "ada", to_db(at(5))),
        ("resignation", "<@&9>", "ada", to_db(T0)),
    ]


async def test_subscribing_again_clears_a_broken_mark(db: Database) -> None:
    await subscribe(db, "111", ["defection"])
    [channel] = await destinations.active_destinations(db.conn)
    async with db.transaction() as conn:
        await destinations.mark_broken(conn, channel.id, "Missing Access", at(1))
    assert await fetch(db, "SELECT broken_reason, broken_at FROM destinations") == [
        ("Missing Access", to_db(at(1)))
    ]
    await subscribe(db, "111", ["defection"])
    assert await fetch(db, "SELECT broken_reason, broken_at FROM destinations") == [(None, None)]


async def test_clear_broken(db: Database) -> None:
    channel = await add_destination(db, "discord:111")
    async with db.transaction() as conn:
        await destinations.mark_broken(conn, channel, "Missing Access", T0)
        await destinations.clear_broken(conn, channel)
    assert await fetch(db, "SELECT broken_reason, broken_at FROM destinations") == [(None, None)]


# Subscribed to a, b and c; what to remove → (what is reported removed, whether still active).
UNSUBSCRIBE_CASES = {
    "some": (["a", "c"], ["a", "c"], True),
    "one not subscribed": (["a", "z"], ["a"], True),
    "none of them": (["z"], [], True),
    "everything named": (["c", "b", "a"], ["a", "b", "c"], False),
    "everything": (None, ["a", "b", "c"], False),
}


@pytest.mark.parametrize(
    ("remove", "removed", "still_active"), UNSUBSCRIBE_CASES.values(), ids=UNSUBSCRIBE_CASES.keys()
)
async def test_unsubscribe_returns_what_it_removed_and_drops_an_emptied_channel(
    db: Database, remove: list[str] | None, removed: list[str], still_active: bool
) -> None:
    await subscribe(db, "111", ["a", "b", "c"])
    assert await unsubscribe(db, "discord:111", remove) == removed
    left = sorted({"a", "b", "c"} - set(removed))
    assert await active(db) == ({"discord:111": dict.fromkeys(left)} if still_active else {})


async def test_unsubscribing_an_unknown_channel_removes_nothing(db: Database) -> None:
    await subscribe(db, "111", ["a"])
    assert await unsubscribe(db, "discord:999", None) == []
    assert await active(db) == {"discord:111": {"a": None}}


async def test_the_console_stays_active_with_no_subscriptions(db: Database) -> None:
    console = await add_destination(db, "console", kind="console")
    async with db.transaction() as conn:
        await destinations.set_subscriptions(conn, console, ["a"], now=T0)
    assert await unsubscribe(db, "console", None) == ["a"]
    assert await active(db) == {"console": {}}


async def test_scope_subscriptions_lists_one_guilds_active_channels(db: Database) -> None:
    await subscribe(db, "222", ["b", "a"], mention="<@&9>", scope="guild-1", now=1)
    await subscribe(db, "111", ["c"], scope="guild-1")
    await subscribe(db, "333", ["a"], scope="guild-2")
    await subscribe(db, "444", ["a"], scope="guild-1", kind="slack")
    await subscribe(db, "555", ["a"], scope="guild-1")
    await unsubscribe(db, "discord:555", None)  # no longer a destination
    async with db.transaction() as conn:
        broken = await destinations.find_destination(conn, "discord:111")
        assert broken is not None
        await destinations.mark_broken(conn, broken.id, "Missing Access", T0)
    rows = await destinations.scope_subscriptions(db.conn, "discord", "guild-1")
    assert rows == [
        destinations.SubscriptionRow(
            "discord:111", "111", "#111", "c", None, "ada", T0, "Missing Access"
        ),
        destinations.SubscriptionRow(
            "discord:222", "222", "#222", "a", "<@&9>", "ada", at(1), None
        ),
        destinations.SubscriptionRow(
            "discord:222", "222", "#222", "b", "<@&9>", "ada", at(1), None
        ),
    ]


async def test_removing_a_scope_or_a_destination_takes_its_subscriptions_and_queue(
    db: Database,
) -> None:
    for channel, scope in [("111", "guild-1"), ("222", "guild-1"), ("333", "guild-2")]:
        await subscribe(db, channel, ["a"], scope=scope)
    async with db.transaction() as conn:
        for destination in await destinations.active_destinations(conn):
            await outbox.enqueue(conn, destination.id, "story:1", "message", T0)
        assert await destinations.remove_scope(conn, "discord", "guild-1") == 2
        assert await destinations.remove_scope(conn, "slack", "guild-2") == 0
    assert await active(db) == {"discord:333": {"a": None}}
    async with db.transaction() as conn:
        assert await destinations.remove_destination(conn, "discord:333")
        assert not await destinations.remove_destination(conn, "discord:333")
    for table in ("destinations", "subscriptions", "outbox"):
        assert await fetch(db, f"SELECT * FROM {table}") == []  # noqa: S608


# Which config destinations the config still lists → which destinations stay active.
DEACTIVATE_CASES = {
    "one hook kept": (["webhook:1"], ["discord:111", "webhook:1"]),
    "console and a hook kept": (["console", "webhook:2"], ["console", "discord:111", "webhook:2"]),
    "none kept": ([], ["discord:111"]),
}


@pytest.mark.parametrize(("keep", "left"), DEACTIVATE_CASES.values(), ids=DEACTIVATE_CASES.keys())
async def test_config_destinations_left_out_of_the_config_are_deactivated(
    db: Database, keep: list[str], left: list[str]
) -> None:
    ids = {
        "console": await add_destination(db, "console", kind="console"),
        "webhook:1": await add_destination(db, "webhook:1", kind="webhook:discord"),
        "webhook:2": await add_destination(db, "webhook:2", kind="webhook:slack"),
    }
    await subscribe(db, "111", ["a"])  # a chat channel: not the config's to deactivate
    async with db.transaction() as conn:
        await destinations.deactivate_config_destinations(conn, [ids[k] for k in keep])
    assert await fetch(db, "SELECT key FROM destinations WHERE active = 1 ORDER BY key") == [
        (key,) for key in left
    ]
    assert len(await fetch(db, "SELECT key FROM destinations")) == 4  # history is kept


# --- webhook identity -------------------------------------------------------------------------


async def webhook_keys(db: Database) -> list[tuple[int, str, str]]:
    """(id, key, label) of every webhook row."""
    return await fetch(db, "SELECT id, key, label FROM destinations WHERE kind LIKE 'webhook:%'")


@pytest.mark.parametrize(
    ("rows", "moved_from"),
    [
        ([("webhook:oldurl", "Desk")], "webhook:oldurl"),  # named now; found by its URL key
        ([("webhook:other", "Desk")], "webhook:other"),  # URL changed too; found by its label
        ([("webhook:x", "Desk"), ("webhook:y", "Desk")], None),  # two with that label: neither
        ([("webhook:x", "Elsewhere")], None),  # nothing like it: a new destination
    ],
)
async def test_a_webhook_given_a_name_keeps_its_row(
    db: Database, rows: list[tuple[str, str]], moved_from: str | None
) -> None:
    ids = {
        key: await add_destination(db, key, kind="webhook:discord", label=label)
        for key, label in rows
    }
    async with db.transaction() as conn:
        moved = await destinations.claim_key(
            conn, key="webhook:name:Desk", former_key="webhook:oldurl", label="Desk"
        )
    assert moved == (moved_from is not None)
    keys = {row[0]: row[1] for row in await webhook_keys(db)}
    if moved_from is not None:
        assert keys[ids[moved_from]] == "webhook:name:Desk"
    else:
        assert "webhook:name:Desk" not in keys.values()


async def test_a_claimed_name_is_never_claimed_twice(db: Database) -> None:
    named = await add_destination(db, "webhook:name:Desk", kind="webhook:slack", label="Desk")
    old = await add_destination(db, "webhook:oldurl", kind="webhook:slack", label="Desk")
    async with db.transaction() as conn:
        assert not await destinations.claim_key(
            conn, key="webhook:name:Desk", former_key="webhook:oldurl", label="Desk"
        )
    assert sorted((i, k) for i, k, _ in await webhook_keys(db)) == [
        (named, "webhook:name:Desk"),
        (old, "webhook:oldurl"),
    ]


@pytest.mark.parametrize(
    ("first", "then", "broken", "retried"),
    [
        (None, "addr-1", True, False),  # first sight of an address: nothing to compare
        ("addr-1", "addr-1", True, False),  # unchanged: stays broken
        ("addr-1", "addr-2", True, True),  # changed: tried again
        ("addr-1", "addr-2", False, False),  # changed but working: nothing to clear
    ],
)
async def test_a_changed_address_clears_the_broken_mark(
    db: Database, first: str | None, then: str, broken: bool, retried: bool
) -> None:
    dest = await add_destination(db, "webhook:name:Desk", kind="webhook:discord", label="Desk")
    async with db.transaction() as conn:
        if first is not None:
            await destinations.set_address(conn, dest, first)
        if broken:
            await destinations.mark_broken(conn, dest, "HTTP 404", T0)
        assert await destinations.set_address(conn, dest, then) is retried
    reason, address = (await fetch(db, "SELECT broken_reason, address FROM destinations"))[0]
    assert address == then
    assert (reason is None) == (retried or not broken)
