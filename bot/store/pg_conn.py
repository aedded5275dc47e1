"""The repositories' connection interface on asyncpg: numbered placeholders, stored times.

Repositories write `?` and pass to_db's text; PostgreSQL wants `$1…` and a timestamptz. Both
are translated here, once per statement text (cached), so the SQL stays one copy.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from typing import Any

import asyncpg
from asyncpg import Record
from asyncpg.pool import PoolConnectionProxy

from bot.errors import StorageError
from bot.store.sql import Cursor, Row, StoredTime

# A quoted literal or identifier (skipped as it is), or a placeholder.
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?")
# SQLite's spelling of an aggregate PostgreSQL spells another way.
_FUNCTIONS = re.compile(r"\bgroup_concat\(", re.IGNORECASE)
_ROWS_BACK = re.compile(r"^\s*(SELECT|WITH|VALUES)\b|\bRETURNING\b", re.IGNORECASE)
_COUNT = re.compile(r"(\d+)$")

# asyncpg and socket errors that mean the server is unreachable or refused us.
# A connection that broke or could not be made; unlike a statement's own errors, worth waiting on.
LOST_CONNECTION: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
)
CONNECT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)


@lru_cache(maxsize=1024)
def translate(sql: str) -> tuple[str, bool]:
    """The statement in PostgreSQL's spelling, and whether it returns rows."""
    counter = iter(range(1, 10_000))

    def number(match: re.Match[str]) -> str:
        found = match.group(0)
        return f"${next(counter)}" if found == "?" else found

    text = _FUNCTIONS.sub("string_agg(", _TOKENS.sub(number, sql))
    return text, bool(_ROWS_BACK.search(sql))


def _value(value: Any) -> Any:
    # to_db's text becomes the moment itself: asyncpg sends timestamptz parameters as datetimes.
    if type(value) is StoredTime:
        return datetime.fromisoformat(value)
    return value


def _arguments(parameters: Iterable[Any] | None) -> list[Any]:
    return [_value(v) for v in parameters] if parameters is not None else []


class PgCursor:
    """The rows a statement returned, or how many it changed."""

    def __init__(self, rows: Sequence[Row], rowcount: int) -> None:
        self._rows = list(rows)
        self._next = 0
        self.rowcount = rowcount

    async def fetchone(self) -> Row | None:
        """The next row, or None."""
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    async def close(self) -> None:
        """Nothing to free: the rows were read at once."""

    async def fetchall(self) -> list[Row]:
        """Every remaining row."""
        rest, self._next = self._rows[self._next :], len(self._rows)
        return rest


class PgResult:
    """A running statement: awaited, or used as `async with … as cursor` (as aiosqlite's)."""

    def __init__(self, running: Any) -> None:
        self._running = running

    def __await__(self) -> Generator[Any, None, Cursor]:
        cursor: Cursor = yield from self._running.__await__()
        return cursor

    async def __aenter__(self) -> Cursor:
        cursor: Cursor = await self._running
        return cursor

    async def __aexit__(self, a: Any, b: Any, c: Any, /) -> None:
        return None


class PgConn:
    """Runs repository SQL on one asyncpg connection, or on a pool (a connection per statement)."""

    backend = "postgresql"  # read by bot.store.sql.skip_locked

    def __init__(
        self,
        target: asyncpg.Connection | asyncpg.Pool | PoolConnectionProxy[Record],
        where: str = "PostgreSQL",
    ) -> None:
        self.target = target
        self.where = where  # the database's masked URL, for errors

    def execute(self, sql: str, parameters: Iterable[Any] | None = None, /) -> PgResult:
        """Run one statement."""
        return PgResult(self._run(sql, _arguments(parameters)))

    def executemany(self, sql: str, parameters: Iterable[Iterable[Any]], /) -> PgResult:
        """Run one statement per parameter row; rowcount is -1 (asyncpg does not count)."""
        return PgResult(self._run_many(sql, [_arguments(row) for row in parameters]))

    async def execute_fetchall(
        self, sql: str, parameters: Iterable[Any] | None = None, /
    ) -> list[Row]:
        """Run one statement and return every row."""
        cursor = await self._run(sql, _arguments(parameters))
        return await cursor.fetchall()

    async def _run(self, sql: str, args: list[Any]) -> PgCursor:
        with lost_as_storage_error(self.where):
            return await self._run_once(sql, args)

    async def _run_once(self, sql: str, args: list[Any]) -> PgCursor:
        text, rows_back = translate(sql)
        if rows_back:
            rows = await self.target.fetch(text, *args)
            return PgCursor(rows, len(rows))
        status = await self.target.execute(text, *args)
        found = _COUNT.search(status or "")
        return PgCursor([], int(found.group(1)) if found else -1)

    async def _run_many(self, sql: str, rows: list[list[Any]]) -> PgCursor:
        if rows:
            with lost_as_storage_error(self.where):
                await self.target.executemany(translate(sql)[0], rows)
        return PgCursor([], -1)


@contextmanager
def lost_as_storage_error(where: str) -> Iterator[None]:
    """A lost or refused connection as StorageError (the service tells an outage once);
    errors of the statement itself (a constraint, a bug) pass through as they are."""
    try:
        yield
    except LOST_CONNECTION as exc:
        raise StorageError(f"{where}: connection lost ({exc})") from None
