"""A plain `pip install .` carries everything `division-bell` needs: rules, feeds, demo feeds."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.cli import run_cli

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_package_data(tmp_path: Path) -> None:
    pytest.importorskip("setuptools")
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("division_bell-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "bot/data/categories.toml",
        "bot/data/feeds.toml",
        "bot/data/demo/westminster_wire.xml",
        "bot/data/demo/lobby_gazette.xml",
        "bot/cli/main.py",
    ):
        assert required in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "division-bell = bot.cli.main:main" in text


def test_cli_runs_from_any_directory(tmp_path: Path) -> None:
    result = run_cli(["--version"], cwd=tmp_path)
    assert result.returncode == 0
    assert "division-bell" in result.stdout
    assert "Open Parliament Licence v3.0" in result.stdout  # the people register's attribution
    assert "IfG Ministers Database" in result.stdout
    check = run_cli(["check-config"], cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert "none (built-in defaults)" in check.stdout
