"""A PostgreSQL server that goes away: a clear StorageError, said once by the service."""

from __future__ import annotations

import logging

import pytest

from bot.errors import StorageError
from bot.service.db_outage import DatabaseOutage
from bot.store.postgres import PostgresDatabase
from tests.support.postgres import PostgresCluster, find_server_binaries


async def test_a_stopped_server_turns_statements_into_storage_errors() -> None:
    binaries = find_server_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL server binaries not found (initdb/postgres)")
    cluster = PostgresCluster.start(binaries)  # our own: the session's server must stay up
    try:
        db = await PostgresDatabase.open(cluster.tcp_dsn("postgres"))
        async with db.conn.execute("SELECT 1") as cursor:
            assert (await cursor.fetchone())[0] == 1
    finally:
        cluster.stop()
    try:
        with pytest.raises(StorageError, match="connection lost"):
            async with db.conn.execute("SELECT 1") as cursor:
                await cursor.fetchone()
        with pytest.raises(StorageError, match="connection lost"):
            async with db.transaction() as conn:
                await conn.execute("SELECT 1")
    finally:
        await db.close()


def test_an_outage_is_logged_when_it_starts_and_when_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outage = DatabaseOutage("postgresql://bell:***@db/bell")
    with caplog.at_level(logging.INFO):
        outage.answered()  # nothing to say while all is well
        for feed in ("BBC", "Guardian", "Sky"):
            outage.failed(StorageError("connection lost"), f"polling feed {feed}")
        outage.failed(StorageError("connection lost"), "delivering")
        outage.answered()
        outage.answered()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert "polling feed BBC failed" in lines[0]
    assert "nothing queued is lost" in lines[0]
    assert "answering again" in lines[1]
