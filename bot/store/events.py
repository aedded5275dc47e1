"""Events: one Westminster happening as every outlet reported it (table `stories`, named before
events grouped reports by who and what they name rather than by wording)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.domain import EventState, Report, confirmation_text
from bot.store.connection import from_db, to_db
from bot.store.sql import Conn
from bot.store.watches import CONFIRMED

# How many of an event's newest reports an alert lists.
LATEST_SHOWN = 3
_NO_LIMIT = 2**62  # LIMIT … OFFSET needs a limit in SQLite; "all the rest"
# Rows turned into EventRows between two turns of the event loop.
ROW_BATCH = 500


@dataclass(frozen=True, slots=True)
class EventRow:
    """An event as stored; `actors` is the matcher's own JSON, opaque here."""

    id: int
    title: str
    link: str
    categories: tuple[str, ...]
    first_seen: datetime
    last_report: datetime
    actors: str
    alerted: bool = False
    continues: int | None = None
    development: str | None = None
    breaking: bool = False
    # The write it was read at (0: not read from the store); not part of what it says.
    revision: int = field(default=0, compare=False)


_COLUMNS = (
    "id, title, link, categories, created_at, last_report_at, actors, alerted_at, continues_id, "
    "development, breaking_at, revision"
)


def _row(row: Sequence[object]) -> EventRow:
    return EventRow(
        id=int(str(row[0])),
        title=str(row[1]),
        link=str(row[2]),
        categories=tuple(filter(None, str(row[3]).split(","))),
        first_seen=_when(row[4]),
        last_report=_when(row[5] or row[4]),
        actors=str(row[6]),
        alerted=row[7] is not None,
        continues=None if row[8] is None else int(str(row[8])),
        development=None if row[9] is None else str(row[9]),
        breaking=row[10] is not None,
        revision=int(str(row[11])),
    )


def _when(value: object) -> datetime:
    moment = from_db(str(value))
    assert moment is not None  # noqa: S101 - the column is NOT NULL
    return moment


# Every write of an event takes the next revision (writes are serialised by SQLite's lock).
_NEXT_REVISION = "(SELECT COALESCE(MAX(revision), 0) + 1 FROM stories)"


async def changed_since(
    conn: Conn, revision: int, reported_after: datetime
) -> tuple[list[EventRow], int]:
    """Events written after `revision` whose last report is after `reported_after`, and the
    newest revision written (to ask from next time)."""
    # `+id`: ordering by the bare rowid lets SQLite scan the whole table in id order instead
    # of seeking the few changed rows through stories_revision.
    rows = await conn.execute_fetchall(
        f"SELECT {_COLUMNS} FROM stories WHERE revision > ? AND last_report_at >= ? ORDER BY +id",
        (revision, to_db(reported_after)),
    )
    newest = await conn.execute_fetchall("SELECT COALESCE(MAX(revision), 0) FROM stories")
    return await _rows(list(rows)), int(next(iter(newest))[0])


async def _rows(raw: list[Sequence[object]]) -> list[EventRow]:
    """The rows as EventRows; a process's first read has thousands, so the loop runs between
    batches of them."""
    found: list[EventRow] = []
    for start in range(0, len(raw), ROW_BATCH):
        if start:
            await asyncio.sleep(0)
        found.extend(_row(r) for r in raw[start : start + ROW_BATCH])
    return found


async def revisions(conn: Conn, event_ids: Sequence[int]) -> dict[int, int]:
    """The revision each of these events was last written with (absent: no such event)."""
    if not event_ids:
        return {}
    marks = ",".join("?" * len(event_ids))
    rows = await conn.execute_fetchall(
        f"SELECT id, revision FROM stories WHERE id IN ({marks})", tuple(event_ids)
    )
    return {int(r[0]): int(r[1]) for r in rows}


async def insert_event(conn: Conn, event: EventRow, signature: str, now: datetime) -> int:
    """Store a new event; returns its id."""
    (row,) = await conn.execute_fetchall(
        "INSERT INTO stories (created_at, title, link, categories, signature, actors, "
        f"last_report_at, revision, continues_id, development, breaking_at) "
        f"VALUES (?, ?, ?, ?, ?, ?, ?, {_NEXT_REVISION}, ?, ?, ?) RETURNING id",
        (
            to_db(event.first_seen),
            event.title,
            event.link,
            ",".join(event.categories),
            signature,
            event.actors,
            to_db(event.last_report),
            event.continues,
            event.development,
            to_db(now) if event.breaking else None,
        ),
    )
    return int(row[0])


async def update_event(conn: Conn, event: EventRow, now: datetime) -> None:
    """Store an event's new reports: categories, actors, last report, breaking."""
    await conn.execute(
        "UPDATE stories SET categories = ?, actors = ?, last_report_at = ?, "
        f"revision = {_NEXT_REVISION}, breaking_at = COALESCE(breaking_at, ?) WHERE id = ?",
        (
            ",".join(event.categories),
            event.actors,
            to_db(event.last_report),
            to_db(now) if event.breaking else None,
            event.id,
        ),
    )


async def mark_alerted(conn: Conn, event_id: int, now: datetime) -> None:
    """Remember that an event's alert was queued, so later reports update it."""
    await conn.execute(
        f"UPDATE stories SET alerted_at = COALESCE(alerted_at, ?), revision = {_NEXT_REVISION} "
        "WHERE id = ?",
        (to_db(now), event_id),
    )


async def event_state(conn: Conn, event_id: int, latest: int = LATEST_SHOWN) -> EventState | None:
    """How far an event has grown, as an alert or update shows it (None if it is gone)."""
    found = list(
        await conn.execute_fetchall(
            "SELECT s.breaking_at, c.title, w.person_name, w.confirmed_party, w.recorded_on "
            "FROM stories s LEFT JOIN stories c ON c.id = s.continues_id "
            "LEFT JOIN party_watches w ON w.event_id = s.id AND w.status = ? WHERE s.id = ?",
            (CONFIRMED, event_id),
        )
    )
    if not found:
        return None
    breaking_at, continues, person, party, recorded_on = found[0]
    confirmed = None
    if recorded_on is not None:
        confirmed = confirmation_text(str(person), str(party), date.fromisoformat(str(recorded_on)))
    # A second feed carrying the same link is not another report.
    rows = await conn.execute_fetchall(
        "SELECT title, link, outlet, first_seen_at FROM headlines "
        "WHERE story_id = ? AND decision != 'duplicate_url' ORDER BY first_seen_at, id",
        (event_id,),
    )
    if not rows:
        return None
    reports = [Report(str(r[0]), str(r[1]), str(r[2]), _when(r[3])) for r in rows]
    outlets = tuple(dict.fromkeys(r.outlet for r in reports))
    return EventState(
        event_id=event_id,
        reports=len(reports),
        outlets=outlets,
        latest=tuple(reversed(reports[-latest:])),
        first_seen=reports[0].seen,
        last_seen=reports[-1].seen,
        breaking=breaking_at is not None,
        continues=None if continues is None else str(continues),
        confirmed=confirmed,
    )


async def reports_since(
    conn: Conn, event_id: int, after: int, latest: int = LATEST_SHOWN
) -> tuple[int, tuple[Report, ...]]:
    """How many reports came after the first `after`, and the newest few of them."""
    rows = await conn.execute_fetchall(
        "SELECT title, link, outlet, first_seen_at FROM headlines "
        "WHERE story_id = ? AND decision != 'duplicate_url' ORDER BY first_seen_at, id "
        "LIMIT ? OFFSET ?",
        (event_id, _NO_LIMIT, after),
    )
    reports = [Report(str(r[0]), str(r[1]), str(r[2]), _when(r[3])) for r in rows]
    return len(reports), tuple(reversed(reports[-latest:]))
