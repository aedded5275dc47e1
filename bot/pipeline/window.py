"""The event window ⇄ the store: events encoded for their row, and the window kept current.

The window is read once per process and then only what changed since (another process writing
the same database, or a plan this process stored), so a poll never reloads the whole window.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from bot.domain import Signature
from bot.pipeline.actors import Body
from bot.pipeline.events import RESUMES_WITHIN, EventRef, EventWindow
from bot.store import events as event_store
from bot.store.sql import Conn

# A first load decodes thousands of events: the loop runs between batches of this many.
DECODE_BATCH = 100


def encode(event: EventRef, link: str = "") -> event_store.EventRow:
    """An event as its row stores it."""
    actors: dict[str, Any] = {
        "people": sorted(event.people),
        "principal": sorted(event.principal),
        "bodies": sorted([int(b.investigator), sorted(b.words)] for b in event.bodies),
        "names": sorted(event.names),
        "leads": sorted(event.leads),
        "jurisdiction": event.jurisdiction,
        "kinds": sorted(event.kinds),
        "signatures": [s.to_json() for s in event.signatures],
        "who": [list(pair) for pair in event.who],
        "day": event.day.isoformat(),
    }
    # A big event lists a few hundred outlets and is stored again with each feed that reports
    # it: each (outlet, first seen) pair is encoded once and the list joined, not re-encoded.
    outlets = ",".join(_outlet(name, seen) for name, seen in event.outlets)
    encoded = json.dumps(actors, ensure_ascii=False, separators=(",", ":"))
    return event_store.EventRow(
        id=event.id,
        title=event.title,
        link=link,
        categories=tuple(sorted(event.categories)),
        first_seen=event.first_seen,
        last_report=event.last_report,
        actors=f'{encoded[:-1]},"outlets":[{outlets}]}}',
        alerted=event.alerted,
        continues=event.continues,
        development=event.development,
        breaking=event.breaking,
    )


@functools.lru_cache(maxsize=8192)
def _outlet(name: str, seen: datetime) -> str:
    """One (outlet, first seen) pair as JSON."""
    return json.dumps([name, seen.isoformat()], ensure_ascii=False, separators=(",", ":"))


def decode(row: event_store.EventRow) -> EventRef:
    """The inverse of encode (an event stored before events had actors has none)."""
    data: dict[str, Any] = json.loads(row.actors or "{}")
    return EventRef(
        id=row.id,
        categories=frozenset(row.categories),
        title=row.title,
        first_seen=row.first_seen,
        last_report=row.last_report,
        day=date.fromisoformat(data["day"]) if "day" in data else row.first_seen.date(),
        alerted=row.alerted,
        people=frozenset(data.get("people", ())),
        principal=frozenset(data.get("principal", ())),
        bodies=frozenset(Body(frozenset(w), bool(i)) for i, w in data.get("bodies", ())),
        names=frozenset(data.get("names", ())),
        leads=frozenset(data.get("leads", ())),
        jurisdiction=data.get("jurisdiction", ""),
        kinds=frozenset(data.get("kinds", ())),
        signatures=tuple(Signature.from_json(s) for s in data.get("signatures", ())),
        outlets=tuple((n, datetime.fromisoformat(t)) for n, t in data.get("outlets", ())),
        who=tuple((int(pid), str(name)) for pid, name in data.get("who", ())),
        continues=row.continues,
        development=row.development,
        breaking=row.breaking,
    )


async def refresh(conn: Conn, window: EventWindow, now: datetime) -> None:
    """Bring the window up to date with the store: read only what changed since last time."""
    first = window.revision == 0
    with _collector_paused() if first else contextlib.nullcontext():
        rows, newest = await event_store.changed_since(
            conn, window.revision, now - window.window - RESUMES_WITHIN
        )
        for number, row in enumerate(rows, 1):
            if window.holds(row.id, row.revision):
                continue  # this process wrote it and holds it as written: nothing to decode
            window.put(decode(row))
            if number % DECODE_BATCH == 0:
                await asyncio.sleep(0)
    if first and rows:
        # The window lives as long as the process, like what start-up built (bot.app's
        # settle_heap): frozen, full collections never walk its thousands of records again.
        # Its records hold no cycles, so those pruned later are still freed.
        gc.freeze()
    window.revision = newest
    window.prune(now)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a first load builds its records: each full
    collection would walk all of them with the GIL held, stalling the loop (and it would
    find no garbage: they are all kept)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
