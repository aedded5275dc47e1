"""Common set-up mistakes: one line naming the setting and the fix, non-zero exit, no traceback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import run_cli, write_config
from tests.support.waiting import free_port


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port something else is listening on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


def config_with(tmp_path: Path, *, storage: str, listen: str | None = None) -> Path:
    """A config with one unreachable feed, the given database path and listen address."""
    listen = listen or f"127.0.0.1:{free_port()}"
    path = write_config(tmp_path, feeds={"x": "http://127.0.0.1:9/x.xml"})
    text = path.read_text(encoding="utf-8").replace('path = "db.sqlite3"', f"path = {storage!r}")
    path.write_text(text + f"\n[http]\nlisten = {listen!r}\n", encoding="utf-8")
    return path


def assert_one_clean_line(stderr: str, *needles: str) -> None:
    """The failure is said once, plainly: no traceback, no thread noise."""
    assert "Traceback" not in stderr
    assert "Event loop is closed" not in stderr
    lines = [line for line in stderr.splitlines() if line.startswith("division-bell:")]
    assert len(lines) == 1, stderr
    for needle in needles:
        assert needle in lines[0]


@pytest.mark.parametrize(("command", "status"), [("check-config", 2), ("poll", 1), ("run", 1)])
def test_a_database_folder_that_cannot_be_made_names_storage_path(
    tmp_path: Path, command: str, status: int
) -> None:
    (tmp_path / "afile").write_text("in the way", encoding="utf-8")
    config_with(tmp_path, storage="afile/db.sqlite3")
    result = run_cli(["--config", "division-bell.toml", command], cwd=tmp_path, timeout=60)
    assert result.returncode == status, result.stderr
    assert_one_clean_line(result.stderr, "[storage] path", "afile", "is not a folder")
    assert not (tmp_path / "db.sqlite3").exists()


def test_check_config_does_not_create_the_database_folder(tmp_path: Path) -> None:
    config_with(tmp_path, storage="later/db.sqlite3")
    result = run_cli(["--config", "division-bell.toml", "check-config"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "later").exists()


@pytest.mark.usefixtures("cli_backend")  # the port, whichever database
def test_run_on_a_taken_port_names_http_listen(tmp_path: Path, taken_port: int) -> None:
    config_with(tmp_path, storage="db.sqlite3", listen=f"127.0.0.1:{taken_port}")
    result = run_cli(["--config", "division-bell.toml", "run"], cwd=tmp_path, timeout=60)
    assert result.returncode == 2, result.stderr
    assert_one_clean_line(result.stderr, "[http] listen", str(taken_port), "in use")


@pytest.mark.usefixtures("cli_backend")  # the port, whichever database
def test_check_config_warns_that_the_listen_port_is_taken(tmp_path: Path, taken_port: int) -> None:
    config_with(tmp_path, storage="db.sqlite3", listen=f"127.0.0.1:{taken_port}")
    result = run_cli(["--config", "division-bell.toml", "check-config"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"[http] listen 127.0.0.1:{taken_port} is in use right now" in result.stderr
    assert "Traceback" not in result.stderr
