"""Helpers for the reliability tests: run a scenario in its own process, ports, log checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import PROJECT_ROOT
from tests.support.procfs import descendants, vm_hwm_kb
from tests.support.waiting import free_port

# A fault's scenario must finish well inside this, or the test says so instead of hanging.
SCENARIO_TIMEOUT_S = 150.0


# A loopback port nothing listens on (bound, then released).
closed_port = free_port


def run_scenario(
    folder: Path,
    *,
    feeds: Mapping[str, str],
    webhooks: Sequence[tuple[str, str, str, Sequence[str] | None]] = (),
    polling: Mapping[str, Any] | None = None,
    polls: int = 1,
) -> dict[str, Any]:
    """Run tests.reliability.runner on this spec in a fresh interpreter; its JSON report."""
    folder.mkdir(parents=True, exist_ok=True)
    spec = {
        "data": str(folder),
        "feeds": list(feeds.items()),
        "webhooks": [list(hook) for hook in webhooks],
        "polling": dict(polling or {}),
        "polls": polls,
    }
    spec_path = folder / "spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
    env["NO_PROXY"] = "127.0.0.1,localhost"
    done = subprocess.run(
        [sys.executable, "-m", "tests.reliability.runner", str(spec_path)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SCENARIO_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"scenario crashed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    report["stderr"] = done.stderr
    return report


def lines_about(report: Mapping[str, Any], name: str) -> list[tuple[int, str, str]]:
    """The log records of a scenario that name a feed or destination."""
    return [tuple(line) for line in report["logs"] if name in line[2]]  # type: ignore[misc]


def outcome(report: Mapping[str, Any], feed: str, poll: int = 0) -> dict[str, Any]:
    """One feed's PollOutcome (as a dict) in poll number `poll`."""
    found: dict[str, Any] = next(o for o in report["polls"][poll] if o["feed"] == feed)
    return found


@dataclass
class Measured:
    """A finished subprocess with its output and the peak RSS of it and its descendants."""

    returncode: int
    stdout: str
    stderr: str
    main_kb: int  # the process itself: VmHWM, sampled from /proc
    children_kb: int  # the largest descendant (parse workers): VmHWM, sampled from /proc


def run_measured(
    command: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout: float = 120.0
) -> Measured:
    """Run `command`, sampling its descendants' peak RSS (VmHWM never goes down) as it runs."""
    out, err = cwd / "measured.out", cwd / "measured.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(command, cwd=cwd, env=dict(env), stdout=stdout, stderr=stderr)
    # Sampled, because wait4's ru_maxrss would not do: Linux carries it across execve, so it
    # reports at least pytest's own peak. VmHWM never goes down, so a sample catches any peak
    # but one in the last few milliseconds before exit.
    peaks: dict[int, int] = {}
    deadline = time.monotonic() + timeout
    while True:
        for pid in [process.pid, *descendants(process.pid)]:
            peaks[pid] = max(peaks.get(pid, 0), vm_hwm_kb(pid))
        finished, status = os.waitpid(process.pid, os.WNOHANG)
        if finished:
            break
        if time.monotonic() > deadline:
            process.kill()
            os.waitpid(process.pid, 0)
            raise AssertionError(f"{command} still running after {timeout:g}s")
        time.sleep(0.02)
    process.returncode = os.waitstatus_to_exitcode(status)
    return Measured(
        process.returncode,
        out.read_text(encoding="utf-8", errors="replace"),
        err.read_text(encoding="utf-8", errors="replace"),
        peaks.pop(process.pid, 0),
        max(peaks.values(), default=0),
    )
