"""Prometheus metrics for `run`: fed by the pipeline's observer callbacks, served on /metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.domain import Destination
from bot.pipeline.poller import PollOutcome
from bot.store import outbox
from bot.store.sql import Store

LAG_TICK_S = 0.5
_PREFIX = "division_bell_"


class Metrics:
    """The service's metrics in a registry of their own (never the process-global one)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()

        def counter(name: str, doc: str, labels: Iterable[str]) -> Counter:
            return Counter(_PREFIX + name, doc, list(labels), registry=self.registry)

        self.polls = counter("polls", "Feed polls, by feed and outcome.", ["feed", "outcome"])
        self.fetch_errors = counter("fetch_errors", "Failed feed polls, by feed.", ["feed"])
        self.not_modified = counter(
            "not_modified", "Polls that found a feed unchanged (304 or same body).", ["feed"]
        )
        self.headlines_seen = counter(
            "headlines_seen", "New feed entries recorded, by feed.", ["feed"]
        )
        self.alerts = counter("alerts", "Events that alerted, by category.", ["category"])
        self.breaking = Counter(
            _PREFIX + "events_breaking",
            "Events marked breaking: many outlets within minutes of first being seen.",
            registry=self.registry,
        )
        self.sends = counter(
            "sends", "Send attempts, by destination and outcome.", ["destination", "outcome"]
        )
        self.send_latency = Histogram(
            _PREFIX + "send_seconds",
            "Time one send to a chat API took, by destination kind.",
            ["kind"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.outbox_depth = Gauge(
            _PREFIX + "outbox_depth", "Alerts waiting to be sent.", registry=self.registry
        )
        self.loop_lag = Histogram(
            _PREFIX + "event_loop_lag_seconds",
            "How late the event loop ran a timer: time stolen by blocking code.",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
            registry=self.registry,
        )
        self.last_poll = Gauge(
            _PREFIX + "last_poll_timestamp_seconds",
            "Unix time of the last finished poll.",
            registry=self.registry,
        )
        self.leader_changes = Counter(
            _PREFIX + "leader_changes",
            "Times this process became the leader (the replica that polls).",
            registry=self.registry,
        )
        self.leader = Gauge(
            _PREFIX + "leader",
            "1 while this process is the leader, 0 as a replica.",
            registry=self.registry,
        )

    def role_changed(self, leading: bool) -> None:
        """Count a change of leader seen here, and show this process's role."""
        if leading:
            self.leader_changes.inc()
        self.leader.set(1 if leading else 0)

    def know_feeds(self, names: Iterable[str]) -> None:
        """Start each feed's series at zero, so dashboards see a feed before its first error."""
        for name in names:
            self.fetch_errors.labels(feed=name)
            self.not_modified.labels(feed=name)
            self.headlines_seen.labels(feed=name)

    def polled(self, outcome: PollOutcome) -> None:
        """Count one poll (the Poller's observer)."""
        self.polls.labels(feed=outcome.feed, outcome=outcome.status).inc()
        if outcome.status == "failed":
            self.fetch_errors.labels(feed=outcome.feed).inc()
        elif outcome.status == "not_modified":
            self.not_modified.labels(feed=outcome.feed).inc()
        if outcome.new:
            self.headlines_seen.labels(feed=outcome.feed).inc(outcome.new)
        for category in outcome.categories:
            self.alerts.labels(category=category).inc()
        if outcome.breaking:
            self.breaking.inc(outcome.breaking)
        if outcome.status != "deferred":
            self.last_poll.set_to_current_time()

    def sent(self, destination: Destination, outcome: str, seconds: float) -> None:
        """Count one send and its latency (the Deliverer's observer)."""
        self.sends.labels(destination=destination.label, outcome=outcome).inc()
        self.send_latency.labels(kind=destination.kind).observe(seconds)

    async def render(self, db: Store | None) -> bytes:
        """The exposition text, with gauges read from the database just now (when open)."""
        if db is not None:
            self.outbox_depth.set(await outbox.depth(db.conn))
        return generate_latest(self.registry)

    async def watch_loop_lag(self, tick: float = LAG_TICK_S) -> None:
        """Run until cancelled: how much later than asked each timer fires is the loop's lag."""
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(tick)
            self.loop_lag.observe(max(loop.time() - started - tick, 0.0))
