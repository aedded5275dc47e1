"""Delivery throughput with 1 and 2 `division-bell run` replicas on one PostgreSQL database.

A loopback chat stand-in (receiver.py) answers every webhook post after `send_delay` seconds (a
chat API's round trip). For each trial, on a fresh database: start the replicas (real `run`
processes, as tests/scenarios/test_replicas.py runs them: DATABASE_URL, DIVISION_BELL_HTTP_LISTEN,
DIVISION_BELL_DATA), wait until each answers /healthz and LISTENs for outbox notices, then queue
`events` alerts for every one of `destinations` webhooks in one transaction (each event fanned
out to every channel, as the poller queues them) and NOTIFY as the leader does. The trial's time
runs from just before that transaction to the last `sent_at` once no row is pending; the rate is
messages over that time.

Also recorded per trial: how many rows each replica sent (outbox.lease_owner), the most posts
the stand-in was answering at once, and how many posts reached a channel after a later alert of
that channel had (out of order).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import statistics
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from benchmarks.common import free_port, start_service, stop_service, table, write_config
from benchmarks.proctree import bench_env
from benchmarks.receiver import Receiver
from bot.delivery.messages import dump_message
from bot.domain import Alert, CategoryInfo
from bot.store import destinations as destination_store
from bot.store import outbox
from bot.store.postgres import PostgresDatabase

DATABASE_ENV = "DATABASE_URL"
START_TIMEOUT_S = 60.0
DRAIN_TIMEOUT_S = 300.0
CATEGORY = CategoryInfo("defection", "Defection", "🔀", 0x8E44AD, "An MP changes party")
SEQUENCE = re.compile(r"bench-seq-(\d+)")


@dataclass(frozen=True, slots=True)
class Trial:
    """One drain of the outbox by `replicas` processes."""

    replicas: int
    messages: int
    seconds: float  # from queuing to the last send
    per_replica: tuple[int, ...]  # rows each process sent, most first
    most_in_flight: int  # posts the stand-in was answering at once, at most
    out_of_order: int  # posts that reached a channel after a later alert of that channel
    replica_cpu: float  # CPU seconds the replicas used while draining, together
    server_cpu: float | None  # the PostgreSQL server's meanwhile (None: not our server)
    received: int  # posts the stand-in received (more than `messages`: some sent twice)

    @property
    def rate(self) -> float:
        """Messages a second."""
        return self.messages / self.seconds


@dataclass
class DeliveryFigures:
    """Every trial, by replica count."""

    events: int
    destinations: int
    send_delay: float
    repeats: int
    trials: list[Trial] = field(default_factory=list)

    def rates(self, replicas: int) -> list[float]:
        """Messages a second of every trial with this many replicas."""
        return [t.rate for t in self.trials if t.replicas == replicas]

    @property
    def ratio(self) -> float | None:
        """The 2-replica median rate over the 1-replica median rate."""
        one, two = self.rates(1), self.rates(2)
        if not one or not two:
            return None
        return statistics.median(two) / statistics.median(one)


class Replica:
    """One `division-bell run` process on the shared database, in a folder of its own."""

    def __init__(self, folder: Path, config: Path, database_url: str) -> None:
        self.folder = folder
        self.config = config
        self.port = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        env = bench_env(folder / "data")
        env |= {DATABASE_ENV: database_url, "DIVISION_BELL_HTTP_LISTEN": f"127.0.0.1:{self.port}"}
        self.process: subprocess.Popen[bytes] = start_service(folder, config, env)

    def role(self) -> str | None:
        """What its /healthz says it is ("leader" or "replica"), or None before it answers."""
        url = f"http://127.0.0.1:{self.port}/healthz"
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                return str(json.load(reply).get("role"))
        except urllib.error.HTTPError as exc:  # unhealthy (no poll yet) still says its role
            return str(json.load(exc).get("role"))
        except (OSError, ValueError):
            return None

    def stop(self) -> int:
        """SIGTERM and wait; its exit status."""
        return stop_service(self.process)


def run_delivery(
    server_dsn: Callable[[], str],
    drop: Callable[[str], None],
    folder: Path,
    *,
    server_cpu: Callable[[], float | None] = lambda: None,
    events: int = 50,
    destinations: int = 8,
    send_delay: float = 0.1,
    repeats: int = 3,
    counts: Sequence[int] = (1, 2),
) -> DeliveryFigures:
    """Drain `events` × `destinations` alerts with each replica count, `repeats` times,
    alternating; each trial on a new database from `server_dsn()`, dropped after with `drop`
    (`server_cpu()`: the server's CPU seconds so far, when known)."""
    figures = DeliveryFigures(events, destinations, send_delay, repeats)
    receiver = Receiver(delay=send_delay)
    try:
        hooks = [receiver.url_for(f"/slack/channel-{n}") for n in range(destinations)]
        feed = receiver.url_for("/feed.xml")  # the leader polls something quiet
        for number in range(repeats):
            for replicas in counts:
                place = folder / f"delivery-{number}-{replicas}"
                dsn = server_dsn()
                try:
                    trial = _trial(
                        place,
                        dsn,
                        receiver=receiver,
                        hooks=hooks,
                        feed=feed,
                        replicas=replicas,
                        events=events,
                        server_cpu=server_cpu,
                    )
                finally:
                    drop(dsn)
                figures.trials.append(trial)
    finally:
        receiver.stop()
    return figures


def _trial(
    folder: Path,
    dsn: str,
    *,
    receiver: Receiver,
    hooks: list[str],
    feed: str,
    replicas: int,
    events: int,
    server_cpu: Callable[[], float | None],
) -> Trial:
    """Start the replicas, queue the alerts, wait for the outbox to drain, stop them."""
    folder.mkdir(parents=True, exist_ok=True)
    config = write_config(folder, [feed], interval=3600, database_env=DATABASE_ENV, webhooks=hooks)
    running = [Replica(folder / f"replica-{n}", config, dsn) for n in range(replicas)]
    try:
        _wait_until_ready(running, dsn, len(hooks))
        receiver.reset()
        cpu_before, server_before = sum(process_cpu(r.process.pid) for r in running), server_cpu()
        started, ended, per_replica = asyncio.run(_queue_and_drain(dsn, events))
        replica_cpu = sum(process_cpu(r.process.pid) for r in running) - cpu_before
        server_after = server_cpu()
        most_in_flight = receiver.most_in_flight
        out_of_order = sum(_late(bodies) for bodies in receiver.by_path.values())
        received = sum(len(bodies) for bodies in receiver.by_path.values())
    finally:
        statuses = [replica.stop() for replica in running]
    if any(statuses):
        raise RuntimeError(f"a replica exited {statuses}; see {folder}/replica-*/run.log")
    messages = events * len(hooks)
    server_used = None
    if server_before is not None and server_after is not None:
        server_used = server_after - server_before
    return Trial(
        replicas,
        messages,
        ended - started,
        per_replica,
        most_in_flight,
        out_of_order,
        replica_cpu,
        server_used,
        received,
    )


def _wait_until_ready(running: list[Replica], dsn: str, destinations: int) -> None:
    """Every replica answers /healthz, one leads, all LISTEN, and the webhooks are synced."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        for replica in running:
            if replica.process.poll() is not None:
                raise RuntimeError(f"a replica exited at start; see {replica.folder}/run.log")
        roles = sorted(replica.role() or "" for replica in running)
        if roles == ["leader", *["replica"] * (len(running) - 1)]:
            listeners, synced = asyncio.run(_listeners_and_destinations(dsn))
            if listeners >= len(running) and synced >= destinations:
                return
        time.sleep(0.2)
    raise RuntimeError(f"replicas not ready within {START_TIMEOUT_S:.0f} s")


async def _listeners_and_destinations(dsn: str) -> tuple[int, int]:
    """Sessions on this database LISTENing for outbox notices, and active destinations."""
    conn = await asyncpg.connect(dsn)
    try:
        listeners = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND query ILIKE 'LISTEN%'"
        )
        synced = await conn.fetchval("SELECT count(*) FROM destinations WHERE active = 1")
        return int(listeners), int(synced)
    except asyncpg.UndefinedTableError:  # not migrated yet
        return 0, 0
    finally:
        await conn.close()


async def _queue_and_drain(dsn: str, events: int) -> tuple[float, float, tuple[int, ...]]:
    """Queue every alert and wake the replicas; (queued at, last sent at, rows per sender)."""
    db = await PostgresDatabase.open(dsn)
    try:
        targets = await destination_store.active_destinations(db.conn)
        now = datetime.now(UTC)
        rows = [
            (target.id, f"bench-{event}", dump_message(_alert(event, now)))
            for event in range(events)
            for target in targets
        ]
        started = time.time()
        async with db.transaction() as conn:
            await outbox.enqueue_many(conn, rows, now)
        await db.announce_outbox()
    finally:
        await db.close()
    conn = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        query = "SELECT count(*) FROM outbox WHERE status <> 'sent'"
        while await conn.fetchval(query):
            if time.monotonic() > deadline:
                raise RuntimeError(f"outbox not drained within {DRAIN_TIMEOUT_S:.0f} s")
            await asyncio.sleep(0.05)
        ended = await conn.fetchval("SELECT extract(epoch FROM max(sent_at)) FROM outbox")
        senders = await conn.fetch(
            "SELECT count(*) AS n FROM outbox GROUP BY lease_owner ORDER BY n DESC"
        )
    finally:
        await conn.close()
    return started, float(ended), tuple(int(row["n"]) for row in senders)


def process_cpu(pid: int) -> float:
    """CPU seconds process `pid` has used (user and system; its reaped children's too)."""
    fields = proc_stat(pid)
    return sum(fields[11:15]) / os.sysconf("SC_CLK_TCK") if fields else 0.0


def proc_stat(pid: int) -> list[int]:
    """/proc/PID/stat's numeric fields after the command name (index 1 is the parent's pid)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    fields = text.rsplit(")", 1)[1].split()
    return [int(v) if v.lstrip("-").isdigit() else 0 for v in fields]


def _alert(event: int, now: datetime) -> Alert:
    """Event number `event`'s alert; the number is in the title, to check the order sent."""
    return Alert(
        story_id=1_000_000 + event,
        title=f"Tory MP defects to Labour (bench-seq-{event:05d})",
        link=f"https://news.example/bench/{event}",
        summary="A benchmark alert, the length of a real summary. " * 3,
        outlet="Bench News",
        published=now,
        categories=(CATEGORY,),
        evidence=('title: "defects to Labour"',),
    )


def _late(bodies: list[str]) -> int:
    """Posts whose event number is below one this channel already received."""
    late, highest = 0, -1
    for body in bodies:
        found = SEQUENCE.search(body)
        if found is None:
            continue
        number = int(found.group(1))
        late += number < highest
        highest = max(highest, number)
    return late


def _per_message(seconds: list[float | None], messages: int) -> str:
    """The median of CPU seconds per message as milliseconds, or '—' when unknown."""
    known = [s for s in seconds if s is not None]
    return f"{statistics.median(known) / messages * 1000:.1f}" if known else "—"


def render(figures: DeliveryFigures) -> list[str]:
    """The section as Markdown lines."""
    rows = []
    for replicas in sorted({t.replicas for t in figures.trials}):
        trials = [t for t in figures.trials if t.replicas == replicas]
        rates = [t.rate for t in trials]
        seconds = [t.seconds for t in trials]
        rows.append(
            [
                replicas,
                f"{statistics.median(rates):.1f} ({min(rates):.1f}–{max(rates):.1f})",
                f"{statistics.median(seconds):.2f}",
                " / ".join("+".join(str(n) for n in t.per_replica) for t in trials),
                max(t.most_in_flight for t in trials),
                max(t.out_of_order for t in trials),
                f"{statistics.median(t.replica_cpu / t.messages * 1000 for t in trials):.1f}",
                _per_message([t.server_cpu for t in trials], trials[0].messages),
            ]
        )
    ratio = figures.ratio
    messages = figures.events * figures.destinations
    return [
        f"### Delivery: {messages} alerts ({figures.events} events × {figures.destinations} "
        "webhooks), a chat stand-in answering each post after "
        f"{figures.send_delay * 1000:.0f} ms\n",
        table(
            [
                "replicas",
                "messages/s, median (min–max)",
                "drain s, median",
                "rows sent by each replica, per trial",
                "most posts in flight",
                "out-of-order posts, worst trial",
                "replicas' CPU ms a message",
                "server CPU ms a message",
            ],
            rows,
        ),
        f"\n{figures.repeats} trials of each, alternating, each on a fresh database with freshly "
        "started `run` processes; 2 replicas ÷ 1: "
        + (f"**{ratio:.2f}×**" if ratio is not None else "—")
        + " (ratio of the medians). "
        + _received(figures.trials)
        + "\n",
    ]


def _received(trials: list[Trial]) -> str:
    """Whether every alert reached the stand-in once, as a sentence."""
    if all(t.received == t.messages for t in trials):
        return "Every alert reached the stand-in exactly once in every trial."
    counts = ", ".join(f"{t.received} of {t.messages}" for t in trials)
    return f"Posts the stand-in received, per trial: {counts}."
