"""Leadership: the role follows the lock; a lost lock stops polling here at the next check."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.service.leadership import Leadership


class ScriptedLock:
    """A leader lock whose answers the test sets (the real ones: tests/store/test_pg_leader.py)."""

    def __init__(self) -> None:
        self.free = True
        self.held = False
        self.released = 0

    async def try_acquire(self) -> bool:
        self.held = self.held or self.free
        return self.held

    async def still_held(self) -> bool:
        return self.held

    async def release(self) -> None:
        self.held = False
        self.released += 1


async def test_the_role_follows_the_lock(caplog: pytest.LogCaptureFixture) -> None:
    lock, changes = ScriptedLock(), []
    leadership = Leadership(lock, changes.append)
    lock.free = False
    with caplog.at_level(logging.INFO):
        await leadership.check()
        assert (leadership.role, changes) == ("replica", [])
        lock.free = True  # the leader died
        await leadership.check()
        assert (leadership.role, changes) == ("leader", [True])
        await leadership.check()  # still held: nothing to tell
        lock.held, lock.free = False, False  # its connection failed
        await leadership.check()
    assert (leadership.role, changes) == ("replica", [True, False])
    said = [r.getMessage() for r in caplog.records]
    assert said[0].startswith("leadership taken")
    assert said[1].startswith("leadership lost")


async def test_stopping_lets_the_lock_go() -> None:
    lock, stopping = ScriptedLock(), asyncio.Event()
    leadership = Leadership(lock, lambda _: None)
    watching = asyncio.create_task(leadership.watch(stopping))
    await asyncio.sleep(0.05)
    assert leadership.leading
    stopping.set()
    await asyncio.wait_for(watching, timeout=5)
    assert not leadership.leading
    assert lock.released == 1
