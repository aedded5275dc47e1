"""benchmarks/bench_register.py still runs end to end (its figures are never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the probe reads /proc")
def test_bench_register_reports_load_and_recognition(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_register.py"),
            "--processes",
            "1",
            "--runs",
            "1",
            "--corpus",
            str(tmp_path / "absent.jsonl"),  # the built-in samples, not ../shared
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for line in ("Register.load():", "extra RSS after import+load:", "recognise:", "mentions/s"):
        assert line in result.stdout
    assert "built-in samples (6 distinct, 8 mentions in them)" in result.stdout
