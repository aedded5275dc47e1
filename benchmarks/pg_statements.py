"""What the event day's cycles ask of PostgreSQL: their statements, counted from the server's log.

On a throwaway cluster (postgres.py's, whose log this can read) with `log_statement = all`, one
`division-bell poll` runs the event day's cold cycle and then its 10%-changed cycle (event_day.py's
farm), and the statements each cycle sent are counted: in all, by verb, and the most frequent
texts. Every statement is a round trip to the server, where SQLite makes a call in the process;
logging them slows the cycles, so this is apart from postgres.py's timings.

`python -m benchmarks.pg_statements [--feeds 200] [--top 6]`
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.common import EVENT_PLAN, Step
from benchmarks.farm import Farm
from benchmarks.postgres import BenchServer, postgres_server
from benchmarks.proctree import ProcessRun
from benchmarks.reader_side import ours_command, run_plan
from benchmarks.replica_delivery import DATABASE_ENV

# "LOG:  statement: SELECT …" (simple protocol) or "LOG:  execute <name>: SELECT …" (asyncpg's).
LOGGED = re.compile(r"LOG:  (?:statement|execute [^:]*): (.*)")


@dataclass
class CycleStatements:
    """One cycle's statements."""

    kind: str
    total: int = 0
    verbs: Counter[str] = field(default_factory=Counter)  # INSERT, SELECT, …
    texts: Counter[str] = field(default_factory=Counter)  # each statement's first 100 characters


def count_statements(server: BenchServer, folder: Path, *, feeds: int) -> list[CycleStatements]:
    """Run the event day's plan once on a fresh database with every statement logged."""
    if server.log is None:
        raise RuntimeError("counting statements needs the throwaway cluster (its log), not --dsn")
    log = server.log
    server.admin("ALTER SYSTEM SET log_statement = 'all'", "SELECT pg_reload_conf()")
    offsets = [log.stat().st_size]

    def note(_step: Step, _run: ProcessRun) -> None:
        offsets.append(log.stat().st_size)

    dsn = server.create()
    try:
        with Farm(feeds, corpus="event-day") as farm:
            command = ours_command(farm, folder, database_env=DATABASE_ENV)
            run_plan(
                farm,
                folder,
                command,
                "postgresql",
                EVENT_PLAN,
                extra_env={DATABASE_ENV: dsn},
                after_step=note,
            )
    finally:
        server.drop(dsn)
        server.admin("ALTER SYSTEM RESET log_statement", "SELECT pg_reload_conf()")
    text = log.read_bytes()
    found = []
    for index, step in enumerate(EVENT_PLAN):
        cycle = CycleStatements(step.kind)
        chunk = text[offsets[index] : offsets[index + 1]].decode(errors="replace")
        for line in chunk.splitlines():
            logged = LOGGED.search(line)
            if logged is None:
                continue
            statement = logged.group(1).strip()
            cycle.total += 1
            verb = statement.split(None, 1)[0] if statement else "(empty)"
            cycle.verbs[verb.rstrip(";").upper()] += 1
            cycle.texts[statement[:100]] += 1
        found.append(cycle)
    return found


def render(cycles: list[CycleStatements], top: int) -> list[str]:
    """The counts as Markdown lines."""
    out = ["### Statements a `poll` sends PostgreSQL, event day\n"]
    for cycle in cycles:
        verbs = ", ".join(f"{verb} {count:,}" for verb, count in cycle.verbs.most_common())
        out.append(f"- {cycle.kind}: {cycle.total:,} statements ({verbs}); the most frequent:")
        out += [f"  - {count:,} × `{text}`" for text, count in cycle.texts.most_common(top)]
    return out


def main(argv: list[str] | None = None) -> int:
    """Count and print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--top", type=int, default=6, help="most frequent statements to show")
    parser.add_argument("--workdir", help="where the config and logs go (default: a temp dir)")
    args = parser.parse_args(argv)
    folder = Path(args.workdir or tempfile.mkdtemp(prefix="division-bell-pg-statements-"))
    with postgres_server(existing_allowed=False) as server:
        cycles = count_statements(server, folder, feeds=args.feeds)
    print("\n".join(render(cycles, args.top)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
