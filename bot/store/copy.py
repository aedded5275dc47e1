"""Copying a SQLite database into an empty PostgreSQL one, for `storage copy`: data only.

The SQLite side is a private snapshot (the caller takes it with the online backup API), so it
is migrated here without touching the live file, and read without holding up a running `run`.
The PostgreSQL side is written in one transaction: every table, ids kept, then the identity
sequences moved past the copied ids; the counts are compared before the commit, so a failure or
a mismatch leaves the target as empty as it was.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.errors import StorageError
from bot.store.connection import Database
from bot.store.pg_conn import CONNECT_ERRORS
from bot.store.postgres import PostgresDatabase
from bot.store.schema import SCHEMA_VERSION
from bot.store.sql import from_db

# Every table at schema version 8, parents before children so each foreign key finds its row.
TABLES: tuple[str, ...] = (
    "feeds",
    "destinations",
    "subscriptions",
    "stories",
    "headlines",
    "outbox",
    "ops_notices",
    "people",
    "party_spells",
    "people_refresh",
    "party_watches",
)
# What reading the snapshot or writing the target raises when either fails.
_FAILURES: tuple[type[BaseException], ...] = (sqlite3.Error, *CONNECT_ERRORS)
# A copy waits this long for another session's lock on the target before giving up.
LOCK_TIMEOUT = "10s"


@dataclass(frozen=True, slots=True)
class TableCount:
    """One table's rows in the SQLite source and, after the copy, in PostgreSQL."""

    table: str
    source: int
    target: int

    @property
    def matches(self) -> bool:
        """Whether every row arrived."""
        return self.source == self.target


class TargetNotEmpty(StorageError):
    """The PostgreSQL database already holds rows; a copy needs an empty one."""

    def __init__(self, location: str, tables: list[str]) -> None:
        self.tables = tables
        super().__init__(
            f"{location}: not empty ({', '.join(tables)} already hold rows); copy into a new, "
            "empty database (e.g. `createdb division_bell`). Nothing was written"
        )


class CountMismatch(StorageError):
    """Some table's row count differs after the copy; the copy was rolled back."""

    def __init__(self, location: str, counts: tuple[TableCount, ...]) -> None:
        self.counts = counts
        wrong = ", ".join(f"{c.table} {c.source} → {c.target}" for c in counts if not c.matches)
        super().__init__(
            f"{location}: row counts differ after the copy ({wrong}); rolled back, "
            "nothing was written"
        )


async def tables_with_rows(db: PostgresDatabase) -> list[str]:
    """The copied tables that already hold at least one row in the PostgreSQL database."""
    async with db.pool.acquire() as con:
        return await _tables_with_rows(con)


async def copy_snapshot(snapshot: Path, db: PostgresDatabase) -> tuple[TableCount, ...]:
    """Copy every table of the SQLite file `snapshot` (migrated first: it must be a private
    copy) into the empty, migrated `db`, in one transaction; the per-table counts.

    Raises TargetNotEmpty, CountMismatch, or StorageError naming the table that failed."""
    await _migrate(snapshot)
    with closing(sqlite3.connect(snapshot)) as source:
        _check_references(source, snapshot)
        try:
            return await _copy_all(source, db)
        except _FAILURES as exc:
            raise StorageError(f"{db.location}: copy failed ({exc}); nothing was written") from None


async def _migrate(snapshot: Path) -> None:
    with closing(sqlite3.connect(snapshot)) as source:
        version = int(source.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StorageError(
            f"the SQLite database was written by a newer Division Bell (schema {version}, this "
            f"version knows up to {SCHEMA_VERSION}); copy it with that version"
        )
    # The snapshot, never the live file, is brought up to date: the copy reads today's tables.
    database = await Database.open(snapshot)
    await database.close()


def _check_references(source: sqlite3.Connection, snapshot: Path) -> None:
    # PostgreSQL enforces every foreign key; name a dangling one here rather than as a COPY error.
    broken = source.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid, parent = broken[0][0], broken[0][1], broken[0][2]
        raise StorageError(
            f"the SQLite database has {len(broken)} row(s) referring to rows that no longer "
            f"exist (first: {table} row {rowid} → {parent}); nothing was written"
        )


async def _copy_all(source: sqlite3.Connection, db: PostgresDatabase) -> tuple[TableCount, ...]:
    async with db.pool.acquire() as con, con.transaction():
        await con.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        # No other session writes until the commit, so "empty" stays true while we copy.
        await con.execute(f"LOCK TABLE {', '.join(TABLES)} IN EXCLUSIVE MODE")
        occupied = await _tables_with_rows(con)
        if occupied:
            raise TargetNotEmpty(db.location, occupied)
        times = await _time_columns(con)
        for table in TABLES:
            columns = _columns(source, table)
            try:
                await con.copy_records_to_table(
                    table,
                    records=_records(source, table, columns, times.get(table, set())),
                    columns=columns,
                )
            except CONNECT_ERRORS as exc:
                raise StorageError(
                    f"{db.location}: copying {table} failed ({exc}); nothing was written"
                ) from None
        await _move_sequences(con)
        counts = await _counts(source, con)
        if not all(count.matches for count in counts):
            raise CountMismatch(db.location, counts)  # leaving the block rolls back
    return counts


async def _counts(source: sqlite3.Connection, con: Any) -> tuple[TableCount, ...]:
    counts: list[TableCount] = []
    for table in TABLES:
        read = int(source.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        written = int(await con.fetchval(f"SELECT count(*) FROM {table}"))
        counts.append(TableCount(table, read, written))
    return tuple(counts)


async def _tables_with_rows(con: Any) -> list[str]:
    return [t for t in TABLES if await con.fetchval(f"SELECT EXISTS (SELECT 1 FROM {t})")]


async def _time_columns(con: Any) -> dict[str, set[str]]:
    rows = await con.fetch(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND data_type = 'timestamp with time zone'"
    )
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row["table_name"], set()).add(row["column_name"])
    return found


def _columns(source: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in source.execute(f"PRAGMA table_info({table})")]


def _records(
    source: sqlite3.Connection, table: str, columns: list[str], times: set[str]
) -> Iterator[tuple[Any, ...]]:
    """The table's rows with stored times (to_db's text) as the datetimes timestamptz takes."""
    converting = [index for index, name in enumerate(columns) if name in times]
    cursor = source.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid")
    for row in cursor:
        if not converting:
            yield row
            continue
        values = list(row)
        for index in converting:
            values[index] = _moment(values[index], table, columns[index])
        yield tuple(values)


def _moment(value: Any, table: str, column: str) -> datetime | None:
    try:
        return from_db(value)
    except (TypeError, ValueError):
        raise StorageError(
            f"{table}.{column}: {value!r} is not a stored time; nothing was written"
        ) from None


async def _move_sequences(con: Any) -> None:
    # Rows were copied with their ids, which leaves each identity sequence at its start: the next
    # insert would take id 1 and collide. Each moves on to the highest copied id.
    identities = await con.fetch(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND is_identity = 'YES'"
    )
    for row in identities:
        table, column = row["table_name"], row["column_name"]
        await con.execute(
            f"SELECT setval(pg_get_serial_sequence($1, $2), "
            f"COALESCE((SELECT max({column}) FROM {table}), 0) + 1, false)",
            table,
            column,
        )
