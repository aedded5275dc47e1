"""/healthz: the database answers, every enabled transport is connected, and polls are recent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from bot.store.sql import Store

DB_TIMEOUT_S = 5.0  # a database that takes longer than this to answer SELECT 1 is not healthy
STALE_INTERVALS = 3


class Connectable(Protocol):
    """What health needs of a transport."""

    name: str

    @property
    def connected(self) -> bool:
        """Whether the transport is up."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


class HealthMonitor:
    """Tracks the scheduler's last poll and answers the health check."""

    def __init__(
        self,
        db: Store,
        transports: Sequence[Connectable],
        interval: float,
        *,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.db = db
        self.transports = transports
        self.interval = interval  # the most frequent feed's interval, in seconds
        self.clock = clock
        self.started_at = clock()
        self.last_poll_at: datetime | None = None
        self.role = "leader"  # a replica polls nothing, so its polls are never stale

    def role_changed(self, role: str) -> None:
        """This process became the leader or a replica; a new leader's polls count from now."""
        self.role = role
        self.started_at = self.clock()
        self.last_poll_at = None

    def polled(self) -> None:
        """The scheduler finished a poll just now."""
        self.last_poll_at = self.clock()

    async def check(self) -> tuple[bool, dict[str, Any]]:
        """(healthy, details): each condition that fails says why in the details."""
        database = await self._database()
        transports = {
            t.name: "connected" if t.connected else "disconnected" for t in self.transports
        }
        now = self.clock()
        limit = STALE_INTERVALS * self.interval
        last = self.last_poll_at
        if self.role != "leader":
            polling_ok, polling = True, "replica: the leader polls"
        elif last is not None:
            polling_ok = (now - last).total_seconds() <= limit
            polling = "ok" if polling_ok else f"no poll for {int((now - last).total_seconds())}s"
        else:
            # The first polls are staggered within the jitter; give them three intervals too.
            polling_ok = (now - self.started_at).total_seconds() <= limit
            polling = "starting" if polling_ok else f"no poll in the {int(limit)}s since start"
        details: dict[str, Any] = {
            "role": self.role,
            "database": database,
            "transports": transports,
            "polling": polling,
            "last_poll": last.isoformat() if last else None,
            "poll_interval": self.interval,
        }
        healthy = (
            database == "ok"
            and all(state == "connected" for state in transports.values())
            and polling_ok
        )
        return healthy, details

    async def _database(self) -> str:
        try:
            async with asyncio.timeout(DB_TIMEOUT_S):
                await self.db.ping()
        except TimeoutError:
            return f"error: no answer within {DB_TIMEOUT_S:g}s"
        except Exception as exc:  # any failure means unhealthy; the details say which
            return f"error: {type(exc).__name__}: {exc}"
        return "ok"
