"""`division-bell storage copy --to URL`: the SQLite database into an empty PostgreSQL one.

The live file is only read, through SQLite's online backup API into a private snapshot (the
snapshot, not the file, is migrated and read, and a `poll` from cron can carry on writing). A
running `run` is refused rather than raced: whatever it wrote after the snapshot would be
missing from PostgreSQL, and an alert it sent then would go out again from there.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from bot.cli.backup import backup_database
from bot.config import Settings
from bot.errors import ConfigError, StorageError
from bot.store.copy import CountMismatch, TableCount, TargetNotEmpty
from bot.store.urls import is_postgres_url, mask_password

DEFAULT_VARIABLE = "DATABASE_URL"


def target_url(to: str | None, to_env: str | None, environ: Mapping[str, str]) -> str:
    """The PostgreSQL URL from --to, or from the variable --to-env names (ConfigError if bad);
    never echoed, since it may carry a password."""
    if to_env is not None:
        where, url = f"--to-env {to_env}", environ.get(to_env, "").strip()
        if not url:
            raise ConfigError(f"{where}: the variable is unset or blank; set it to the URL")
    else:
        where, url = "--to", (to or "").strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ConfigError(f"{where}: not a valid URL") from None
    if not is_postgres_url(url):
        raise ConfigError(
            f"{where}: not a PostgreSQL URL; expected postgresql://USER:PASSWORD@HOST:5432/DATABASE"
        )
    return url


def run_storage_copy(settings: Settings, url: str, variable: str | None, out: TextIO) -> int:
    """Copy the configured SQLite database to `url`, print the counts and the config change;
    `variable`: the environment variable --to-env named, if any. Exit status 0."""
    if settings.storage.url:
        raise ConfigError(
            "[storage] already names a PostgreSQL database; `storage copy` reads the SQLite "
            "file: run it with the config that still uses SQLite (no url or url_env in [storage])"
        )
    source = settings.storage.path
    if not source.is_file():
        raise StorageError(f"{source}: no SQLite database to copy (see [storage] path)")
    with _no_run_meanwhile(source):
        counts = asyncio.run(_copy(source, url, out))
    rows = sum(c.target for c in counts)
    print(f"copied {rows:,} rows in {len(counts)} tables; every count matches", file=out)
    _print_next_steps(source, url, variable, out)
    return 0


@contextmanager
def _no_run_meanwhile(source: Path) -> Iterator[None]:
    """Hold `run`'s lock on the file for the copy: refuse while a `run` uses it, and keep one
    from starting half way."""
    from bot.service.scheduler import RunLock  # noqa: PLC0415 - only this command needs it

    lock = RunLock(source)
    try:
        lock.acquire()
    except StorageError:
        raise StorageError(
            f"{source}: a `division-bell run` is using this database. Stop it first: what it "
            "wrote after the copy would be missing from PostgreSQL, and what it alerted then "
            "would be alerted again. Start it with the new config once the copy is done"
        ) from None
    try:
        yield
    finally:
        lock.release()


async def _copy(source: Path, url: str, out: TextIO) -> tuple[TableCount, ...]:
    # Imported here: asyncpg loads only for the commands that use PostgreSQL.
    from bot.store.copy import copy_snapshot, tables_with_rows  # noqa: PLC0415
    from bot.store.postgres import PostgresDatabase  # noqa: PLC0415

    db = await PostgresDatabase.open(url)
    try:
        occupied = await tables_with_rows(db)
        if occupied:  # before copying the file: say so at once
            raise TargetNotEmpty(db.location, occupied)
        print(f"copying {source} to {db.location}", file=out)
        with _scratch_folder(source) as folder:
            snapshot = folder / "snapshot.sqlite3"
            backup_database(source, snapshot)
            try:
                counts = await copy_snapshot(snapshot, db)
            except CountMismatch as exc:
                print_counts(exc.counts, out)
                raise
    finally:
        await db.close()
    print_counts(counts, out)
    return counts


@contextmanager
def _scratch_folder(source: Path) -> Iterator[Path]:
    """A temporary folder beside the database (which has room for a copy of it), else the
    system's temporary folder (a read-only place such as a mounted backup)."""
    try:
        scratch = tempfile.TemporaryDirectory(prefix=".division-bell-copy-", dir=source.parent)
    except OSError:
        scratch = tempfile.TemporaryDirectory(prefix="division-bell-copy-")
    with scratch as folder:
        yield Path(folder)


def print_counts(counts: tuple[TableCount, ...], out: TextIO) -> None:
    """Each table's rows in SQLite and in PostgreSQL, a mismatch marked."""
    width = max(len(c.table) for c in counts)
    print(f"{'table':<{width}}  {'SQLite':>10}  {'PostgreSQL':>10}", file=out)
    for count in counts:
        mark = "" if count.matches else "  MISMATCH"
        print(f"{count.table:<{width}}  {count.source:>10,}  {count.target:>10,}{mark}", file=out)


def _print_next_steps(source: Path, url: str, variable: str | None, out: TextIO) -> None:
    name = variable or DEFAULT_VARIABLE
    if variable:
        setting = f"keep {name} set to this URL wherever Division Bell runs"
    else:
        setting = f"set the environment variable {name} to the URL you gave ({mask_password(url)})"
    lines = (
        "",
        "To use PostgreSQL from now on:",
        f"  1. {setting};",
        "  2. in the config file, add to [storage]:",
        f'       url_env = "{name}"',
        "  3. start `division-bell run` again (`division-bell check-config` checks the config).",
        f"The SQLite file is left as it was, as a backup: {source}",
        "(removing url_env goes back to it, without what PostgreSQL receives from now on).",
    )
    print("\n".join(lines), file=out)
