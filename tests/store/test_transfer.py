"""Moving chat subscriptions: exported as records, imported as they were, twice without change."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain import ChannelControl
from bot.store import destinations, transfer
from bot.store.connection import Database, to_db
from tests.store.helpers import T0, add_destination, at, fetch, subscribe

CHAT_KINDS = ("discord", "slack")


@pytest.fixture
async def other_host(tmp_path: Path) -> AsyncIterator[Database]:
    """A second, empty database: the host the subscriptions move to."""
    database = await Database.open(tmp_path / "other.sqlite3")
    try:
        yield database
    finally:
        await database.close()


async def test_chat_channels_are_the_active_subscribed_ones_of_those_kinds(db: Database) -> None:
    await subscribe(
        db, "C2", ["resignation", "defection"], kind="slack", scope="T1", mention="<!subteam^S1>"
    )
    await subscribe(db, "111", ["defection"], kind="discord", scope="guild-1")
    await subscribe(db, "222", ["defection"], kind="discord", scope="guild-1")
    async with db.transaction() as conn:
        await destinations.unsubscribe(conn, "discord:222", None)  # no longer subscribed
    hook = await add_destination(db, "webhook:1", kind="webhook:discord")
    async with db.transaction() as conn:
        await destinations.set_subscriptions(conn, hook, ["defection"], now=T0)
    slack_sub = [
        transfer.SubscriptionRecord("defection", "<!subteam^S1>", "ada", T0),
        transfer.SubscriptionRecord("resignation", "<!subteam^S1>", "ada", T0),
    ]
    assert await transfer.chat_channels(db.conn, CHAT_KINDS) == [
        transfer.ChannelRecord(
            "discord:111",
            "discord",
            "#111",
            "guild-1",
            "111",
            T0,
            (transfer.SubscriptionRecord("defection", None, "ada", T0),),
            control=ChannelControl(),  # the settings a channel has are exported, defaults too
        ),
        transfer.ChannelRecord(
            "slack:C2", "slack", "#C2", "T1", "C2", T0, tuple(slack_sub), control=ChannelControl()
        ),
    ]
    assert [c.key for c in await transfer.chat_channels(db.conn, ["slack"])] == ["slack:C2"]
    assert await transfer.chat_channels(db.conn, []) == []


async def test_an_exported_channel_imports_as_it_was_and_importing_twice_changes_nothing(
    db: Database, other_host: Database
) -> None:
    await subscribe(
        db, "111", ["defection", "resignation"], kind="discord", scope="guild-1", mention="<@&9>"
    )
    await subscribe(db, "C2", ["leadership"], kind="slack", scope="T1")
    exported = await transfer.chat_channels(db.conn, CHAT_KINDS)
    for _ in range(2):
        async with other_host.transaction() as conn:
            written = [await transfer.import_channel(conn, record) for record in exported]
        assert written == [2, 1]
        assert await transfer.chat_channels(other_host.conn, CHAT_KINDS) == exported
    assert len(await fetch(other_host, "SELECT * FROM subscriptions")) == 3


async def test_importing_over_an_existing_channel_updates_it_and_clears_a_broken_mark(
    db: Database,
) -> None:
    await subscribe(db, "111", ["defection"], kind="discord", scope="guild-1")
    [record] = await transfer.chat_channels(db.conn, CHAT_KINDS)
    async with db.transaction() as conn:
        channel = await destinations.find_destination(conn, "discord:111")
        assert channel is not None
        await destinations.mark_broken(conn, channel.id, "Missing Access", T0)
        await destinations.unsubscribe(conn, "discord:111", ["defection"])  # now inactive
    moved = transfer.SubscriptionRecord("defection", "<@&9>", "bob", at(-60))
    renamed = transfer.ChannelRecord(
        record.key, record.kind, "#renamed", record.scope, record.channel, at(-90), (moved,)
    )
    async with db.transaction() as conn:
        assert await transfer.import_channel(conn, renamed) == 1
    # The channel keeps the date it was first added here; its subscription takes the record's.
    assert await fetch(
        db, "SELECT label, active, broken_reason, broken_at, created_at FROM destinations"
    ) == [("#renamed", 1, None, None, to_db(T0))]
    [after] = await transfer.chat_channels(db.conn, CHAT_KINDS)
    assert after.subscriptions == (moved,)
