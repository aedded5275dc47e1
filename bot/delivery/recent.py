"""The last day's alerts for a destination that asks for them when it is new (off by default).

A channel subscribed during a story, or a webhook added mid-morning, otherwise starts empty.
Offered only on request, and only once per story per destination: the outbox key is the story's,
so an alert the destination already has is never queued twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bot.delivery.messages import dump_message, load_message
from bot.domain import Alert, CategoryInfo, story_key
from bot.store import history, outbox
from bot.store.sql import Conn

RECENT = timedelta(hours=24)


async def queue_recent(
    conn: Conn,
    destination_id: int,
    *,
    wanted: Sequence[str],
    mention: str | None,
    categories: Mapping[str, CategoryInfo],
    now: datetime,
) -> int:
    """Queue the last 24 hours' alerts in `wanted` categories for one destination; how many."""
    rows: list[tuple[int, str, str]] = []
    for recent in await history.recent_alerts(conn, now - RECENT):
        shared = [c for c in recent.categories if c in wanted and c in categories]
        message = load_message(recent.message)
        if not shared or not isinstance(message, Alert):
            continue
        # The stored copy was rendered for another destination: its categories and mention.
        mine = replace(message, categories=tuple(categories[c] for c in shared), mention=mention)
        rows.append((destination_id, story_key(recent.story_id), dump_message(mine)))
    return await outbox.enqueue_many(conn, rows, now)
