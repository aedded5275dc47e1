"""Stage 7: the outbox → chat APIs, at least once: lease, send, record; retry what can be."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.delivery.holding import DEFAULT_ZONE, held_reason
from bot.delivery.leases import LeaseOwner, holder_is_dead
from bot.delivery.messages import Message
from bot.delivery.updates import EXHAUSTED, GONE, arm
from bot.delivery.updating import Outgoing, outgoing
from bot.domain import Alert, Destination, FollowUp
from bot.errors import DeliveryError, EditsExhausted, MessageGone
from bot.retry import bounded_wait
from bot.store import destinations as dest_store
from bot.store import holding, outbox
from bot.store import updates as update_store
from bot.store.sql import Conn, Store

log = logging.getLogger(__name__)

LEASE_S = 60.0  # a sender that died mid-send gives its rows back after this
MAX_BACKOFF_S = 300.0
BATCH = 100
PARALLEL_DESTINATIONS = 8
UPDATE_WAIT_S = 15.0  # an update whose alert is still queued looks again after this


# Told of every send: destination, outcome ("sent", "retry", "failed") and seconds taken.
SendObserver = Callable[[Destination, str, float], None]


class Sender(Protocol):
    """Posts one message to one destination; returns the platform's message id if it gives one."""

    async def __call__(self, destination: Destination, message: Message) -> str | None:
        """Send, or raise DeliveryError."""


class Editor(Protocol):
    """Updates an alert already sent: edits it in place, or replies in a thread under it.

    `remote_id` is what the Sender returned for the alert. Both raise DeliveryError; MessageGone
    when the alert was deleted (404), EditsExhausted when the platform takes no more edits.
    """

    async def edit(self, destination: Destination, remote_id: str, message: Alert) -> None:
        """Replace the sent alert's content with the event as it stands."""

    async def reply(
        self, destination: Destination, remote_id: str, message: FollowUp
    ) -> str | None:
        """Post in the thread under the sent alert (starting it if needed); return its id."""


@dataclass(slots=True)
class DeliveryReport:
    """What one delivery pass did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    held: int = 0  # kept back by quiet hours, a mute or a digest


def retry_delay(tries: int, retry_after: float | None, rng: random.Random) -> float:
    """Seconds before the next try: what the API asked for, else exponential backoff with jitter."""
    # Bounded here too, whoever built the error: an infinite or NaN wait cannot be a timedelta.
    wait = None if retry_after is None else bounded_wait(retry_after)
    if wait is not None:
        return wait
    return min(2.0 ** (tries - 1), MAX_BACKOFF_S) * rng.uniform(1.0, 1.25)


class Deliverer:
    """Sends due outbox rows through the sender for each destination kind."""

    def __init__(
        self,
        db: Store,
        senders: Mapping[str, Sender],
        *,
        editors: Mapping[str, Editor] | None = None,
        clock: Callable[[], datetime],
        rng: random.Random | None = None,
        on_send: SendObserver | None = None,
        zone: str = DEFAULT_ZONE,
    ) -> None:
        self.db = db
        self.zone = zone  # [display] timezone: quiet hours and digests of destinations without one
        self.senders = senders
        self.editors = editors or {}
        self.on_send = on_send
        self.clock = clock
        self.rng = rng or random.Random()
        self.owner = LeaseOwner.this_process()
        # PostgreSQL replicas share destinations out: each claims as many as it sends to at
        # once. SQLite has one sender, whose claims may span every destination.
        self._destinations_per_claim = PARALLEL_DESTINATIONS if db.backend == "postgresql" else None

    async def deliver_due(
        self, *, max_tries: int | None = None, within: float | None = None
    ) -> DeliveryReport:
        """Send everything due. With `within`, keep retrying for that many seconds, then stop."""
        report = DeliveryReport()
        tries: dict[int, int] = defaultdict(int)
        loop = asyncio.get_running_loop()
        deadline = None if within is None else loop.time() + within
        while True:
            async with self.db.transaction() as conn:
                await self._take_back_dead_leases(conn)
                rows = await outbox.claim_due(
                    conn,
                    now=self.clock(),
                    lease=LEASE_S,
                    limit=BATCH,
                    kinds=tuple(self.senders),
                    owner=str(self.owner),
                    destinations_max=self._destinations_per_claim,
                )
                destinations = {d.id: d for d in await dest_store.active_destinations(conn)}
            if rows:
                await self._send_rows(rows, destinations, tries, max_tries, report)
                continue
            if deadline is None:
                return report
            wait = await self._seconds_to_next_due()
            if wait is None or loop.time() + wait > deadline:
                return report
            await asyncio.sleep(max(wait, 0.01))

    async def _take_back_dead_leases(self, conn: Conn) -> None:
        for text in await outbox.lease_owners(conn, self.clock()):
            holder = LeaseOwner.parse(text)
            if holder is not None and holder_is_dead(holder, self.owner):
                count = await outbox.release_owner(conn, text)
                log.warning(
                    "took back %d sends leased by a sender that died (%s); they go out now",
                    count,
                    text,
                )

    async def seconds_to_next_due(self) -> float | None:
        """How long until the next pending row is due (None when nothing waits)."""
        return await self._seconds_to_next_due()

    async def _seconds_to_next_due(self) -> float | None:
        next_at = await outbox.next_due_at(self.db.conn, kinds=tuple(self.senders))
        if next_at is None:
            return None
        return max((next_at - self.clock()).total_seconds(), 0.0)

    async def _send_rows(
        self,
        rows: Sequence[outbox.OutboxRow],
        destinations: Mapping[int, Destination],
        tries: dict[int, int],
        max_tries: int | None,
        report: DeliveryReport,
    ) -> None:
        by_destination: dict[int, list[outbox.OutboxRow]] = defaultdict(list)
        for row in rows:
            by_destination[row.destination_id].append(row)
        limit = asyncio.Semaphore(PARALLEL_DESTINATIONS)

        async def one_destination(dest_id: int, queue: list[outbox.OutboxRow]) -> None:
            async with limit:
                for index, row in enumerate(queue):
                    tries[row.id] += 1
                    ok = await self._send_one(
                        row, destinations.get(dest_id), tries[row.id], max_tries, report
                    )
                    if not ok:
                        # Keep a destination's alerts in order: the rest wait for the retry.
                        await self._release(queue[index + 1 :], row.id)
                        return

        await asyncio.gather(*(one_destination(d, q) for d, q in by_destination.items()))

    async def _send_one(
        self,
        row: outbox.OutboxRow,
        destination: Destination | None,
        tries: int,
        max_tries: int | None,
        report: DeliveryReport,
    ) -> bool:
        if destination is None:  # removed or broken since the row was claimed
            await self._release([row], None)
            return True
        todo = await outgoing(self.db.conn, row)
        if todo.message is None:
            await self._nothing_to_send(row, todo)
            return True
        now = self.clock()
        reason = held_reason(destination, row, todo.action, todo.message, now=now, zone=self.zone)
        if reason is not None:
            async with self.db.transaction() as conn:
                await holding.hold(conn, row.id, reason)
            log.debug("destination %s: message %d held (%s)", destination.label, row.id, reason)
            report.held += 1
            return True
        started = time.monotonic()
        try:
            remote_id = await self._perform(destination, todo)
        except (MessageGone, EditsExhausted) as exc:
            await self._stopped(row, destination, exc)
            return True
        except DeliveryError as exc:
            self._observe(destination, "retry" if exc.retryable else "failed", started)
            await self._failed(
                row, destination, exc, tries=tries, max_tries=max_tries, report=report
            )
            # An update that fails holds back nothing: only alerts keep their order.
            return row.kind != "alert" and exc.retryable
        self._observe(destination, "sent", started)
        async with self.db.transaction() as conn:
            await outbox.mark_sent(conn, row.id, self.clock(), remote_id, todo.told_reports)
        report.sent += 1
        return True

    async def _perform(self, destination: Destination, todo: Outgoing) -> str | None:
        """Send, edit or reply, by the destination's sender or editor."""
        assert todo.message is not None  # noqa: S101 - checked by the caller
        editor = self.editors.get(destination.kind)
        if todo.action == "edit" and isinstance(todo.message, Alert):
            if editor is None:
                raise EditsExhausted(destination.label, "this destination cannot edit messages")
            await editor.edit(destination, todo.remote_id, todo.message)
            return None
        if todo.action == "reply" and isinstance(todo.message, FollowUp) and editor is not None:
            return await editor.reply(destination, todo.remote_id, todo.message)
        return await self.senders[destination.kind](destination, todo.message)

    async def _nothing_to_send(self, row: outbox.OutboxRow, todo: Outgoing) -> None:
        async with self.db.transaction() as conn:
            if todo.wait:
                # The alert is not out yet; it will show these reports itself when it is.
                later = self.clock() + timedelta(seconds=UPDATE_WAIT_S)
                await outbox.mark_retry(conn, row.id, later, "waiting for the alert to be sent")
            else:
                await outbox.mark_sent(conn, row.id, self.clock(), None)

    async def _stopped(
        self, row: outbox.OutboxRow, destination: Destination, exc: DeliveryError
    ) -> None:
        # A deleted alert, or one the platform will not edit again, is the message's fault, not
        # the destination's: this update stops; the channel keeps working.
        gone = isinstance(exc, MessageGone)
        log.warning(
            "destination %s: %s; %s",
            destination.label,
            exc.reason,
            "no more updates of that alert" if gone else "later reports come as follow-ups",
        )
        async with self.db.transaction() as conn:
            await update_store.stop_row(conn, row.id, GONE if gone else EXHAUSTED, exc.reason)
            if not gone and row.event_id is not None:
                await arm(conn, [row.event_id], now=self.clock(), edit_interval=0)

    def _observe(self, destination: Destination, outcome: str, started: float) -> None:
        if self.on_send is not None:
            self.on_send(destination, outcome, time.monotonic() - started)

    async def _failed(
        self,
        row: outbox.OutboxRow,
        destination: Destination,
        exc: DeliveryError,
        *,
        tries: int,
        max_tries: int | None,
        report: DeliveryReport,
    ) -> None:
        now = self.clock()
        if not exc.retryable:
            log.error(
                "destination %s: %s; marked broken, its alerts are held until it is fixed",
                destination.label,
                exc.reason,
            )
            async with self.db.transaction() as conn:
                # The row stays pending: a paused destination is never claimed, and when it is
                # fixed (re-subscribed) this alert goes out first, with the ones held behind it.
                await outbox.mark_retry(conn, row.id, now, exc.reason)
                await dest_store.mark_broken(conn, destination.id, exc.reason, now)
            report.failed += 1
            return
        delay = retry_delay(tries, exc.retry_after, self.rng)
        if max_tries is not None and tries >= max_tries:
            delay = max(delay, LEASE_S)
            log.warning(
                "destination %s: %s; gave up after %d tries this run, left queued",
                destination.label,
                exc.reason,
                tries,
            )
        else:
            log.warning(
                "destination %s: %s; retrying in %.1fs", destination.label, exc.reason, delay
            )
        async with self.db.transaction() as conn:
            await outbox.mark_retry(conn, row.id, now + timedelta(seconds=delay), exc.reason)
        report.retrying += 1

    async def _release(self, rows: Sequence[outbox.OutboxRow], after: int | None) -> None:
        if not rows:
            return
        async with self.db.transaction() as conn:
            not_before = self.clock()
            if after is not None:
                not_before = await outbox.next_attempt_of(conn, after) or not_before
            for row in rows:
                await outbox.release(conn, row.id, not_before)
