"""Leadership locks: which replica polls feeds and decides (every replica delivers).

SQLite has one `run` per file (the run lock), so that process always leads. PostgreSQL replicas
compete for a session-level advisory lock (bot/store/pg_leader.py): the server frees it the moment
the holder's connection ends, so a killed leader is replaced as soon as another replica asks.
"""

from __future__ import annotations

from typing import Protocol


class LeaderLock(Protocol):
    """The lock the polling replica holds."""

    async def try_acquire(self) -> bool:
        """Take the lock if no one holds it; True when this process now holds it."""
        ...

    async def still_held(self) -> bool:
        """Whether this process still holds it (False once its connection is gone)."""
        ...

    async def release(self) -> None:
        """Let another replica take over at once."""
        ...


class SoleLeader:
    """SQLite: the only `run` on its file always leads."""

    async def try_acquire(self) -> bool:
        """Always: no other replica can share the file."""
        return True

    async def still_held(self) -> bool:
        """Always."""
        return True

    async def release(self) -> None:
        """Nothing to free."""
