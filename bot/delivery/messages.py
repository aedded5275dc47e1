"""Messages ⇄ JSON, for the outbox: a queued message renders the same after a restart."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.domain import (
    Alert,
    CategoryInfo,
    Digest,
    DigestItem,
    EventState,
    FollowUp,
    Overflow,
    OverflowItem,
    Report,
)

Message = Alert | Overflow | FollowUp | Digest


def dump_message(message: Message) -> str:
    """Serialise an Alert, Overflow, FollowUp or Digest for the outbox."""
    if isinstance(message, Digest):
        body: dict[str, Any] = _dump_digest(message)
    elif isinstance(message, Overflow):
        body = {
            "type": "overflow",
            "feed": message.feed,
            "outlet": message.outlet,
            "items": [[i.title, i.link, i.category] for i in message.items],
        }
    elif isinstance(message, FollowUp):
        body = {
            "type": "followup",
            "event_id": message.event_id,
            "title": message.title,
            "link": message.link,
            "more": message.more,
            "latest": [_dump_report(r) for r in message.latest],
            "categories": [_dump_category(c) for c in message.categories],
        }
        if message.confirmed is not None:
            body["confirmed"] = message.confirmed
    else:
        body = {
            "type": "alert",
            "story_id": message.story_id,
            "title": message.title,
            "link": message.link,
            "summary": message.summary,
            "outlet": message.outlet,
            "published": message.published.isoformat(),
            "categories": [_dump_category(c) for c in message.categories],
            "evidence": list(message.evidence),
            "also_reported_by": list(message.also_reported_by),
            "mention": message.mention,
        }
        if message.event is not None:
            body["event"] = _dump_event(message.event)
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def load_message(text: str) -> Message:
    """The inverse of dump_message."""
    body = json.loads(text)
    if body["type"] == "digest":
        return _load_digest(body)
    if body["type"] == "overflow":
        return Overflow(
            feed=body["feed"],
            outlet=body["outlet"],
            items=tuple(OverflowItem(t, link, c) for t, link, c in body["items"]),
        )
    if body["type"] == "followup":
        return FollowUp(
            event_id=body["event_id"],
            title=body["title"],
            link=body["link"],
            more=body["more"],
            latest=tuple(_load_report(r) for r in body["latest"]),
            categories=tuple(CategoryInfo(*c) for c in body["categories"]),
            confirmed=body.get("confirmed"),
        )
    event = body.get("event")
    return Alert(
        story_id=body["story_id"],
        title=body["title"],
        link=body["link"],
        summary=body["summary"],
        outlet=body["outlet"],
        published=datetime.fromisoformat(body["published"]),
        categories=tuple(CategoryInfo(*c) for c in body["categories"]),
        evidence=tuple(body["evidence"]),
        also_reported_by=tuple(body["also_reported_by"]),
        mention=body["mention"],
        event=_load_event(event) if event else None,
    )


def _dump_category(info: CategoryInfo) -> list[Any]:
    return [info.name, info.label, info.emoji, info.colour, info.description]


def _dump_report(report: Report) -> list[str]:
    return [report.title, report.link, report.outlet, report.seen.isoformat()]


def _load_report(item: list[str]) -> Report:
    title, link, outlet, seen = item
    return Report(title, link, outlet, datetime.fromisoformat(seen))


def _dump_event(event: EventState) -> dict[str, Any]:
    return {
        "id": event.event_id,
        "reports": event.reports,
        "outlets": list(event.outlets),
        "latest": [_dump_report(r) for r in event.latest],
        "first_seen": event.first_seen.isoformat(),
        "last_seen": event.last_seen.isoformat(),
        "breaking": event.breaking,
        "continues": event.continues,
        "confirmed": event.confirmed,
    }


def _load_event(body: dict[str, Any]) -> EventState:
    return EventState(
        event_id=body["id"],
        reports=body["reports"],
        outlets=tuple(body["outlets"]),
        latest=tuple(_load_report(r) for r in body["latest"]),
        first_seen=datetime.fromisoformat(body["first_seen"]),
        last_seen=datetime.fromisoformat(body["last_seen"]),
        breaking=body["breaking"],
        continues=body["continues"],
        confirmed=body.get("confirmed"),
    )


def _dump_digest(digest: Digest) -> dict[str, Any]:
    return {
        "type": "digest",
        "reason": digest.reason,
        "since": digest.since.isoformat(),
        "until": digest.until.isoformat(),
        "part": digest.part,
        "parts": digest.parts,
        "items": [
            {
                "event_id": i.event_id,
                "title": i.title,
                "link": i.link,
                "categories": [_dump_category(c) for c in i.categories],
                "reports": i.reports,
                "outlets": list(i.outlets),
                "updated": i.updated,
            }
            for i in digest.items
        ],
    }


def _load_digest(body: dict[str, Any]) -> Digest:
    return Digest(
        reason=body["reason"],
        since=datetime.fromisoformat(body["since"]),
        until=datetime.fromisoformat(body["until"]),
        part=body["part"],
        parts=body["parts"],
        items=tuple(
            DigestItem(
                event_id=i["event_id"],
                title=i["title"],
                link=i["link"],
                categories=tuple(CategoryInfo(*c) for c in i["categories"]),
                reports=i["reports"],
                outlets=tuple(i["outlets"]),
                updated=i["updated"],
            )
            for i in body["items"]
        ),
    )
