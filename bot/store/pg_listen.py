"""LISTEN for a PostgreSQL notification channel on a connection of its own, reconnecting.

Replicas' delivery workers sleep until woken; the leader NOTIFYs when it queues messages, so
every replica starts claiming at once instead of at its next idle check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg

from bot.store.urls import mask_password

log = logging.getLogger(__name__)

RECHECK_S = 5.0  # how often the listening connection is checked, and retried after a failure


async def listen(
    url: str, channel: str, heard: Callable[[], None], stopping: asyncio.Event
) -> None:
    """Call `heard` on each notification on `channel` until `stopping` is set."""
    failing = False
    while not stopping.is_set():
        con: asyncpg.Connection | None = None
        try:
            con = await asyncpg.connect(url, timeout=RECHECK_S * 2)

            def on_notify(*_: Any) -> None:
                heard()

            await con.add_listener(channel, on_notify)
            if failing:
                log.info("replica wake-ups: listening again on %s", mask_password(url))
            failing = False
            heard()  # anything queued while we were not listening
            while not stopping.is_set() and not con.is_closed():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), timeout=RECHECK_S)
                if not stopping.is_set():
                    await asyncio.wait_for(con.fetchval("SELECT 1"), timeout=RECHECK_S)
        # Any failure (asyncpg can also fail on its client state after a server-side end):
        # wake-ups are best effort, so the listener reconnects rather than dies.
        except Exception as exc:
            if not failing:
                log.warning(
                    "replica wake-ups: lost %s (%s); delivery checks every idle interval until "
                    "it is back",
                    mask_password(url),
                    exc,
                )
            failing = True
        finally:
            if con is not None:
                con.terminate()
        if not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=RECHECK_S)
