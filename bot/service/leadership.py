"""Which replica leads: polls feeds, decides, prunes, releases held alerts and asks Parliament.

Every replica delivers from the outbox; only the leader writes what the feeds say. A replica
asks for the leader lock every CHECK_EVERY_S seconds, so a dead leader is replaced within that
(plus the server's keepalive time when its host vanished without closing its connection); the
leader checks its lock as often and stops leading the moment it cannot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from bot.store.leader import LeaderLock

log = logging.getLogger(__name__)

CHECK_EVERY_S = 5.0


class Leadership:
    """This replica's role, kept in step with the leader lock."""

    def __init__(self, lock: LeaderLock, on_change: Callable[[bool], None]) -> None:
        self.lock = lock
        self.on_change = on_change
        self.leading = False

    @property
    def role(self) -> str:
        """ "leader" or "replica", as /healthz reports it."""
        return "leader" if self.leading else "replica"

    async def check(self) -> None:
        """Take the lock if free, or confirm it is still held; tell on_change of a change."""
        if self.leading:
            if await self.lock.still_held():
                return
            self.leading = False
            log.warning("leadership lost: the leader lock's connection failed; polling stops here")
            self.on_change(False)
        elif await self.lock.try_acquire():
            self.leading = True
            log.info("leadership taken: this replica now polls feeds (polling at once)")
            self.on_change(True)

    async def watch(self, stopping: asyncio.Event) -> None:
        """Check every CHECK_EVERY_S seconds until `stopping` is set; then let the lock go."""
        try:
            while not stopping.is_set():
                try:
                    await self.check()
                except Exception:
                    log.exception("leadership: check crashed; trying again")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), timeout=CHECK_EVERY_S)
        finally:
            if self.leading:
                self.leading = False
                log.info("leadership released: stopping")
            await self.lock.release()
