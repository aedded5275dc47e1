"""What the benchmarks share: the cycle plan, config files for the tool under test, table output."""

from __future__ import annotations

import compileall
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class Step:
    """One cycle in the plan: farm state to set first, and whether it is measured."""

    kind: str
    round_no: int | None = None
    mode: str | None = None
    measured: bool = True
    clear: bool = False


# Each measured kind starts from a well-defined state. The unmeasured "prime" cycles teach the
# tool the validators it will need next: a 304 cycle needs validators stored from the cycle before.
PLAN: tuple[Step, ...] = (
    Step("cold", round_no=0, mode="mixed", clear=True),
    Step("prime", mode="all", measured=False),
    Step("304", mode="all"),
    Step("unchanged-200", mode="none"),
    Step("prime", mode="mixed", measured=False),
    Step("changed-10%", round_no=1, mode="mixed"),
)
MEASURED = tuple(s.kind for s in PLAN if s.measured)
# The event day (benchmarks/event_day.py) measures the cycles that decide events: the cold one
# stores validators, so the 10%-changed cycle after it needs no priming.
EVENT_PLAN: tuple[Step, ...] = (
    Step("cold", round_no=0, mode="mixed", clear=True),
    Step("changed-10%", round_no=1, mode="mixed"),
)
PLANS = {"standard": PLAN, "event-day": EVENT_PLAN}


def toml_string(value: str) -> str:
    """A TOML basic string."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def feed_name(index: int) -> str:
    """The configured name of farm feed `index`."""
    return f"Feed {index:04d}"


def write_config(
    folder: Path,
    urls: Sequence[str],
    *,
    interval: float = 300,
    jitter: float = 0.1,
    webhook: str | None = None,
    http_port: int | None = None,
    database_env: str | None = None,
    webhooks: Sequence[str] = (),
) -> Path:
    """A division-bell config polling `urls`, no console, optionally Slack-format webhooks; its
    database beside it, or (with `database_env`) the PostgreSQL one that variable names."""
    lines = [
        "[storage]",
        'path = "division-bell.sqlite3"',
        *([f"url_env = {toml_string(database_env)}"] if database_env else []),
        "",
        "[console]",
        "enabled = false",
        "",
        "[polling]",
        f"interval = {interval}",
        f"jitter = {jitter}",
        "",
        "[http]",
        f'listen = "127.0.0.1:{http_port or free_port()}"',
        "",
    ]
    for index, url in enumerate(urls):
        lines += [
            "[[feeds]]",
            f"name = {toml_string(feed_name(index))}",
            f"url = {toml_string(url)}",
        ]
        lines.append("")
    if webhook is not None:
        lines += ["[[webhooks]]", 'name = "bench receiver"', 'platform = "slack"']
        lines += [f"url = {toml_string(webhook)}", ""]
    for index, url in enumerate(webhooks):
        lines += ["[[webhooks]]", f'name = "bench receiver {index}"', 'platform = "slack"']
        lines += [f"url = {toml_string(url)}", ""]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "division-bell.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def division_bell() -> list[str]:
    """The `division-bell` command of this interpreter's environment."""
    _bytecode_compiled()
    script = Path(sys.executable).parent / "division-bell"
    if script.exists():
        return [str(script)]
    found = shutil.which("division-bell")
    return [found] if found else [sys.executable, "-m", "bot"]


@functools.cache
def _bytecode_compiled() -> None:
    # As installed from a wheel, whose modules pip compiles to bytecode at install time (as it
    # did reader's). A checkout run with PYTHONDONTWRITEBYTECODE=1 (some sandboxes and CI
    # images set it) would compile every edited module from source in every measured process.
    compileall.compile_dir(ROOT / "bot", quiet=1)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (also readable as plain text)."""
    cells = [[str(h) for h in headers], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def verdict(ok: bool | None) -> str:
    """'met', 'NOT met' or '—' (not measured)."""
    return "—" if ok is None else "met" if ok else "NOT met"


def start_service(folder: Path, config: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`division-bell run` with this config; its log goes to folder/run.log."""
    log = (folder / "run.log").open("ab")
    return subprocess.Popen(
        [*division_bell(), "--config", str(config), "run"],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )


def stop_service(proc: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """SIGTERM, then wait (killing it if it does not stop in time); its exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def busy_cores(seconds: float = 1.0) -> float:
    """How many cores' worth of CPU the machine used over `seconds` (from /proc/stat)."""

    def sample() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields) - idle, sum(fields)

    try:
        busy1, total1 = sample()
        time.sleep(seconds)
        busy2, total2 = sample()
    except OSError:
        return 0.0
    return (busy2 - busy1) / max(total2 - total1, 1) * (os.cpu_count() or 1)


def cpu_accounts() -> tuple[float, float]:
    """(CPU seconds the whole machine has used, CPU seconds this process and its reaped
    children have used), so the difference over a run is what other processes used."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    ticks = os.sysconf("SC_CLK_TCK")
    machine_busy = (sum(fields) - fields[3] - fields[4]) / ticks
    own = os.times()
    return machine_busy, own.user + own.system + own.children_user + own.children_system
