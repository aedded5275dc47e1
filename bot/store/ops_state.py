"""Which ops notices have gone out: a problem is announced once, and its recovery once."""

from __future__ import annotations

from datetime import datetime

from bot.store.connection import to_db
from bot.store.sql import Conn


async def announced(conn: Conn) -> dict[str, str]:
    """Subjects with an open (announced, not yet recovered) problem → the detail announced."""
    async with conn.execute("SELECT subject, detail FROM ops_notices") as cursor:
        return {row[0]: row[1] for row in await cursor.fetchall()}


async def mark_announced(conn: Conn, subject: str, detail: str, now: datetime) -> None:
    """Remember that a problem's notice was sent."""
    await conn.execute(
        "INSERT INTO ops_notices (subject, detail, notified_at) VALUES (?, ?, ?) "
        "ON CONFLICT(subject) DO UPDATE SET detail = excluded.detail",
        (subject, detail, to_db(now)),
    )


async def mark_recovered(conn: Conn, subject: str) -> None:
    """Forget a problem whose recovery notice was sent."""
    await conn.execute("DELETE FROM ops_notices WHERE subject = ?", (subject,))
