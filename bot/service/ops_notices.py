"""Ops notices: one message to the [ops] webhook when a feed or a subscription breaks, one when
it recovers. What was announced is kept in SQLite, so a restart never repeats a notice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from bot.config import Settings
from bot.config.ops import OpsSettings
from bot.errors import DeliveryError
from bot.store import destinations as dest_store
from bot.store import feeds as feed_store
from bot.store import ops_state
from bot.store.sql import Store
from bot.transports.text import escape_discord, escape_slack
from bot.transports.webhooks import post_webhook

log = logging.getLogger(__name__)

FEED_FAILING_AFTER = timedelta(hours=1)
CHECK_EVERY_S = 60.0


class OpsNotifier:
    """Compares what is broken now with what was announced, and posts the difference."""

    def __init__(
        self,
        db: Store,
        settings: Settings,
        ops: OpsSettings,
        session: aiohttp.ClientSession,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.settings = settings
        self.ops = ops
        self.session = session
        self.clock = clock

    async def problems(self) -> dict[str, tuple[str, str]]:
        """What is broken now: subject → (what it is, what is wrong)."""
        now = self.clock()
        configured = {feed.name for feed in self.settings.feeds}
        found: dict[str, tuple[str, str]] = {}
        for feed in await feed_store.all_feeds(self.db.conn):
            since = feed.failing_since
            if feed.name in configured and since and now - since >= FEED_FAILING_AFTER:
                found[f"feed:{feed.name}"] = (
                    f"feed {feed.name}",
                    f"failing since {since:%d %b %H:%M} UTC, {feed.failures} failed polls in a "
                    f"row; last error: {feed.last_error}",
                )
        for dest in await dest_store.active_destinations(self.db.conn):
            if dest.broken_reason:
                found[f"destination:{dest.key}"] = (
                    f"{dest.kind} destination {dest.label}",
                    f"broken, alerts paused: {dest.broken_reason}",
                )
        return found

    async def check(self) -> int:
        """Post a notice for each new problem and each recovery; returns how many were posted.

        A notice that cannot be posted is not recorded, so the next check tries again.
        """
        current = await self.problems()
        announced = await ops_state.announced(self.db.conn)
        posted = 0
        for subject, (what, wrong) in current.items():
            if subject in announced:
                continue
            if await self._post("⚠️", f"Division Bell: {what} is {wrong}"):
                async with self.db.transaction() as conn:
                    await ops_state.mark_announced(conn, subject, what, self.clock())
                posted += 1
        for subject, what in announced.items():
            if subject in current:
                continue
            if await self._post("✅", f"Division Bell: {what} has recovered"):
                async with self.db.transaction() as conn:
                    await ops_state.mark_recovered(conn, subject)
                posted += 1
        return posted

    async def _post(self, icon: str, text: str) -> bool:
        # Feed errors quote remote servers: escaped like feed text, so they cannot ping or inject.
        payload: dict[str, Any]
        if self.ops.platform == "discord":
            content = f"{icon} {escape_discord(text)}"[:2000]
            payload = {"content": content, "allowed_mentions": {"parse": []}}
        else:
            payload = {"text": f"{icon} {escape_slack(text)}"[:3000]}
        try:
            await post_webhook(
                self.session,
                platform=self.ops.platform,
                url=self.ops.url,
                payload=payload,
                destination=self.ops.name,
            )
        except DeliveryError as exc:
            log.warning("destination %s: ops notice not sent: %s", self.ops.name, exc.reason)
            return False
        log.info("destination %s: ops notice sent: %s", self.ops.name, text)
        return True
