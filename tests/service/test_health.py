"""/healthz over loopback: 200 only when the database, every transport and polling are fine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bot.service.health import HealthMonitor
from bot.service.http_server import create_app, start_site
from bot.store.opening import open_store
from bot.store.sql import Store

INTERVAL = 300.0
START = datetime(2024, 1, 2, 9, 0, tzinfo=UTC)


@dataclass
class FakeTransport:
    name: str
    connected: bool = True


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


async def get_health(monitor: HealthMonitor) -> tuple[int, dict[str, Any]]:
    runner = await start_site(create_app(monitor.check), "127.0.0.1:0")
    try:
        port = runner.addresses[0][1]
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/healthz") as reply,
        ):
            return reply.status, await reply.json()
    finally:
        await runner.cleanup()


async def test_healthy_after_a_recent_poll(db: Store) -> None:
    clock = Clock()
    monitor = HealthMonitor(db, [FakeTransport("discord")], INTERVAL, clock=clock)
    clock.now += timedelta(seconds=10)
    monitor.polled()
    clock.now += timedelta(seconds=2 * INTERVAL)
    status, body = await get_health(monitor)
    assert status == 200
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["transports"] == {"discord": "connected"}
    assert body["polling"] == "ok"
    assert body["last_poll"] == (START + timedelta(seconds=10)).isoformat()


async def test_healthy_while_the_first_polls_are_still_due(db: Store) -> None:
    clock = Clock()
    monitor = HealthMonitor(db, [], INTERVAL, clock=clock)
    clock.now += timedelta(seconds=INTERVAL)
    status, body = await get_health(monitor)
    assert (status, body["polling"]) == (200, "starting")


async def test_503_when_the_database_does_not_answer(tmp_path: Path, store_url: str | None) -> None:
    database = await open_store(tmp_path / "db.sqlite3", store_url)
    monitor = HealthMonitor(database, [], INTERVAL)
    monitor.polled()
    await database.close()
    status, body = await get_health(monitor)
    assert status == 503
    assert body["status"] == "unhealthy"
    assert body["database"].startswith("error:")
    assert body["polling"] == "ok"


async def test_503_when_an_enabled_transport_is_disconnected(db: Store) -> None:
    transports = [FakeTransport("discord"), FakeTransport("slack", connected=False)]
    monitor = HealthMonitor(db, transports, INTERVAL)
    monitor.polled()
    status, body = await get_health(monitor)
    assert status == 503
    assert body["transports"] == {"discord": "connected", "slack": "disconnected"}
    assert body["database"] == "ok"


async def test_503_when_the_last_poll_is_older_than_three_intervals(db: Store) -> None:
    clock = Clock()
    monitor = HealthMonitor(db, [], INTERVAL, clock=clock)
    monitor.polled()
    clock.now += timedelta(seconds=3 * INTERVAL + 1)
    status, body = await get_health(monitor)
    assert status == 503
    assert body["polling"] == f"no poll for {int(3 * INTERVAL + 1)}s"


async def test_503_when_nothing_has_polled_three_intervals_after_start(db: Store) -> None:
    clock = Clock()
    monitor = HealthMonitor(db, [], INTERVAL, clock=clock)
    clock.now += timedelta(seconds=3 * INTERVAL + 1)
    status, body = await get_health(monitor)
    assert status == 503
    assert body["last_poll"] is None
    assert body["polling"].startswith("no poll")
