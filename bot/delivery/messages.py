"""Alert and Overflow ⇄ JSON, for the outbox: a queued message renders the same after a restart."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.domain import Alert, CategoryInfo, Overflow, OverflowItem

Message = Alert | Overflow


def dump_message(message: Message) -> str:
    """Serialise an Alert or Overflow for the outbox."""
    if isinstance(message, Overflow):
        body: dict[str, Any] = {
            "type": "overflow",
            "feed": message.feed,
            "outlet": message.outlet,
            "items": [[i.title, i.link, i.category] for i in message.items],
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
            "categories": [
                [c.name, c.label, c.emoji, c.colour, c.description] for c in message.categories
            ],
            "evidence": list(message.evidence),
            "also_reported_by": list(message.also_reported_by),
            "mention": message.mention,
        }
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
    )
