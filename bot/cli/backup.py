"""`division-bell backup PATH`: a consistent copy of the database, safe while `run` is running."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from datetime import datetime
from pathlib import Path

from bot.errors import StorageError
from bot.store.connection import BUSY_TIMEOUT_S

BACKUP_PREFIX = "division-bell-"
BACKUP_SUFFIX = ".sqlite3"


def is_folder_target(raw: str) -> bool:
    """PATH names a folder: it ends with a slash, or it is an existing folder."""
    return raw.endswith(("/", os.sep)) or Path(raw).is_dir()


def backup_target(raw: str, now: datetime) -> Path:
    """The file to write: PATH itself, or a new dated file inside PATH when it names a folder.

    A folder gets one file per run (a second run in the same second gets a numbered name), so
    backups accumulate instead of replacing each other; `prune_backups` keeps their number down.
    """
    if not is_folder_target(raw):
        return Path(raw)
    folder = Path(raw)
    stem = f"{BACKUP_PREFIX}{now:%Y%m%d-%H%M%S}"
    target = folder / f"{stem}{BACKUP_SUFFIX}"
    number = 1
    while target.exists():
        target = folder / f"{stem}-{number}{BACKUP_SUFFIX}"
        number += 1
    return target


def prune_backups(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` dated backups in `folder`; returns those deleted."""
    dated = sorted(
        (p for p in folder.glob(f"{BACKUP_PREFIX}*{BACKUP_SUFFIX}") if p.is_file()),
        key=lambda p: (p.stat().st_mtime_ns, p.name),
    )
    old = dated[: max(len(dated) - keep, 0)]
    for path in old:
        path.unlink()
    return old


def backup_database(source: Path, target: Path) -> int:
    """Copy `source` to `target` with SQLite's online backup API; returns the copy's size.

    The copy is written beside `target` and renamed into place only once it has passed
    SQLite's quick_check, so a failed backup never replaces a good one.
    """
    if not source.is_file():
        raise StorageError(f"{source}: no database to back up")
    if target.exists() and target.resolve() == source.resolve():
        raise StorageError(f"{target}: is the live database; choose another path")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        # mode=rw: never create an empty database where the real one was expected.
        uri = source.resolve().as_uri() + "?mode=rw"
        with (
            closing(sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S)) as live,
            closing(sqlite3.connect(partial)) as copy,
        ):
            # One step (pages=-1) reads everything in a single read transaction, so the copy is
            # one consistent snapshot; in WAL mode the service's writes carry on meanwhile.
            live.backup(copy, pages=-1)
            # A single self-contained file: no -wal or -shm beside the backup.
            copy.execute("PRAGMA journal_mode = DELETE")
            verdict = copy.execute("PRAGMA quick_check").fetchone()
        if not verdict or verdict[0] != "ok":
            raise StorageError(f"{target}: the copy failed its integrity check ({verdict})")
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise StorageError(f"{source}: backup failed ({exc})") from None
    finally:
        partial.unlink(missing_ok=True)
    return target.stat().st_size
