"""APScheduler wiring for `run`: one job per feed, a delivery worker, a clean stop on signals."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import random
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import USER_AGENT
from bot.app import Runtime, open_runtime, settle_heap
from bot.config import Settings
from bot.delivery.holding import release_held
from bot.domain import FeedSource
from bot.errors import StorageError
from bot.service.db_outage import DatabaseOutage
from bot.service.health import HealthMonitor
from bot.service.http_server import create_app, start_site
from bot.service.leadership import Leadership
from bot.service.metrics import Metrics
from bot.service.ops_notices import CHECK_EVERY_S, OpsNotifier
from bot.store import retention
from bot.store.connection import prepare_folder

log = logging.getLogger(__name__)

IDLE_CHECK_S = 30.0  # the delivery worker looks for due retries at least this often
STOP_GRACE_S = 10.0
PRUNE_EVERY_S = 86_400.0
RELEASE_EVERY_S = 60.0  # digests are set to the minute; quiet hours end on one
PRUNE_FIRST_S = 300.0  # after start, so a restart loop still prunes, but never during startup


class RunLock:
    """One `run` per database: an flock the OS releases if the holder dies."""

    def __init__(self, db_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + ".run.lock")
        self._handle: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise StorageError saying another `run` holds it."""
        import os  # noqa: PLC0415 - only the service needs raw file descriptors

        prepare_folder(self.path)
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

    def __init__(
        self,
        runtime: Runtime,
        *,
        rng: random.Random | None = None,
        metrics: Metrics | None = None,
        ops: OpsNotifier | None = None,
    ) -> None:
        self.runtime = runtime
        self.rng = rng or random.Random()
        self.metrics = metrics
        self.ops = ops
        self.wake = asyncio.Event()
        self.stopping = asyncio.Event()
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.polls_in_flight: set[asyncio.Task[object]] = set()
        intervals = [runtime.poller.interval(f) for f in runtime.settings.feeds]
        self.monitor = HealthMonitor(
            runtime.db,
            runtime.transports,
            min(intervals, default=runtime.settings.polling.interval),
        )
        self.leadership = Leadership(runtime.db.leader_lock(), self._role_changed)
        self.outage = DatabaseOutage(runtime.db.location)

    @property
    def leading(self) -> bool:
        """This process polls, decides and keeps house; a replica only delivers."""
        return self.leadership.leading and not self.stopping.is_set()

    def _role_changed(self, leading: bool) -> None:
        self.monitor.role_changed(self.leadership.role)
        if self.metrics is not None:
            self.metrics.role_changed(leading)
        if leading and self.scheduler.running:
            # A replica taking over polls every feed at once: the old leader may have died
            # mid-interval, and its last polls are the newest news anyone has read.
            now = datetime.now(UTC)
            for feed in self.runtime.settings.feeds:
                self.scheduler.modify_job(f"poll:{feed.name}", next_run_time=now)

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
        self._every(
            self.prune_job,
            "maintenance:prune",
            PRUNE_EVERY_S,
            now + timedelta(seconds=PRUNE_FIRST_S),
        )
        self._every(
            self.release_job,
            "control:release",
            RELEASE_EVERY_S,
            now + timedelta(seconds=RELEASE_EVERY_S),
        )
        if self.runtime.confirmer is not None:
            every = self.runtime.settings.polling.interval
            self._every(
                self.confirm_job, "parliament:confirm", every, now + timedelta(seconds=every)
            )
        if self.ops is not None:
            self._every(self.ops_job, "ops:check", CHECK_EVERY_S, now)

    def _every(
        self, job: Callable[[], Awaitable[object]], job_id: str, seconds: float, first: datetime
    ) -> None:
        """A housekeeping job every `seconds` from `first`: never two at once, misses merged."""
        self.scheduler.add_job(
            job,
            "interval",
            id=job_id,
            seconds=seconds,
            next_run_time=first,
            max_instances=1,
            coalesce=True,
        )

    async def queued(self) -> None:
        """This process queued messages: wake its delivery worker and every replica's."""
        self.wake.set()
        await self.runtime.db.announce_outbox()

    async def poll_job(self, feed: FeedSource) -> None:
        """Poll one feed (the leader only); wake the delivery worker when it queued alerts or
        updates."""
        if not self.leading:
            return
        task = asyncio.current_task()
        if task is not None:
            self.polls_in_flight.add(task)
        try:
            outcome = await self.runtime.poller.poll_feed(feed, skip_backing_off=True)
        except StorageError as exc:
            self.outage.failed(exc, f"polling feed {feed.name}")
            return
        except Exception:
            # A bug must not kill the job for good; the next interval tries again.
            log.exception("feed %s: poll crashed", feed.name)
            return
        finally:
            if task is not None:
                self.polls_in_flight.discard(task)
        self.outage.answered()
        self.monitor.polled()
        if outcome.alerts or outcome.queued:
            await self.queued()

    async def prune_job(self) -> retention.Pruned | None:
        """Daily: forget headlines gone from their feeds for retention_days, and old sends."""
        if not self.leading:
            return None
        settings = self.runtime.settings
        days = settings.storage.retention_days
        try:
            pruned = await retention.prune(
                self.runtime.db,
                cutoff=datetime.now(UTC) - timedelta(days=days),
                configured=[feed.name for feed in settings.feeds],
            )
        except Exception:
            log.exception("retention: pruning failed; trying again tomorrow")
            return None
        log.info(
            "retention: pruned %d headlines, %d stories and %d sent alerts older than %d days",
            pruned.headlines,
            pruned.stories,
            pruned.outbox,
            days,
        )
        return pruned

    async def release_job(self) -> None:
        """Every minute: send what quiet hours, mutes and digests held once its time has come
        (a digest on the minute it is due); wake the delivery worker if anything was queued."""
        if not self.leading:
            return
        deliverer = self.runtime.deliverer
        try:
            queued = await release_held(self.runtime.db, now=deliverer.clock(), zone=deliverer.zone)
        except Exception:
            log.exception("channel control: releasing held messages failed; trying again")
            return
        if queued:
            await self.queued()

    async def confirm_job(self) -> None:
        """Every [polling] interval: ask Parliament about the open party watches, beside the
        polls and the delivery worker, never in their way; wake the worker if it confirmed any."""
        confirmer = self.runtime.confirmer
        if confirmer is None or not self.leading:
            return
        if await confirmer.check():  # never raises
            await self.queued()

    async def ops_job(self) -> None:
        """Every minute: tell the ops webhook about new problems and recoveries."""
        if self.ops is None or not self.leading:
            return
        try:
            await self.ops.check()
        except Exception:
            log.exception("ops: check crashed; trying again next minute")

    async def delivery_worker(self) -> None:
        """Send what is due, then sleep until woken by a poll or the next retry is due."""
        deliverer = self.runtime.deliverer
        while not self.stopping.is_set():
            self.wake.clear()
            try:
                report = await deliverer.deliver_due()
                if report.failed and self.ops is not None and not self.stopping.is_set():
                    # A subscription just broke: tell ops now rather than at the next minute.
                    self.scheduler.modify_job("ops:check", next_run_time=datetime.now(UTC))
                wait = await deliverer.seconds_to_next_due()
                self.outage.answered()
            except StorageError as exc:
                self.outage.failed(exc, "delivering")
                wait = 5.0
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
        await self.leadership.check()  # SQLite leads at once; a replica starts by delivering
        if not self.leadership.leading:
            log.info("replica: another process leads (polls); this one delivers and answers")
            self._role_changed(False)
        self.schedule()
        self.scheduler.start()
        worker = asyncio.create_task(self.delivery_worker(), name="delivery")
        leading = asyncio.create_task(self.leadership.watch(self.stopping), name="leadership")
        listening = asyncio.create_task(
            self.runtime.db.listen_outbox(self.wake.set, self.stopping), name="outbox-listen"
        )
        lag = None
        if self.metrics is not None:
            lag = asyncio.create_task(self.metrics.watch_loop_lag(), name="loop-lag")
        log.info(
            "running: %d feeds, destinations synced; stop with Ctrl-C or SIGTERM",
            len(self.runtime.settings.feeds),
        )
        await self.stopping.wait()
        log.info("stopping: finishing in-flight sends")
        self.scheduler.shutdown(wait=False)
        if lag is not None:
            lag.cancel()
        if self.polls_in_flight:
            # A poll mid-transaction commits or rolls back as a whole; let it finish.
            await asyncio.wait(self.polls_in_flight, timeout=STOP_GRACE_S)
        self.wake.set()
        try:
            await asyncio.wait_for(worker, timeout=STOP_GRACE_S)
        except TimeoutError:
            log.warning("in-flight sends did not finish within %ss; they stay queued", STOP_GRACE_S)
        await leading  # lets the leader lock go, so a replica takes over at once
        await listening

    async def health(self) -> tuple[bool, dict[str, Any]]:
        """Healthy when the database answers, every transport is up and polls are recent."""
        return await self.monitor.check()

    def stop(self) -> None:
        """Ask the service to stop (signal-safe)."""
        self.stopping.set()
        self.wake.set()


def _utcnow() -> datetime:
    return datetime.now(UTC)


async def run_service(settings: Settings) -> int:
    """`division-bell run`."""
    # SQLite: one `run` per file. PostgreSQL: any number of replicas; the leader lock decides.
    lock = None if settings.storage.url else RunLock(settings.storage.path)
    if lock is not None:
        prepare_folder(settings.storage.path)  # named after the database, not its lock file
        lock.acquire()
    holder: list[Service] = []
    metrics = Metrics()
    metrics.know_feeds(feed.name for feed in settings.feeds)

    async def health() -> tuple[bool, dict[str, Any]]:
        return await holder[0].health() if holder else (False, {"starting": True})

    async def render_metrics() -> bytes:
        return await metrics.render(holder[0].runtime.db if holder else None)

    http_app = create_app(health, render_metrics)
    try:
        async with (
            open_runtime(
                settings,
                http_app=http_app,
                on_poll=metrics.polled,
                on_send=metrics.sent,
                long_running=True,
            ) as runtime,
            aiohttp.ClientSession(headers={"User-Agent": USER_AGENT}) as ops_session,
        ):
            ops = None
            if settings.ops is not None:
                ops = OpsNotifier(runtime.db, settings, settings.ops, ops_session, clock=_utcnow)
            service = Service(runtime, metrics=metrics, ops=ops)
            settle_heap()
            holder.append(service)
            for transport in runtime.transports:
                await transport.start()
            runner = await start_site(http_app, settings.http_listen)
            try:
                await service.serve()
            finally:
                await runner.cleanup()
    finally:
        if lock is not None:
            lock.release()
    log.info("stopped")
    return 0
