"""Rows for the store's tests: written through the store's own functions, read back with SQL."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain import Headline, Signature
from bot.store import destinations, events, headlines
from bot.store.sql import Store, to_db

T0 = datetime(2024, 3, 6, 12, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    """T0 plus some minutes."""
    return T0 + timedelta(minutes=minutes)


async def fetch(db: Store, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
    """Every row a query reads, as plain tuples; stored times as to_db writes them (PostgreSQL
    returns a timestamptz as a datetime, SQLite the text), so one expectation fits both."""
    async with db.conn.execute(sql, tuple(params)) as cursor:
        return [tuple(map(_as_text, row)) for row in await cursor.fetchall()]


def _as_text(value: object) -> object:
    return to_db(value) if isinstance(value, datetime) else value


def headline(
    key: str,
    *,
    feed: str = "BBC",
    link: str = "",
    title: str = "",
    outlet: str = "",
    summary: str = "",
    published: datetime | None = None,
) -> Headline:
    """A stored-to-be headline; title and outlet default to the key and the feed."""
    return Headline(feed, key, link, title or key, summary, published, outlet or feed)


async def add_headline(
    db: Store,
    key: str,
    *,
    story_id: int | None = None,
    now: datetime = T0,
    decision: str = "no_category",
    **fields: Any,
) -> None:
    """Keep one headline, as deciding does."""
    row = headlines.NewHeadline(headline(key, **fields), (), {}, decision, story_id)
    async with db.transaction() as conn:
        await headlines.insert_headlines(conn, [row], now)


SIGNATURE = Signature(frozenset({"marchmont"}), frozenset({"defect"}), frozenset(), frozenset())


async def add_story(
    db: Store,
    title: str = "Tory MP Marchmont defects",
    *,
    categories: Sequence[str] = ("defection",),
    signature: Signature = SIGNATURE,
    now: datetime = T0,
) -> int:
    """Start an event (a `stories` row); returns its id."""
    row = events.EventRow(
        id=0,
        title=title,
        link=f"https://news.example/{title}",
        categories=tuple(categories),
        first_seen=now,
        last_report=now,
        actors="{}",
    )
    async with db.transaction() as conn:
        return await events.insert_event(conn, row, json.dumps(signature.to_json()), now)


async def add_destination(
    db: Store,
    key: str,
    *,
    kind: str = "discord",
    label: str = "",
    scope: str = "",
    now: datetime = T0,
) -> int:
    """Create a destination; returns its id."""
    async with db.transaction() as conn:
        return await destinations.upsert_destination(
            conn, key=key, kind=kind, label=label or key, scope=scope, now=now
        )


async def subscribe(
    db: Store,
    channel: str,
    categories: Sequence[str],
    *,
    mention: str | None = None,
    scope: str = "guild-1",
    kind: str = "discord",
    now: int = 0,
) -> list[str]:
    """A user subscribes a chat channel; returns the categories that were new."""
    async with db.transaction() as conn:
        return await destinations.subscribe(
            conn,
            key=f"{kind}:{channel}",
            kind=kind,
            label=f"#{channel}",
            scope=scope,
            channel=channel,
            categories=categories,
            mention=mention,
            created_by="ada",
            now=at(now),
        )
