"""The SQLite connection: WAL, foreign keys, busy timeout, migrations and one writer at a time."""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.errors import StorageError
from bot.store.leader import SoleLeader
from bot.store.schema import MIGRATIONS, SCHEMA_VERSION
from bot.store.sql import from_db, to_db

__all__ = ["BUSY_TIMEOUT_S", "Database", "from_db", "to_db"]

# Another process (a `run` beside a manual `poll`) may hold the write lock; wait this long.
BUSY_TIMEOUT_S = 30.0


class Database:
    """The SQLite store: one aiosqlite connection; writes go through `transaction()`, one at a
    time."""

    backend = "sqlite"

    def __init__(
        self, conn: aiosqlite.Connection, path: Path, busy_timeout: float = BUSY_TIMEOUT_S
    ) -> None:
        self.conn = conn
        self.path = path
        self.location = str(path)
        self.busy_timeout = busy_timeout
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path, *, busy_timeout: float = BUSY_TIMEOUT_S) -> Database:
        """Open (creating if needed) and migrate the database at `path`.

        `busy_timeout`: seconds to wait for another process's write lock before giving up.
        """
        prepare_folder(path)
        try:
            conn = await aiosqlite.connect(path, timeout=busy_timeout, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"{path}: cannot open database ({exc})") from None
        conn.row_factory = aiosqlite.Row
        db = cls(conn, path, busy_timeout)
        try:
            await db._prepare()
        except sqlite3.DatabaseError as exc:
            await conn.close()
            raise StorageError(f"{path}: database unusable ({exc})") from None
        except StorageError:
            await conn.close()
            raise
        return db

    async def _prepare(self) -> None:
        await self.conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        await self.conn.execute("PRAGMA journal_mode = WAL")
        await self.conn.execute("PRAGMA foreign_keys = ON")
        # NORMAL is durable at every WAL checkpoint and survives process crashes; only a power
        # cut can lose the last transactions, which the outbox then re-derives at worst.
        await self.conn.execute("PRAGMA synchronous = NORMAL")
        async with self.conn.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"{self.path}: written by a newer Division Bell (schema {version}, this version "
                f"knows up to {SCHEMA_VERSION}); upgrade Division Bell or use another database"
            )
        for number in range(version + 1, SCHEMA_VERSION + 1):
            # BEGIN IMMEDIATE so two processes starting at once migrate one after the other.
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                async with self.conn.execute("PRAGMA user_version") as cursor:
                    row = await cursor.fetchone()
                if row and int(row[0]) >= number:
                    await self.conn.execute("COMMIT")
                    continue
                for statement in _statements(MIGRATIONS[number - 1]):
                    await self.conn.execute(statement)
                await self.conn.execute(f"PRAGMA user_version = {number}")
                await self.conn.execute("COMMIT")
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT: one writer in this process, SQLite's lock across processes."""
        async with self._write_lock:
            try:
                await self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise StorageError(f"{self.path}: database is busy ({exc})") from None
            try:
                yield self.conn
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            await self.conn.execute("COMMIT")

    @asynccontextmanager
    async def statement(self) -> AsyncIterator[aiosqlite.Connection]:
        """The writer's turn for one statement, which SQLite commits on its own: one trip to
        the database thread instead of three (a poll records ~200 unchanged feeds this way)."""
        async with self._write_lock:  # never inside another task's BEGIN … COMMIT
            try:
                yield self.conn
            except sqlite3.OperationalError as exc:
                if _busy(exc):  # as BEGIN IMMEDIATE reports it in transaction()
                    raise StorageError(f"{self.path}: database is busy ({exc})") from None
                raise

    async def ping(self) -> None:
        """Raise StorageError unless the file answers a query."""
        try:
            async with self.conn.execute("SELECT count(*) FROM sqlite_master") as cursor:
                await cursor.fetchone()
        except sqlite3.Error as exc:
            raise StorageError(f"{self.path}: database unusable ({exc})") from None

    async def announce_outbox(self) -> None:
        """Nothing to do: one `run` per file, and it wakes its own worker."""

    async def listen_outbox(self, heard: Callable[[], None], stopping: asyncio.Event) -> None:
        """Nothing to hear: no other process delivers from this file."""

    def leader_lock(self) -> SoleLeader:
        """One `run` per file (the run lock), so this process always leads."""
        return SoleLeader()

    async def close(self) -> None:
        """Close the connection."""
        await self.conn.close()


def _busy(exc: sqlite3.OperationalError) -> bool:
    """Whether SQLite gave up waiting for another process's write lock."""
    return "locked" in str(exc) or "busy" in str(exc)


def _statements(script: str) -> list[str]:
    return [part.strip() for part in script.split(";") if part.strip()]


def folder_problem(path: Path, *, create: bool) -> str | None:
    """Why the database's folder cannot hold it (cannot be created, or takes no new file), or None.

    A real probe file, not os.access: permissions are not the only reason (read-only mounts, a
    file where a folder should be), and root passes every access check.
    """
    folder = path.parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a folder"
    try:
        if create:
            folder.mkdir(parents=True, exist_ok=True)
            existing = folder
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".division-bell-probe-"):
            pass
    except OSError as exc:
        return f"{exc.strerror or exc} ({exc.filename or folder})"
    return None


def prepare_folder(path: Path) -> None:
    """Create the database's folder if needed, or raise StorageError naming the setting."""
    problem = folder_problem(path, create=True)
    if problem is not None:
        raise StorageError(folder_advice(path, problem))


def folder_advice(path: Path, problem: str) -> str:
    """One line: what is wrong with the database's place, and which setting to change."""
    return (
        f"{path}: cannot keep the database there: {problem}. Set [storage] path (or "
        "DIVISION_BELL_DATA) to a folder this user can write"
    )
