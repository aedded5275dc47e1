"""Which store a configuration asks for: PostgreSQL when a URL is given, else the SQLite file."""

from __future__ import annotations

from pathlib import Path

from bot.store.connection import BUSY_TIMEOUT_S, Database
from bot.store.sql import Store


async def open_store(
    path: Path, url: str | None = None, *, busy_timeout: float = BUSY_TIMEOUT_S
) -> Store:
    """Open and migrate the configured database: PostgreSQL at `url`, else SQLite at `path`."""
    if url:
        # Imported here: a SQLite install never loads the PostgreSQL driver.
        from bot.store.postgres import PostgresDatabase  # noqa: PLC0415

        return await PostgresDatabase.open(url)
    return await Database.open(path, busy_timeout=busy_timeout)


async def postgres_problem(url: str) -> str | None:
    """Why the PostgreSQL server at `url` cannot be used (password masked), or None; reads only."""
    from bot.store.postgres import probe  # noqa: PLC0415

    return await probe(url)
