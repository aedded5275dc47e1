"""The benchmarks still run: `python benchmarks/run.py --smoke` end to end, tiny sizes, and
`python -m benchmarks.postgres` tiny on the session's PostgreSQL server.

Proves the scripts work (farm, cycles, side by side, event day, scale with event matching,
memory, PostgreSQL beside SQLite, replica delivery); never asserts a timing, which would only
measure the CI machine. reader's side runs only when `.[bench]` is installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.postgres import PostgresServer, find_server_binaries

ROOT = Path(__file__).resolve().parent.parent


def run_benchmark(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """A benchmark script as a user runs it, from the checkout, without chat tokens; it must
    exit 0 (its stderr's end shown otherwise)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
    result = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="benchmarks read /proc")
def test_smoke_run_completes_and_reports_every_section(tmp_path: Path) -> None:
    result = run_benchmark(
        str(ROOT / "benchmarks" / "run.py"),
        *("--smoke", "--workdir", str(tmp_path / "work"), "--json", str(tmp_path / "figures.json")),
        timeout=180,
    )
    for heading in ("Poll cycles", "Side by side", "Event day", "Scale", "Memory", "Machine"):
        assert heading in result.stdout
    figures = json.loads((tmp_path / "figures.json").read_text())
    kinds = [c["kind"] for c in figures["cycles"]]
    assert kinds == ["cold", "304", "unchanged-200", "changed-10%"]
    cold = figures["cycles"][0]
    assert cold["failed"] == 0
    assert cold["new_items"] == cold["parsed_feeds"] * 50  # every farm item reached the store
    assert figures["scale"]["fanout_queued"] == figures["scale"]["fanout_subscriptions"]
    event_day = figures["event_day"]
    assert [r["kind"] for r in event_day["rows"]] == ["cold", "changed-10%"]
    assert event_day["categorised"] > 0  # the event-day farm's reports reached the store
    assert 0 < event_day["events"] < event_day["categorised"]  # and were grouped into events
    matching = figures["scale"]["matching"]
    assert matching["events"] == 200  # the smoke window, every event read back by refresh
    assert matching["samples"] == 50
    assert figures["memory"]["exit_status"] == 0  # `run` stopped cleanly on SIGTERM


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="benchmarks read /proc")
def test_postgres_benchmark_runs_both_backends_and_both_replica_counts(
    tmp_path: Path, postgres_cluster: PostgresServer
) -> None:
    """`python -m benchmarks.postgres`, tiny, on the session's server (skipped without one)."""
    result = run_benchmark(
        *("-m", "benchmarks.postgres"),
        *("--feeds", "4", "--repeats", "1", "--alerts", "12", "--destinations", "3"),
        *("--dsn", postgres_cluster.admin_dsn, "--workdir", str(tmp_path / "work")),
        *("--json", str(tmp_path / "figures.json")),
        timeout=240,
    )
    for heading in ("Event day on PostgreSQL beside SQLite", "Delivery: 12 alerts"):
        assert heading in result.stdout
    figures = json.loads((tmp_path / "figures.json").read_text())
    assert [row["kind"] for row in figures["rows"]] == ["cold", "changed-10%"]
    sqlite, postgresql = figures["stored"]["sqlite"], figures["stored"]["postgresql"]
    assert sqlite[0] > 0
    assert postgresql[0] == sqlite[0]  # the same categorised headlines on both backends
    (delivery,) = figures["delivery"]
    assert [t["replicas"] for t in delivery["trials"]] == [1, 2]
    for trial in delivery["trials"]:
        assert trial["messages"] == 12
        assert sum(trial["per_replica"]) == 12  # every alert sent, by one replica or both
        assert trial["received"] == 12  # and posted once
    assert delivery["ratio"] > 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="benchmarks read /proc")
@pytest.mark.skipif(find_server_binaries() is None, reason="PostgreSQL server binaries not found")
def test_statement_count_reads_each_cycle_from_the_server_log(tmp_path: Path) -> None:
    """`python -m benchmarks.pg_statements`, tiny, on a cluster of its own (it reads the log)."""
    result = run_benchmark("-m", "benchmarks.pg_statements", "--feeds", "3", timeout=180)
    cold, changed = [line for line in result.stdout.splitlines() if line.startswith("- ")]
    assert cold.startswith("- cold: ")
    assert changed.startswith("- changed-10%: ")
    assert "150 × `INSERT INTO headlines" in result.stdout  # 3 feeds × 50 new headlines, cold
