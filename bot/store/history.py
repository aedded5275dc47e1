"""Read-only questions about what was seen and alerted: `latest`, `why` and `status`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain import story_key
from bot.store.connection import from_db, to_db
from bot.store.sql import Conn
from bot.store.updates import CONFIRMATION

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class AlertedStory:
    """An event that alerted, with its reports so far and the outlets that carried it."""

    id: int
    title: str
    link: str
    categories: tuple[str, ...]
    alerted_at: datetime
    outlets: tuple[str, ...]
    reports: int = 1
    last_report: datetime | None = None
    breaking: bool = False


@dataclass(frozen=True, slots=True)
class SeenHeadline:
    """A stored headline and what was decided about it."""

    feed: str
    title: str
    link: str
    categories: tuple[str, ...]
    evidence: dict[str, list[str]]
    decision: str
    story_id: int | None
    story_title: str | None
    published_at: datetime | None
    first_seen_at: datetime
    joined_on: str | None = None  # why it joined its event (or why a new one began)


async def latest_alerted(conn: Conn, category: str | None, limit: int) -> list[AlertedStory]:
    """The alerted events with the latest reports, optionally in one category."""
    async with conn.execute(
        "SELECT s.id, s.title, s.link, s.categories, s.alerted_at, "
        "(SELECT group_concat(outlet, '\x1f') FROM (SELECT outlet FROM headlines h "
        " WHERE h.story_id = s.id GROUP BY outlet ORDER BY MIN(h.id)) AS outlets), "
        "(SELECT COUNT(*) FROM headlines h WHERE h.story_id = s.id "
        " AND h.decision != 'duplicate_url'), "
        "COALESCE(s.last_report_at, s.alerted_at), s.breaking_at "
        "FROM stories s WHERE s.alerted_at IS NOT NULL "
        "AND (CAST(? AS TEXT) IS NULL OR ',' || s.categories || ',' LIKE '%,' || ? || ',%') "
        "ORDER BY COALESCE(s.last_report_at, s.alerted_at) DESC, s.id DESC LIMIT ?",
        (category, category, limit),
    ) as cursor:
        rows = await cursor.fetchall()
    return [
        AlertedStory(
            id=r[0],
            title=r[1],
            link=r[2],
            categories=tuple(filter(None, r[3].split(","))),
            alerted_at=from_db(r[4]) or _EPOCH,
            outlets=tuple(filter(None, (r[5] or "").split("\x1f"))),
            reports=max(int(r[6]), 1),
            last_report=from_db(r[7]),
            breaking=r[8] is not None,
        )
        for r in rows
    ]


async def headlines_with_link(conn: Conn, link: str) -> list[SeenHeadline]:
    """Every stored headline with this canonical link, oldest first."""
    async with conn.execute(
        "SELECT h.feed, h.title, h.link, h.categories, h.evidence, h.decision, h.story_id, "
        "s.title, h.published_at, h.first_seen_at, h.joined_on FROM headlines h "
        "LEFT JOIN stories s ON s.id = h.story_id WHERE h.link = ? ORDER BY h.id",
        (link,),
    ) as cursor:
        rows = await cursor.fetchall()
    return [
        SeenHeadline(
            feed=r[0],
            title=r[1],
            link=r[2],
            categories=tuple(filter(None, r[3].split(","))),
            evidence=json.loads(r[4]),
            decision=r[5],
            story_id=r[6],
            story_title=r[7],
            published_at=from_db(r[8]),
            first_seen_at=from_db(r[9]) or _EPOCH,
            joined_on=r[10],
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class Member:
    """One report of an event: which headline, from whom, when, and why it joined."""

    title: str
    link: str
    outlet: str
    first_seen_at: datetime
    decision: str
    joined_on: str | None


@dataclass(frozen=True, slots=True)
class EventSummary:
    """An event as `why` explains it: its first title, what it continues, its reports."""

    id: int
    title: str
    continues: tuple[int, str] | None  # (id, title) of the event a development continues
    development: str | None
    members: tuple[Member, ...]
    reports: int  # all of them; `members` may list only the first few


async def event_summary(conn: Conn, event_id: int, limit: int = 12) -> EventSummary | None:
    """An event and its first `limit` reports, for `why`."""
    found = list(
        await conn.execute_fetchall(
            "SELECT s.title, s.continues_id, c.title, s.development FROM stories s "
            "LEFT JOIN stories c ON c.id = s.continues_id WHERE s.id = ?",
            (event_id,),
        )
    )
    if not found:
        return None
    title, continues_id, continues_title, development = found[0]
    rows = list(
        await conn.execute_fetchall(
            "SELECT title, link, outlet, first_seen_at, decision, joined_on FROM headlines "
            "WHERE story_id = ? ORDER BY first_seen_at, id",
            (event_id,),
        )
    )
    members = tuple(
        Member(r[0], r[1], r[2], from_db(r[3]) or _EPOCH, r[4], r[5]) for r in rows[:limit]
    )
    continues = None if continues_id is None else (int(continues_id), str(continues_title))
    return EventSummary(event_id, str(title), continues, development, members, len(rows))


@dataclass(frozen=True, slots=True)
class Delivery:
    """One destination's copy of a story's alert: sent when, or still waiting and why."""

    destination: str  # the destination's label
    status: str  # "sent", "pending", "held" or "digested"; for updates also "gone", "exhausted"
    sent_at: datetime | None
    last_error: str | None
    broken_reason: str | None
    # or an update of it: "edit", "reply", "followup"; Parliament's confirmation of the event
    # is one of those prefixed "confirmation " ("confirmation edit")
    kind: str = "alert"
    told_reports: int = 0  # how many of the event's reports it showed
    held: str | None = None  # why channel control held it: "quiet", "muted", "digest"


async def story_deliveries(conn: Conn, story_id: int) -> list[Delivery]:
    """Where an event's alert and its updates went (or wait), by destination label."""
    async with conn.execute(
        "SELECT d.label, o.status, o.sent_at, o.last_error, d.broken_reason, "
        "CASE WHEN o.kind != 'alert' AND o.message = ? THEN 'confirmation ' || o.kind "
        "ELSE o.kind END, o.told_reports, o.held FROM outbox o "
        "JOIN destinations d ON d.id = o.destination_id "
        "WHERE o.dedupe_key = ? OR (o.event_id = ? AND o.kind != 'alert') "
        "ORDER BY d.label, o.kind = 'alert' DESC, o.id",
        (CONFIRMATION, story_key(story_id), story_id),
    ) as cursor:
        rows = await cursor.fetchall()
    return [Delivery(r[0], r[1], from_db(r[2]), r[3], r[4], r[5], r[6], r[7]) for r in rows]


@dataclass(frozen=True, slots=True)
class RecentAlert:
    """A story that alerted since some time, with one of the messages queued for it."""

    story_id: int
    categories: tuple[str, ...]
    message: str  # as encoded for the outbox (bot.delivery.messages)


async def recent_alerts(conn: Conn, since: datetime) -> list[RecentAlert]:
    """Stories alerted since `since`, oldest first, each with the first message queued for it."""
    async with conn.execute(
        "SELECT id, categories FROM stories WHERE alerted_at >= ? ORDER BY alerted_at, id",
        (to_db(since),),
    ) as cursor:
        stories = [(int(r[0]), r[1]) for r in await cursor.fetchall()]
    keys = [story_key(story_id) for story_id, _ in stories]
    first: dict[str, str] = {}
    marks = ",".join("?" * len(keys)) or "NULL"
    # One read for the whole day: the first message queued for each story.
    async with conn.execute(
        f"SELECT dedupe_key, message FROM outbox WHERE dedupe_key IN ({marks}) ORDER BY id",
        tuple(keys),
    ) as cursor:
        for key, message in await cursor.fetchall():
            first.setdefault(key, message)
    # A story without a message of its own (summarised in an overflow line) is not offered.
    return [
        RecentAlert(story_id, tuple(filter(None, categories.split(","))), first[key])
        for story_id, categories in stories
        if (key := story_key(story_id)) in first
    ]
