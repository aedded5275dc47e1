"""The leader lock and the wake-ups between replicas, on a real PostgreSQL server."""

from __future__ import annotations

import asyncio
import logging

import asyncpg
import pytest

from bot.store.leader import SoleLeader
from bot.store.pg_leader import AdvisoryLeaderLock
from bot.store.postgres import PostgresDatabase


async def test_one_replica_holds_the_lock_until_its_connection_ends(postgres_dsn: str) -> None:
    first, second = AdvisoryLeaderLock(postgres_dsn), AdvisoryLeaderLock(postgres_dsn)
    try:
        assert await first.try_acquire()
        assert await first.try_acquire()  # asking again while holding it keeps it
        assert not await second.try_acquire()
        assert await first.still_held()
        # The server ends the leader's session (as when its host dies and keepalives give up).
        admin = await asyncpg.connect(postgres_dsn)
        try:
            ended = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
                "WHERE application_name = 'division-bell leader lock' "
                "AND datname = current_database() AND pid IN "
                "(SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)"
            )
        finally:
            await admin.close()
        assert ended == 1
        assert not await first.still_held()
        assert await second.try_acquire()
        assert not await first.try_acquire()
    finally:
        await first.release()
        await second.release()


async def test_releasing_lets_another_replica_take_over_at_once(postgres_dsn: str) -> None:
    first, second = AdvisoryLeaderLock(postgres_dsn), AdvisoryLeaderLock(postgres_dsn)
    try:
        assert await first.try_acquire()
        await first.release()
        assert not await first.still_held()
        assert await second.try_acquire()
    finally:
        await second.release()


async def test_an_unreachable_server_is_no_leadership_and_is_said_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    lock = AdvisoryLeaderLock("postgresql://bell:s3cretPassw0rd@127.0.0.1:9/division_bell")
    with caplog.at_level(logging.WARNING):
        assert not await lock.try_acquire()
        assert not await lock.try_acquire()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "unreachable" in warnings[0]
    assert "s3cretPassw0rd" not in warnings[0]
    assert not await lock.still_held()


async def test_sqlite_always_leads() -> None:
    lock = SoleLeader()
    assert await lock.try_acquire()
    assert await lock.still_held()


async def test_queued_messages_wake_the_other_replicas(postgres_dsn: str) -> None:
    leader, replica = (
        await PostgresDatabase.open(postgres_dsn),
        await PostgresDatabase.open(postgres_dsn),
    )
    woken = asyncio.Event()
    stopping = asyncio.Event()
    listening = asyncio.create_task(replica.listen_outbox(woken.set, stopping))
    try:
        await asyncio.wait_for(woken.wait(), timeout=10)  # once on (re)connecting, to catch up
        woken.clear()
        await leader.announce_outbox()
        await asyncio.wait_for(woken.wait(), timeout=10)
    finally:
        stopping.set()
        await asyncio.wait_for(listening, timeout=15)
        await leader.close()
        await replica.close()
