"""Stage 4d: a defection alert that names a sitting MP and the party they joined → a watch.

bot.delivery.confirm later asks the Members API whether Parliament recorded the move; until it
does, nothing the alert shows says it is confirmed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.domain import Classification, Headline
from bot.knowledge.joining import defection_claim
from bot.pipeline.classify import shared_register
from bot.store import watches
from bot.store.sql import Conn

log = logging.getLogger(__name__)

DEFECTION = "defection"
WATCH_FOR = timedelta(days=7)


async def watch_defection(
    conn: Conn,
    event_id: int,
    headline: Headline,
    classification: Classification,
    first_report: datetime,
) -> bool:
    """Watch the event's claim if it is a defection naming a sitting MP and a party joined."""
    if DEFECTION not in classification.categories:
        return False
    claim = defection_claim(
        headline.title, headline.summary, shared_register(), first_report.date()
    )
    if claim is None:
        return False
    watch = watches.Watch(
        event_id=event_id,
        person_id=claim.person.id,
        person_name=claim.person.name,
        party=claim.party,
        first_report=first_report,
        until=first_report + WATCH_FOR,
    )
    added = await watches.add_watch(conn, watch)
    if added:
        log.info(
            "event %d: watching Parliament's record of %s joining %s until %s",
            event_id,
            claim.person.name,
            claim.party_name,
            watch.until.date().isoformat(),
        )
    return added
