"""Who carried an event (a `stories` row): the outlets that reported it."""

from __future__ import annotations

from bot.store.sql import Conn


async def also_reported_by(conn: Conn, story_id: int, outlet: str) -> tuple[str, ...]:
    """The other outlets that carried a story (all but `outlet`), in the order they reported it."""
    rows = await conn.execute_fetchall(
        "SELECT outlet FROM headlines WHERE story_id = ? AND outlet != ? "
        "GROUP BY outlet ORDER BY MIN(id)",
        (story_id, outlet),
    )
    return tuple(row[0] for row in rows)
