"""What every repository writes against: a connection, its cursors, a store, and stored times.

Repositories hold one copy of their SQL, in the dialect both backends accept (`?` placeholders,
`ON CONFLICT … DO …`, `RETURNING`, CASE instead of two-argument MAX/MIN). SQLite runs it as
written; the PostgreSQL connection (bot/store/postgres.py) numbers the placeholders and turns
stored times into `timestamptz` values. Only connecting, migrating, locking and leasing differ
per backend, and those live in each backend's own module.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator, Iterable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.store.leader import LeaderLock

# A result row: indexable by position and by column name (sqlite3.Row, asyncpg.Record).
Row = Any


class StoredTime(str):
    """A UTC moment as to_db writes it: plain text to SQLite, a timestamptz to PostgreSQL.

    A str, so SQLite stores it as before (its fixed width makes text order time order); the
    PostgreSQL connection recognises the type and sends the moment itself.
    """

    __slots__ = ()


def to_db(moment: datetime) -> StoredTime:
    """A UTC datetime as fixed-width text, so SQL string order is time order."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime reached the store")
    text = moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    return StoredTime(text + "Z")


def from_db(value: str | datetime | None) -> datetime | None:
    """The inverse of to_db (text from SQLite, a datetime from PostgreSQL); None stays None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    # fromisoformat reads to_db's format (the trailing Z included, since 3.11) about ten times
    # faster than strptime, and a poll reads a few of these for every feed.
    return datetime.fromisoformat(value).astimezone(UTC)


class Cursor(Protocol):
    """The rows (or the count of rows changed) of one statement."""

    @property
    def rowcount(self) -> int:
        """Rows the statement changed (-1 when the backend cannot tell)."""
        ...

    async def fetchone(self) -> Row | None:
        """The next row, or None."""
        ...

    async def fetchall(self) -> Iterable[Row]:
        """Every remaining row."""
        ...

    async def close(self) -> None:
        """Free the cursor early."""
        ...


class CursorResult(Protocol):
    """A running statement: awaited, or used as `async with … as cursor`."""

    def __await__(self) -> Generator[Any, None, Cursor]: ...

    async def __aenter__(self) -> Cursor: ...

    async def __aexit__(self, a: Any, b: Any, c: Any, /) -> None: ...


class Conn(Protocol):
    """The connection every repository function takes (aiosqlite's, or bot/store/postgres.py's)."""

    def execute(self, sql: str, parameters: Iterable[Any] | None = None, /) -> CursorResult:
        """Run one statement."""
        ...

    def executemany(self, sql: str, parameters: Iterable[Iterable[Any]], /) -> CursorResult:
        """Run one statement for each parameter row (rowcount may be -1)."""
        ...

    def execute_fetchall(
        self, sql: str, parameters: Iterable[Any] | None = None, /
    ) -> Any:  # awaitable of Iterable[Row]
        """Run one statement and return every row."""
        ...


class Store(Protocol):
    """An open database: `conn` for reads and single statements, `transaction()` for writes."""

    backend: str  # "sqlite" or "postgresql"
    location: str  # for messages: a file path, or a URL with its password masked

    @property
    def conn(self) -> Conn:
        """Reads and single statements outside a transaction."""
        ...

    def statement(self) -> AbstractAsyncContextManager[Conn]:
        """A turn to write one statement, atomic on its own, without BEGIN … COMMIT around it."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Conn]:
        """One write transaction; it commits when the block ends, rolls back on an exception."""
        ...

    async def ping(self) -> None:
        """Raise StorageError unless the database answers a query."""
        ...

    async def announce_outbox(self) -> None:
        """Tell other replicas' delivery workers that messages were queued (PostgreSQL)."""
        ...

    async def listen_outbox(self, heard: Callable[[], None], stopping: asyncio.Event) -> None:
        """Call `heard` whenever another replica announces queued messages, until `stopping`."""
        ...

    def leader_lock(self) -> LeaderLock:
        """The lock that decides which replica polls (SQLite: always this process)."""
        ...

    async def close(self) -> None:
        """Close every connection."""
        ...


def skip_locked(conn: Conn, table: str) -> str:
    """`FOR UPDATE OF table SKIP LOCKED` on PostgreSQL, where replicas claim rows side by side:
    a row another replica is claiming is passed over, never claimed twice. Nothing on SQLite,
    whose writers take turns (BEGIN IMMEDIATE)."""
    return (
        f" FOR UPDATE OF {table} SKIP LOCKED"
        if getattr(conn, "backend", "") == "postgresql"
        else ""
    )


CLAIM_LOCK = 0x44424F42  # pg_advisory_xact_lock key for claiming sends: "DBOB" in ASCII


async def serialize_claims(conn: Conn) -> None:
    """PostgreSQL: one claim at a time across replicas (a transaction-level advisory lock held
    to the claim's commit), so each claim sees the leases the one before it took and no two
    senders work through one destination. SQLite's writers already take turns."""
    if getattr(conn, "backend", "") == "postgresql":
        await conn.execute("SELECT pg_advisory_xact_lock(?)", (CLAIM_LOCK,))


def is_one_of(column: str, count: int) -> str:
    """`column IN (?, …)` with `count` placeholders; never true for none (no backend-specific
    empty `IN ()`). Built from a count, never from values, so no value reaches the SQL text."""
    return f"{column} IN ({','.join('?' * count)})" if count else "1 = 0"


def is_none_of(column: str, count: int) -> str:
    """`column NOT IN (?, …)` with `count` placeholders; always true for none."""
    return f"{column} NOT IN ({','.join('?' * count)})" if count else "1 = 1"
