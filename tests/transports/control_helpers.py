"""Shared by the bot-channel channel-control tests: two events' alerts queued as routing would."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.delivery.messages import dump_message
from bot.domain import Alert, story_key
from bot.store import destinations as dest_store
from bot.store import outbox
from bot.store.connection import Database

TITLES = ("Tory MP Jane Marchmont defects to Labour", "Labour MP Tom Ashdown joins the Greens")


async def queue_alerts(db: Database, key: str, sample: Alert, now: datetime) -> None:
    """Two distinct events' alerts for the destination, as routing queues them."""
    destination = await dest_store.find_destination(db.conn, key)
    assert destination is not None
    async with db.transaction() as conn:
        for event_id, title in enumerate(TITLES, start=1):
            message = dump_message(replace(sample, story_id=event_id, title=title))
            rows = [(destination.id, story_key(event_id), message)]
            await outbox.enqueue_many(conn, rows, now, event_id=event_id)
