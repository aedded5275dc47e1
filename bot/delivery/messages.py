"""Messages ⇄ JSON, for the outbox: a queued message renders the same after a restart."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.domain import Alert, CategoryInfo, EventState, FollowUp, Overflow, OverflowItem, Report

Message = Alert | Overflow | FollowUp


def dump_message(message: Message) -> str:
    """Serialise an Alert, Overflow or FollowUp for the outbox."""
    if isinstance(message, Overflow):
        body: dict[str, Any] = {
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
    )
