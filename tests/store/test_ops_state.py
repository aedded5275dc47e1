"""Ops notices: a problem is remembered once announced, updated in place, forgotten on recovery."""

from __future__ import annotations

from bot.store import ops_state
from bot.store.connection import Database, to_db
from tests.store.helpers import T0, at, fetch


async def test_a_problem_is_announced_updated_and_recovered(db: Database) -> None:
    assert await ops_state.announced(db.conn) == {}
    async with db.transaction() as conn:
        await ops_state.mark_announced(conn, "feed:BBC", "failing for 1 h: HTTP 500", T0)
        await ops_state.mark_announced(conn, "destination:7", "Missing Access", T0)
    async with db.transaction() as conn:
        await ops_state.mark_announced(conn, "feed:BBC", "failing for 2 h: timed out", at(60))
    assert await ops_state.announced(db.conn) == {
        "feed:BBC": "failing for 2 h: timed out",
        "destination:7": "Missing Access",
    }
    # A new detail keeps the time the problem was first announced.
    assert await fetch(db, "SELECT notified_at FROM ops_notices WHERE subject = 'feed:BBC'") == [
        (to_db(T0),)
    ]
    async with db.transaction() as conn:
        await ops_state.mark_recovered(conn, "feed:BBC")
        await ops_state.mark_recovered(conn, "feed:never-announced")
    assert await ops_state.announced(db.conn) == {"destination:7": "Missing Access"}
