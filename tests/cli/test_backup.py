"""`division-bell backup`: a consistent, self-contained copy, even while another process writes."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

from bot.store.connection import Database
from bot.store.schema import SCHEMA_VERSION
from tests.support.cli import run_cli, write_config


def make_database(folder: Path) -> tuple[Path, Path]:
    """A migrated database and a config pointing at it."""
    config = write_config(folder, feeds={"BBC": "http://127.0.0.1:9/feed"})

    async def create() -> None:
        db = await Database.open(folder / "db.sqlite3")
        await db.close()

    asyncio.run(create())
    return config, folder / "db.sqlite3"


class Writer(threading.Thread):
    """Another connection committing one feed row after another until told to stop."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.committed = 0
        self.halt = threading.Event()

    def run(self) -> None:
        with sqlite3.connect(self.path, timeout=30, isolation_level=None) as conn:
            while not self.halt.is_set():
                conn.execute(
                    "INSERT INTO feeds (name, url) VALUES (?, ?)",
                    (f"feed {self.committed}", "http://127.0.0.1/x"),
                )
                self.committed += 1


def wait_until(condition: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not (callable(condition) and condition()):
        assert time.monotonic() < deadline, "condition never became true"
        time.sleep(0.01)


def test_backup_while_another_connection_writes(tmp_path: Path) -> None:
    config, live = make_database(tmp_path)
    writer = Writer(live)
    writer.start()
    try:
        wait_until(lambda: writer.committed >= 50)
        before = writer.committed
        result = run_cli(["--config", str(config), "backup", "backups/copy.sqlite3"], cwd=tmp_path)
        wait_until(lambda: writer.committed > before + 50)  # the writer was never blocked for long
    finally:
        writer.halt.set()
        writer.join()
    assert result.returncode == 0, result.stderr
    copy = tmp_path / "backups" / "copy.sqlite3"
    assert f"backup written: backups/copy.sqlite3 ({copy.stat().st_size:,} bytes)" in result.stdout
    assert sorted(p.name for p in copy.parent.iterdir()) == ["copy.sqlite3"]  # no -wal, no partial
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        rows = conn.execute("SELECT name FROM feeds WHERE name LIKE 'feed %'").fetchall()
    # One consistent snapshot: rows 0..n-1 with no gaps, taken during the writes.
    numbers = sorted(int(name.split()[1]) for (name,) in rows)
    assert numbers == list(range(len(numbers)))
    assert before <= len(numbers) <= writer.committed


def test_backup_into_a_folder_gets_a_timestamped_name_and_replaces_nothing(
    tmp_path: Path,
) -> None:
    config, _ = make_database(tmp_path)
    (tmp_path / "backups").mkdir()
    result = run_cli(["--config", str(config), "backup", "backups"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (made,) = (tmp_path / "backups").iterdir()
    assert made.name.startswith("division-bell-")
    assert made.suffix == ".sqlite3"


def test_backup_of_a_missing_database_fails_without_creating_one(tmp_path: Path) -> None:
    config = write_config(tmp_path, feeds={"BBC": "http://127.0.0.1:9/feed"})
    result = run_cli(["--config", str(config), "backup", "copy.sqlite3"], cwd=tmp_path)
    assert result.returncode == 1
    assert "no database to back up" in result.stderr
    assert not (tmp_path / "db.sqlite3").exists()
    assert not (tmp_path / "copy.sqlite3").exists()


def test_backup_refuses_to_overwrite_the_live_database(tmp_path: Path) -> None:
    config, live = make_database(tmp_path)
    result = run_cli(["--config", str(config), "backup", str(live)], cwd=tmp_path)
    assert result.returncode == 1
    assert "is the live database" in result.stderr


def test_a_folder_path_gets_one_dated_file_per_run_and_keep_prunes_the_oldest(
    tmp_path: Path,
) -> None:
    config, _ = make_database(tmp_path)
    folder = tmp_path / "not-yet" / "backups"
    written = []
    for _ in range(3):
        # The trailing slash says "a folder" even though it does not exist yet.
        result = run_cli(["--config", str(config), "backup", f"{folder}/"], cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        written.append(Path(result.stdout.split("backup written: ")[1].split(" (")[0]))
    assert folder.is_dir()
    assert len(set(written)) == 3  # three runs, three files: none replaced another
    assert sorted(folder.iterdir()) == sorted(written)
    (folder / "notes.txt").write_text("not a backup", encoding="utf-8")
    result = run_cli(["--config", str(config), "backup", str(folder), "--keep", "2"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("old backup removed:") == 2
    left = sorted(p.name for p in folder.iterdir())
    assert len(left) == 3  # the two newest backups, and the file that is not a backup
    assert "notes.txt" in left
    assert written[0].name not in left
    assert written[1].name not in left
    for name in left:
        if name.endswith(".sqlite3"):
            with sqlite3.connect(folder / name) as copy:
                assert copy.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_keep_needs_a_folder_and_a_positive_count(tmp_path: Path) -> None:
    config, _ = make_database(tmp_path)
    for args in (["copy.sqlite3", "--keep", "2"], [f"{tmp_path}/", "--keep", "0"]):
        result = run_cli(["--config", str(config), "backup", *args], cwd=tmp_path)
        assert result.returncode == 2
        assert "--keep" in result.stderr
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "copy.sqlite3").exists()
