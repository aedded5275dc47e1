"""The PostgreSQL store: an asyncpg pool, migrations under an advisory lock, one writer here.

Chosen by `[storage] url_env` (or `url`); SQLite stays the default for one host. Several
processes share one database: migrations take a transaction-level advisory lock so replicas
starting together migrate one after the other, and the outbox is leased row by row.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import asyncpg

from bot.errors import StorageError
from bot.store.pg_conn import CONNECT_ERRORS, PgConn, lost_as_storage_error
from bot.store.pg_listen import listen
from bot.store.schema_pg import MIGRATIONS, SCHEMA_VERSION
from bot.store.urls import mask_password

if TYPE_CHECKING:
    from bot.store.pg_leader import AdvisoryLeaderLock

# pg_advisory_xact_lock key for migrating: "DBMG" in ASCII, so it is recognisable in pg_locks.
MIGRATION_LOCK = 0x44424D47
log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0
OUTBOX_CHANNEL = "division_bell_outbox"
POOL_MAX = 10


class PostgresDatabase:
    """The PostgreSQL store: a pool for reads; this process writes one transaction at a time."""

    backend = "postgresql"

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self.pool = pool
        self.url = url
        self.location = mask_password(url)
        self._write_lock = asyncio.Lock()
        self._conn = PgConn(pool, self.location)

    @classmethod
    async def open(cls, url: str, *, pool_size: int = POOL_MAX) -> PostgresDatabase:
        """Connect to `url` and bring its schema up to date (StorageError when unreachable)."""
        try:
            pool = await asyncpg.create_pool(
                url, min_size=1, max_size=pool_size, timeout=CONNECT_TIMEOUT_S, init=_prepare
            )
        except CONNECT_ERRORS as exc:
            raise StorageError(f"{mask_password(url)}: cannot connect ({exc})") from None
        db = cls(pool, url)
        try:
            await db._migrate()
        except BaseException:
            await pool.close()
            raise
        return db

    async def _migrate(self) -> None:
        async with self.pool.acquire() as con, con.transaction():
            await con.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            await con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)")
            version = int(await con.fetchval("SELECT max(version) FROM schema_version") or 0)
            if version > SCHEMA_VERSION:
                raise StorageError(
                    f"{self.location}: written by a newer Division Bell (schema {version}, this "
                    f"version knows up to {SCHEMA_VERSION}); upgrade Division Bell"
                )
            for number in range(version + 1, SCHEMA_VERSION + 1):
                await con.execute(MIGRATIONS[number - 1])
                await con.execute("INSERT INTO schema_version (version) VALUES ($1)", number)

    @property
    def conn(self) -> PgConn:
        """Reads and single statements, each on a pooled connection."""
        return self._conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgConn]:
        """BEGIN … COMMIT on one pooled connection; one writer at a time in this process."""
        async with self._writer() as con, con.transaction():
            yield PgConn(con, self.location)

    @asynccontextmanager
    async def statement(self) -> AsyncIterator[PgConn]:
        """One statement on a pooled connection, committed on its own (no BEGIN … COMMIT)."""
        async with self._writer() as con:
            yield PgConn(con, self.location)

    @asynccontextmanager
    async def _writer(self) -> AsyncIterator[Any]:
        """A pooled connection, this process's one writer's."""
        async with self._write_lock:
            with lost_as_storage_error(self.location):
                con = await self.pool.acquire()
            try:
                yield con
            finally:
                await self.pool.release(con)

    async def ping(self) -> None:
        """Raise StorageError unless the server answers a query."""
        try:
            await self.pool.fetchval("SELECT 1")
        except CONNECT_ERRORS as exc:
            raise StorageError(f"{self.location}: no answer ({exc})") from None

    async def announce_outbox(self) -> None:
        """NOTIFY every replica's listener: messages were queued (best effort: replicas also
        look every IDLE_CHECK_S seconds)."""
        try:
            await self.pool.execute("SELECT pg_notify($1, '')", OUTBOX_CHANNEL)
        except Exception as exc:  # best effort: replicas also look every idle interval
            log.warning("%s: could not tell replicas of queued messages (%s)", self.location, exc)

    async def listen_outbox(self, heard: Callable[[], None], stopping: asyncio.Event) -> None:
        """LISTEN on a connection of its own, reconnecting after a failure, until `stopping`."""
        await listen(self.url, OUTBOX_CHANNEL, heard, stopping)

    def leader_lock(self) -> AdvisoryLeaderLock:
        """The advisory lock replicas compete for, on a connection of its own."""
        from bot.store.pg_leader import AdvisoryLeaderLock  # noqa: PLC0415 - imports this module

        return AdvisoryLeaderLock(self.url)

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.pool.close()


async def _prepare(con: Any) -> None:
    # Times are compared and returned in UTC whatever the server's own time zone.
    await con.execute("SET TIME ZONE 'UTC'")


async def probe(url: str) -> str | None:
    """Why the server at `url` cannot be used, or None: connects and asks, changing nothing."""
    try:
        con = await asyncpg.connect(url, timeout=CONNECT_TIMEOUT_S)
    except CONNECT_ERRORS as exc:
        return f"{mask_password(url)}: cannot connect ({exc})"
    try:
        await con.fetchval("SELECT 1")
    except CONNECT_ERRORS as exc:
        return f"{mask_password(url)}: no answer ({exc})"
    finally:
        await con.close()
    return None
