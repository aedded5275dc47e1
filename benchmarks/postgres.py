"""PostgreSQL beside SQLite: the event-day cycles on each, and delivery with 1 and 2 replicas.

Two sections:
- the event day (event_day.py's farm: 200 feeds × 50 items, about half categorised, most naming
  the same few people): the cold cycle on an empty database and the 10%-changed cycle after it,
  as whole `division-bell poll` processes, once with the SQLite file beside the config and once
  with `[storage] url_env` naming a fresh PostgreSQL database, `repeats` times, alternating. For
  each: the median wall time with its spread (min–max), the ratio of the medians (PostgreSQL ÷
  SQLite), the poll process's CPU, and the server's CPU on top for PostgreSQL (our own cluster
  only: the postmaster and its backends, from /proc);
- delivery throughput with 1 and 2 `run` replicas (replica_delivery.py).

The server: $DIVISION_BELL_TEST_POSTGRES_DSN's (or --dsn), else a throwaway cluster started from
Debian's server binaries by tests/support/postgres.py (the test harness's; imported rather than
copied, as the benchmarks run from a checkout anyway). The harness starts its cluster for speed
over durability; here it is set back to PostgreSQL's defaults (fsync and full_page_writes on,
autovacuum on) except synchronous_commit = off, the same promise as SQLite's WAL with
synchronous = NORMAL (a commit survives the process, not necessarily a power cut), and its files
go to the same disk as the SQLite files (the usual temporary folder, not /dev/shm).

`python -m benchmarks.postgres [--feeds 200] [--repeats 3] [--alerts 400] [--destinations 8,16]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

from benchmarks.common import EVENT_PLAN, Step, cpu_accounts, table
from benchmarks.event_day import KINDS, Spread
from benchmarks.farm import Farm
from benchmarks.proctree import ProcessRun
from benchmarks.reader_side import ours_command, run_plan
from benchmarks.replica_delivery import DATABASE_ENV, DeliveryFigures, proc_stat, run_delivery
from benchmarks.replica_delivery import render as render_delivery
from tests.support.postgres import PostgresCluster

EXISTING_SERVER_ENV = "DIVISION_BELL_TEST_POSTGRES_DSN"
# Back to PostgreSQL's defaults from the test harness's speed settings (see the docstring).
DURABLE = {"fsync": "on", "full_page_writes": "on", "autovacuum": "on"}
COUNT_SQL = (
    "SELECT (SELECT COUNT(*) FROM headlines WHERE categories != ''), (SELECT COUNT(*) FROM stories)"
)


class BenchServer:
    """A PostgreSQL server to make throwaway databases on, and its CPU so far when it is ours."""

    def __init__(self, admin_dsn: str, description: str, root: Path | None = None) -> None:
        self.admin_dsn = admin_dsn
        self.description = description
        self._data = root / "data" if root else None  # its postmaster.pid names the server
        self.log = root / "server.log" if root else None  # our cluster's server log

    def admin(self, *statements: str) -> None:
        """Run statements on the admin connection, one at a time, outside a transaction."""
        asyncio.run(self._admin(*statements))

    def create(self) -> str:
        """The DSN of a new, empty database."""
        name = f"division_bell_bench_{uuid.uuid4().hex[:12]}"
        self.admin(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return urlunsplit(urlsplit(self.admin_dsn)._replace(path="/" + quote(name)))

    def drop(self, dsn: str) -> None:
        """Drop the database `dsn` names, ending its sessions."""
        name = urlsplit(dsn).path.lstrip("/")
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    async def _admin(self, *statements: str) -> None:
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    def cpu(self) -> float | None:
        """CPU seconds the server has used (ended backends included), or None if not ours."""
        if self._data is None:
            return None
        postmaster = int((self._data / "postmaster.pid").read_text().split()[0])
        ticks = os.sysconf("SC_CLK_TCK")
        total = sum(proc_stat(postmaster)[11:15])  # utime, stime, and its reaped children's
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                found = proc_stat(int(entry.name))
                if found and found[1] == postmaster:  # a live backend or helper
                    total += found[11] + found[12]
        return total / ticks


@contextmanager
def postgres_server(
    dsn: str | None = None, *, existing_allowed: bool = True
) -> Iterator[BenchServer]:
    """An existing server (`dsn`, else $DIVISION_BELL_TEST_POSTGRES_DSN), or a throwaway one
    (always, without `existing_allowed`)."""
    existing = (dsn or os.environ.get(EXISTING_SERVER_ENV)) if existing_allowed else None
    if existing:
        yield BenchServer(existing, "an existing server, as configured")
        return
    cluster = PostgresCluster.start(base_dir=Path(tempfile.gettempdir()))
    try:
        server = BenchServer(
            cluster.admin_dsn,
            f"a throwaway cluster ({cluster.version}, durable settings, in {cluster.folder})",
            cluster.folder,
        )
        settings = [f"ALTER SYSTEM SET {key} = {value}" for key, value in DURABLE.items()]
        server.admin(*settings, "SELECT pg_reload_conf()")
        yield server
    finally:
        cluster.stop()


@dataclass(slots=True)
class BackendRow:
    """One cycle kind on both backends."""

    kind: str
    sqlite: Spread
    postgres: Spread
    sqlite_cpu: float  # the poll process tree's CPU, median
    postgres_cpu: float
    server_cpu: float | None  # the PostgreSQL server's CPU during the cycle, median

    @property
    def ratio(self) -> float:
        """PostgreSQL's median wall time over SQLite's (> 1: PostgreSQL is slower)."""
        return self.postgres.median / self.sqlite.median


@dataclass
class PostgresFigures:
    """Everything postgres.py measured."""

    server: str
    feeds: int
    repeats: int
    rows: list[BackendRow] = field(default_factory=list)
    stored: dict[str, list[int]] = field(default_factory=dict)  # backend: [categorised, events]
    others_busy: float = 0.0  # cores' worth of CPU other processes used (the server included)
    seconds: float = 0.0
    delivery: list[DeliveryFigures] = field(default_factory=list)  # one per webhook count


def run_backends(server: BenchServer, folder: Path, *, feeds: int, repeats: int) -> PostgresFigures:
    """The event-day plan on SQLite and on PostgreSQL, `repeats` times each, alternating."""
    figures = PostgresFigures(server.description, feeds, repeats)
    runs: dict[str, dict[str, list[ProcessRun]]] = {
        backend: {kind: [] for kind in KINDS} for backend in ("sqlite", "postgresql")
    }
    server_cpu: dict[str, list[float]] = {kind: [] for kind in KINDS}
    started, before = time.monotonic(), cpu_accounts()
    with Farm(feeds, corpus="event-day") as farm:
        for number in range(repeats):
            place = folder / f"sqlite-{number}"
            found = run_plan(farm, place, ours_command(farm, place), "sqlite", EVENT_PLAN)
            for kind in KINDS:
                runs["sqlite"][kind].append(found[kind])
            figures.stored.setdefault("sqlite", _stored_sqlite(place / "division-bell.sqlite3"))
            dsn = server.create()
            try:
                place = folder / f"postgresql-{number}"
                marks = [server.cpu()]  # before the plan, then after each cycle
                command = ours_command(farm, place, database_env=DATABASE_ENV)
                found = run_plan(
                    farm,
                    place,
                    command,
                    "postgresql",
                    EVENT_PLAN,
                    extra_env={DATABASE_ENV: dsn},
                    after_step=_sampler(server, marks),
                )
                figures.stored.setdefault("postgresql", asyncio.run(_stored_postgres(dsn)))
            finally:
                server.drop(dsn)
            for index, kind in enumerate(KINDS):
                runs["postgresql"][kind].append(found[kind])
                start, end = marks[index], marks[index + 1]
                if start is not None and end is not None:
                    server_cpu[kind].append(end - start)
    figures.seconds = time.monotonic() - started
    after = cpu_accounts()
    figures.others_busy = max((after[0] - before[0]) - (after[1] - before[1]), 0) / figures.seconds
    for kind in KINDS:
        lite, pg = runs["sqlite"][kind], runs["postgresql"][kind]
        figures.rows.append(
            BackendRow(
                kind=kind,
                sqlite=Spread(tuple(r.wall for r in lite)),
                postgres=Spread(tuple(r.wall for r in pg)),
                sqlite_cpu=statistics.median(r.cpu for r in lite),
                postgres_cpu=statistics.median(r.cpu for r in pg),
                server_cpu=statistics.median(server_cpu[kind]) if server_cpu[kind] else None,
            )
        )
    return figures


def _sampler(server: BenchServer, marks: list[float | None]) -> Callable[[Step, ProcessRun], None]:
    """A run_plan observer that notes the server's CPU after each step."""
    return lambda _step, _run: marks.append(server.cpu())


def _stored_sqlite(database: Path) -> list[int]:
    """[categorised headlines, events] after the plan."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        categorised, events = conn.execute(COUNT_SQL).fetchone()
    return [int(categorised), int(events)]


async def _stored_postgres(dsn: str) -> list[int]:
    """[categorised headlines, events] after the plan."""
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(COUNT_SQL)
    finally:
        await conn.close()
    return [int(row[0]), int(row[1])]


def render(figures: PostgresFigures) -> list[str]:
    """The cycles section as Markdown lines."""
    rows = [
        [
            row.kind,
            row.sqlite.describe(),
            row.postgres.describe(),
            f"{row.ratio:.2f}×",
            f"{row.sqlite_cpu:.2f}",
            f"{row.postgres_cpu:.2f}",
            f"{row.server_cpu:.2f}" if row.server_cpu is not None else "—",
        ]
        for row in figures.rows
    ]
    stored = "; ".join(
        f"{backend} {values[0]:,} categorised headlines in {values[1]:,} events"
        for backend, values in figures.stored.items()
    )
    headers = [
        "cycle",
        "SQLite wall s, median (min–max)",
        "PostgreSQL wall s, median (min–max)",
        "PostgreSQL ÷ SQLite",
        "SQLite poll CPU s",
        "PostgreSQL poll CPU s",
        "PostgreSQL server CPU s",
    ]
    return [
        f"### Event day on PostgreSQL beside SQLite: {figures.feeds} feeds × 50 items\n",
        table(headers, rows),
        f"\n{figures.repeats} runs on each backend, whole `poll` processes, alternating, each "
        f"from an empty database; the server: {figures.server}. After both cycles: {stored}. "
        f"Other processes (the PostgreSQL server among them) used {figures.others_busy:.2f} "
        f"cores' worth of CPU during the {figures.seconds:.0f} s this took.\n",
    ]


def main(argv: list[str] | None = None) -> int:
    """Run both sections (or one) and print them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each cycle and trial")
    parser.add_argument("--alerts", type=int, default=400, help="alerts queued in each trial")
    parser.add_argument(
        "--destinations",
        default="8,16",
        help="webhooks they fan out to: a comma list, one run each",
    )
    parser.add_argument("--send-delay", type=float, default=0.1, help="the stand-in's answer, s")
    parser.add_argument("--only", choices=("cycles", "delivery"), help="run one section")
    parser.add_argument("--dsn", help=f"an existing server (default ${EXISTING_SERVER_ENV})")
    parser.add_argument("--workdir", help="where databases and logs go (default: a temp dir)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write figures as JSON")
    args = parser.parse_args(argv)
    folder = Path(args.workdir or tempfile.mkdtemp(prefix="division-bell-postgres-"))
    with postgres_server(args.dsn) as server:
        figures = PostgresFigures(server.description, args.feeds, args.repeats)
        if args.only != "delivery":
            figures = run_backends(server, folder, feeds=args.feeds, repeats=args.repeats)
            print("\n".join(render(figures)))
        for destinations in _counts(args.destinations) if args.only != "cycles" else []:
            found = run_delivery(
                server.create,
                server.drop,
                folder / f"delivery-{destinations}",
                server_cpu=server.cpu,
                events=max(args.alerts // destinations, 1),
                destinations=destinations,
                send_delay=args.send_delay,
                repeats=args.repeats,
            )
            figures.delivery.append(found)
            print("\n".join(render_delivery(found)))
    if args.json:
        data = asdict(figures)
        data["rows"] = [
            row | {"ratio": r.ratio} for row, r in zip(data["rows"], figures.rows, strict=True)
        ]
        for found, delivered in zip(data["delivery"], figures.delivery, strict=True):
            found["ratio"] = delivered.ratio
        args.json.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return 0


def _counts(text: str) -> list[int]:
    """'8,16' → [8, 16]."""
    return [int(part) for part in text.split(",") if part.strip()]


if __name__ == "__main__":
    sys.exit(main())
