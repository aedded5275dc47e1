"""The PostgreSQL leader lock: `pg_try_advisory_lock` on a connection of its own.

A session-level advisory lock lives as long as the session that took it: when the leader dies,
its connection closes and the server frees the lock at once; when its host vanishes without
closing, the server's TCP keepalives (set per session below) end the session within about 25
seconds. The holder checks its connection every few seconds and stops leading the moment the
check fails, so it never polls without the lock.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from bot.store.postgres import CONNECT_TIMEOUT_S
from bot.store.urls import mask_password

log = logging.getLogger(__name__)

# pg_try_advisory_lock key: "DBLD" in ASCII, so it is recognisable in pg_locks.
LEADER_LOCK = 0x44424C44
CHECK_TIMEOUT_S = 5.0
# Server-side keepalives for the lock's session: idle 10 s, then 3 probes 5 s apart.
KEEPALIVES = {
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
    "application_name": "division-bell leader lock",
}


class AdvisoryLeaderLock:
    """The advisory lock on a dedicated connection (never the pool's: a pooled connection
    goes back to the pool, and the lock with it)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._con: asyncpg.Connection | None = None
        self._unreachable = False  # said once per outage

    async def try_acquire(self) -> bool:
        """Take the lock if free; False (said once per outage) when the server is unreachable."""
        try:
            if self._con is None or self._con.is_closed():
                self._con = await asyncpg.connect(
                    self.url, timeout=CONNECT_TIMEOUT_S, server_settings=KEEPALIVES
                )
            async with asyncio.timeout(CHECK_TIMEOUT_S):
                taken = bool(
                    await self._con.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK)
                )
        except Exception as exc:  # any failure: this process does not hold it
            await self._drop()
            if not self._unreachable:
                log.warning(
                    "leader lock: %s unreachable (%s); trying again", mask_password(self.url), exc
                )
            self._unreachable = True
            return False
        self._unreachable = False
        return taken

    async def still_held(self) -> bool:
        """True while the lock's connection answers (the lock lives as long as it does)."""
        if self._con is None or self._con.is_closed():
            return False
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_S):
                await self._con.fetchval("SELECT 1")
        # Whatever failed (a dropped socket, or asyncpg's client state after the server ended
        # the session), this process can no longer be sure it holds the lock: stop leading.
        except Exception:
            await self._drop()
            return False
        return True

    async def release(self) -> None:
        """Close the lock's connection: the server frees the lock with it."""
        if self._con is not None and not self._con.is_closed():
            try:
                async with asyncio.timeout(CHECK_TIMEOUT_S):
                    await self._con.close()
            except Exception:  # closing is best effort; terminate cannot fail
                self._con.terminate()
        self._con = None

    async def _drop(self) -> None:
        if self._con is not None:
            self._con.terminate()  # never wait on a connection that stopped answering
        self._con = None
