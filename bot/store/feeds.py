"""Feed state: validators, successes, failures and when to poll next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store.connection import from_db, to_db
from bot.store.sql import Conn, Row


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the store remembers about one feed between polls."""

    name: str
    url: str
    title: str | None
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    first_success_at: datetime | None
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failures: int
    next_poll_at: datetime | None
    failing_since: datetime | None = None  # start of the current failure streak
    last_parsed_at: datetime | None = None  # last poll that read the entries (not a 304)


async def sync_feeds(conn: Conn, feeds: list[tuple[str, str]]) -> None:
    """Make sure every configured (name, url) has a row; a changed URL starts afresh."""
    # One statement for the whole list: every `poll` starts with this, and one trip to the
    # SQLite thread per feed was a visible part of a large poll's start-up.
    await conn.executemany(
        "INSERT INTO feeds (name, url) VALUES (?, ?) "
        "ON CONFLICT(name) DO UPDATE SET url = excluded.url, etag = NULL, "
        "last_modified = NULL, body_hash = NULL, first_success_at = NULL, failures = 0, "
        "next_poll_at = NULL WHERE feeds.url != excluded.url",
        feeds,
    )


async def get_feed(conn: Conn, name: str) -> FeedState | None:
    """One feed's state, or None if unknown."""
    # One trip to the SQLite thread (execute_fetchall), not three: every poll starts here.
    rows = await conn.execute_fetchall("SELECT * FROM feeds WHERE name = ?", (name,))
    return next((_state(row) for row in rows), None)


async def all_feeds(conn: Conn) -> list[FeedState]:
    """Every feed's state, by name."""
    async with conn.execute("SELECT * FROM feeds ORDER BY name") as cursor:
        rows = await cursor.fetchall()
    return [_state(row) for row in rows]


async def record_success(
    conn: Conn,
    name: str,
    *,
    now: datetime,
    next_poll_at: datetime,
    etag: str | None,
    last_modified: str | None,
    body_hash: str | None,
    title: str | None,
    parsed: bool = False,
) -> None:
    """A poll that reached the feed (200 or 304): store validators, clear the failure count."""
    # A 304 says nothing about entries, so only a parsed body moves last_parsed_at.
    parsed_at = "last_parsed_at = ?, " if parsed else ""
    stamp = to_db(now)
    await conn.execute(
        "UPDATE feeds SET etag = ?, last_modified = ?, body_hash = ?, "
        "title = COALESCE(?, title), first_success_at = COALESCE(first_success_at, ?), "
        f"last_success_at = ?, last_attempt_at = ?, failures = 0, failing_since = NULL, "
        f"{parsed_at}next_poll_at = ? WHERE name = ?",
        (
            etag,
            last_modified,
            body_hash,
            title,
            stamp,
            stamp,
            stamp,
            *((stamp,) if parsed else ()),
            to_db(next_poll_at),
            name,
        ),
    )


async def record_failure(
    conn: Conn, name: str, *, now: datetime, error: str, next_poll_at: datetime
) -> None:
    """A failed poll: keep the error for status and push the next poll back."""
    await conn.execute(
        "UPDATE feeds SET last_error = ?, last_error_at = ?, last_attempt_at = ?, "
        "failures = failures + 1, failing_since = COALESCE(failing_since, ?), next_poll_at = ? "
        "WHERE name = ?",
        (error, to_db(now), to_db(now), to_db(now), to_db(next_poll_at), name),
    )


@dataclass(frozen=True, slots=True)
class Churn:
    """How a feed's latest parsed document compares with what the feed showed before."""

    listed: int  # entries in that document
    rekeyed: int  # entries new by identity whose title or link the feed had already shown

    @property
    def unstable(self) -> bool:
        """Most of the feed came back under new identities (GUIDs): its IDs are not stable.

        Dedupe still holds (the same link or story never alerts twice), but the feed's own
        identity layer is useless, so `status` says so. At least two entries, so one edited
        article in a small feed is not a verdict.
        """
        return self.rekeyed >= 2 and self.rekeyed * 2 >= self.listed


async def churned_feeds(conn: Conn) -> dict[str, Churn]:
    """Churn for each feed whose latest parse brought at least two new entries.

    Derived from what is stored, without a schema change: every poll that parses a feed stamps
    last_seen_at of each entry it lists, and first_seen_at of each new one, with the feed's
    last_parsed_at, so the entries of the latest document and the new ones among them are exact.
    """
    async with conn.execute(
        "SELECT f.name, COUNT(*), "
        "SUM(CASE WHEN h.first_seen_at = f.last_parsed_at THEN 1 ELSE 0 END) FROM feeds f "
        "JOIN headlines h ON h.last_seen_at = f.last_parsed_at AND h.feed = f.name "
        "WHERE f.first_success_at < f.last_parsed_at GROUP BY f.name"
    ) as cursor:
        counts = [(row[0], int(row[1]), int(row[2] or 0)) for row in await cursor.fetchall()]
    found: dict[str, Churn] = {}
    for name, listed, new in counts:
        if new < 2:
            continue
        # Set intersections (one sort each) rather than a lookup per entry: a 10,000-entry feed
        # costs milliseconds, not a scan of its history for every entry.
        rekeyed = 0
        for column in ("title", "link"):
            async with conn.execute(
                f"SELECT COUNT(*) FROM (SELECT h.{column} FROM headlines h JOIN feeds f "
                f"ON f.name = h.feed WHERE h.feed = ? AND h.first_seen_at = f.last_parsed_at "
                f"AND h.{column} != '' INTERSECT SELECT h.{column} FROM headlines h JOIN feeds f "
                f"ON f.name = h.feed WHERE h.feed = ? AND h.first_seen_at < f.last_parsed_at "
                f"AND h.{column} != '') AS shown_again",
                (name, name),
            ) as cursor:
                row = await cursor.fetchone()
            rekeyed = max(rekeyed, int(row[0]) if row else 0)
        found[name] = Churn(listed, rekeyed)
    return found


def _state(row: Row) -> FeedState:
    return FeedState(
        name=row["name"],
        url=row["url"],
        title=row["title"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        body_hash=row["body_hash"],
        first_success_at=from_db(row["first_success_at"]),
        last_success_at=from_db(row["last_success_at"]),
        last_attempt_at=from_db(row["last_attempt_at"]),
        last_error=row["last_error"],
        last_error_at=from_db(row["last_error_at"]),
        failures=row["failures"],
        next_poll_at=from_db(row["next_poll_at"]),
        failing_since=from_db(row["failing_since"]),
        last_parsed_at=from_db(row["last_parsed_at"]),
    )
