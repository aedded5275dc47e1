"""APScheduler wiring for `run`: one job per feed, a delivery worker, a clean stop on signals."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import random
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import Runtime, open_runtime
from bot.config import Settings
from bot.domain import FeedSource
from bot.errors import StorageError
from bot.http_server import create_app, start_site

log = logging.getLogger(__name__)

IDLE_CHECK_S = 30.0  # the delivery worker looks for due retries at least this often
STOP_GRACE_S = 10.0


class RunLock:
    """One `run` per database: an flock the OS releases if the holder dies."""

    def __init__(self, db_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + ".run.lock")
        self._handle: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise StorageError saying another `run` holds it."""
        import os  # noqa: PLC0415 - only the service needs raw file descriptors

        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            raise StorageError(
                f"{self.path.parent}: another `division-bell run` is already using this database"
            ) from None
        self._handle = handle

    def release(self) -> None:
        """Drop the lock."""
        import os  # noqa: PLC0415

        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            os.close(self._handle)
            self._handle = None


class Service:
    """The long-running service: scheduled polls feeding a delivery worker."""

    def __init__(self, runtime: Runtime, *, rng: random.Random | None = None) -> None:
        self.runtime = runtime
        self.rng = rng or random.Random()
        self.wake = asyncio.Event()
        self.stopping = asyncio.Event()
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.polls_in_flight: set[asyncio.Task[object]] = set()
        self.started_at = datetime.now(UTC)
        self.last_poll_at: datetime | None = None

    def schedule(self) -> None:
        """One job per feed: first poll staggered within the jitter, then every interval."""
        now = datetime.now(UTC)
        jitter = self.runtime.settings.polling.jitter
        for feed in self.runtime.settings.feeds:
            interval = self.runtime.poller.interval(feed)
            first = now + timedelta(seconds=self.rng.uniform(0, interval * jitter))
            self.scheduler.add_job(
                self.poll_job,
                "interval",
                args=[feed],
                id=f"poll:{feed.name}",
                seconds=interval,
                jitter=interval * jitter or None,
                next_run_time=first,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=int(interval),
            )

    async def poll_job(self, feed: FeedSource) -> None:
        """Poll one feed; wake the delivery worker when it queued alerts."""
        if self.stopping.is_set():
            return
        task = asyncio.current_task()
        if task is not None:
            self.polls_in_flight.add(task)
        try:
            outcome = await self.runtime.poller.poll_feed(feed, skip_backing_off=True)
        except Exception:
            # A bug must not kill the job for good; the next interval tries again.
            log.exception("feed %s: poll crashed", feed.name)
            return
        finally:
            if task is not None:
                self.polls_in_flight.discard(task)
        self.last_poll_at = datetime.now(UTC)
        if outcome.alerts:
            self.wake.set()

    async def delivery_worker(self) -> None:
        """Send what is due, then sleep until woken by a poll or the next retry is due."""
        deliverer = self.runtime.deliverer
        while not self.stopping.is_set():
            self.wake.clear()
            try:
                await deliverer.deliver_due()
                wait = await deliverer.seconds_to_next_due()
            except Exception:
                log.exception("delivery pass crashed; retrying shortly")
                wait = 5.0
            timeout = IDLE_CHECK_S if wait is None else min(max(wait, 0.05), IDLE_CHECK_S)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=timeout)

    async def serve(self) -> None:
        """Run until SIGTERM or SIGINT, then stop cleanly."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        self.schedule()
        self.scheduler.start()
        worker = asyncio.create_task(self.delivery_worker(), name="delivery")
        log.info(
            "running: %d feeds, destinations synced; stop with Ctrl-C or SIGTERM",
            len(self.runtime.settings.feeds),
        )
        await self.stopping.wait()
        log.info("stopping: finishing in-flight sends")
        self.scheduler.shutdown(wait=False)
        if self.polls_in_flight:
            # A poll mid-transaction commits or rolls back as a whole; let it finish.
            await asyncio.wait(self.polls_in_flight, timeout=STOP_GRACE_S)
        self.wake.set()
        try:
            await asyncio.wait_for(worker, timeout=STOP_GRACE_S)
        except TimeoutError:
            log.warning("in-flight sends did not finish within %ss; they stay queued", STOP_GRACE_S)

    async def health(self) -> tuple[bool, dict[str, Any]]:
        """Healthy when the database answers, every transport is up and polls are recent."""
        details: dict[str, Any] = {}
        try:
            async with self.runtime.db.conn.execute("SELECT 1") as cursor:
                await cursor.fetchone()
            details["database"] = "ok"
        except Exception as exc:
            details["database"] = f"error: {exc}"
        details["transports"] = {t.name: t.connected for t in self.runtime.transports}
        last = self.last_poll_at
        details["last_poll"] = last.isoformat() if last else None
        interval = self.runtime.settings.polling.interval
        recent = last is not None and (datetime.now(UTC) - last).total_seconds() <= 3 * interval
        starting = (datetime.now(UTC) - self.started_at).total_seconds() <= 3 * interval
        healthy = (
            details["database"] == "ok"
            and all(details["transports"].values())
            and (recent or (last is None and starting))
        )
        return healthy, details

    def stop(self) -> None:
        """Ask the service to stop (signal-safe)."""
        self.stopping.set()
        self.wake.set()


async def run_service(settings: Settings) -> int:
    """`division-bell run`."""
    lock = RunLock(settings.storage.path)
    lock.acquire()
    holder: list[Service] = []

    async def health() -> tuple[bool, dict[str, Any]]:
        return await holder[0].health() if holder else (False, {"starting": True})

    http_app = create_app(health)
    try:
        async with open_runtime(settings, http_app=http_app) as runtime:
            service = Service(runtime)
            holder.append(service)
            for transport in runtime.transports:
                await transport.start()
            runner = await start_site(http_app, settings.http_listen)
            try:
                await service.serve()
            finally:
                await runner.cleanup()
    finally:
        lock.release()
    log.info("stopped")
    return 0
