"""`poll` exits 1 when the database is unusable or another process holds the writer lock.

The file-level cases (a corrupt file, PRAGMA user_version, SQLite's writer lock) are SQLite's
own; a newer schema is refused on PostgreSQL too."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.support import stored
from tests.support.cli import run_cli, write_config


def test_unusable_database_exits_1_with_a_clear_message(tmp_path: Path) -> None:
    write_config(tmp_path, feeds={"x": "http://127.0.0.1:9/x.xml"})
    (tmp_path / "db.sqlite3").write_bytes(b"definitely not sqlite" * 200)
    result = run_cli(["--config", "division-bell.toml", "poll"], cwd=tmp_path)
    assert result.returncode == 1
    assert "db.sqlite3" in result.stderr
    assert "Traceback" not in result.stderr


def test_database_from_a_newer_version_exits_1(tmp_path: Path) -> None:
    write_config(tmp_path, feeds={"x": "http://127.0.0.1:9/x.xml"})
    with sqlite3.connect(tmp_path / "db.sqlite3") as conn:
        conn.execute("PRAGMA user_version = 999")
    result = run_cli(["--config", "division-bell.toml", "poll"], cwd=tmp_path)
    assert result.returncode == 1
    assert "newer Division Bell" in result.stderr


def test_postgres_database_from_a_newer_version_exits_1(
    tmp_path: Path, postgres_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", postgres_dsn)
    write_config(tmp_path, feeds={"x": "http://127.0.0.1:9/x.xml"}, database_env="DATABASE_URL")
    first = run_cli(["--config", "division-bell.toml", "poll"], cwd=tmp_path)
    assert first.returncode == 3, first.stderr  # migrated; its one feed is unreachable
    stored.execute(tmp_path, "INSERT INTO schema_version (version) VALUES (999)")
    result = run_cli(["--config", "division-bell.toml", "poll"], cwd=tmp_path)
    assert result.returncode == 1
    assert "newer Division Bell" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "db.sqlite3").exists()


def test_writer_lock_held_past_30s_exits_1(tmp_path: Path) -> None:
    write_config(tmp_path, feeds={"x": "http://127.0.0.1:9/x.xml"})
    first = run_cli(["--config", "division-bell.toml", "poll"], cwd=tmp_path)
    assert first.returncode == 3, first.stderr  # its one feed is unreachable: nothing fetched
    holder = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process is writing and does not let go
        result = run_cli(["--config", "division-bell.toml", "poll"], cwd=tmp_path, timeout=90)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 1
    assert "busy" in result.stderr or "locked" in result.stderr
    assert "Traceback" not in result.stderr
