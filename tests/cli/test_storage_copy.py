"""`division-bell storage copy`: a SQLite install, built by the real pipeline, moved to
PostgreSQL with the real CLI; the bot then carries on there without alerting anything twice."""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from bot.store.connection import Database
from bot.store.copy import TABLES
from bot.store.postgres import PostgresDatabase
from tests.support.chat_server import ChatServer
from tests.support.cli import run_cli, toml_string, write_config
from tests.support.feed_server import FeedServerThread
from tests.support.members_api import MembersApiServer, SampleMember, Spell
from tests.support.rss import Item, rss_feed

DESK, QUIET = "/discord/desk", "/discord/quiet"
PASSWORD = "s3cret-Pa55word"  # the test server trusts local connections, ignores it
NOW = datetime.now(UTC)
ITEMS = [
    Item(
        "Tory MP Edward Leigh defects to Reform UK",
        "https://bbc.example/leigh",
        guid="bbc-1",
        published=NOW - timedelta(minutes=20),
    ),
    Item(
        "Tory MPs submit letters of no confidence in the prime minister to the 1922 Committee",
        "https://bbc.example/letters",
        guid="bbc-2",
        published=NOW - timedelta(minutes=30),
    ),
    Item(
        "Energy bills set to rise as price cap review nears",
        "https://bbc.example/energy",
        guid="bbc-3",
        published=NOW - timedelta(minutes=10),
    ),
]
CHANNEL = {
    "format": "division-bell-subscriptions",
    "version": 1,
    "channels": [
        {
            "key": "discord:4242",
            "kind": "discord",
            "label": "#westminster",
            "scope": "77",
            "channel": "4242",
            "created_at": "2026-01-05T09:00:00Z",
            "subscriptions": [
                {
                    "category": "defection",
                    "mention": "@here",
                    "created_by": "ann",
                    "created_at": "2026-01-05T09:00:00Z",
                }
            ],
        }
    ],
}


@dataclass
class Install:
    """A SQLite install (its config in `folder`) and the same install's PostgreSQL config."""

    folder: Path
    postgres: Path  # the folder of the config that names $DATABASE_URL
    url: str  # the database's URL, with a password the server ignores

    def sqlite(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        result = run_cli(["--config", "division-bell.toml", *args], cwd=self.folder, env=env)
        return result.returncode, result.stdout, result.stderr

    def pg(self, *args: str) -> tuple[int, str, str]:
        result = run_cli(
            ["--config", "division-bell.toml", *args],
            cwd=self.postgres,
            env={"DATABASE_URL": self.url},
        )
        return result.returncode, result.stdout, result.stderr

    def copy(self, *args: str) -> tuple[int, str, str]:
        """`storage copy --to-env DATABASE_URL` with the SQLite config."""
        return self.sqlite(
            "storage",
            "copy",
            *(args or ("--to-env", "DATABASE_URL")),
            env={"DATABASE_URL": self.url},
        )


def with_password(dsn: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(
        parts._replace(netloc=f"{parts.username}:{PASSWORD}@{parts.netloc.split('@')[-1]}")
    )


def configure(
    folder: Path, feeds: FeedServerThread, chat: ChatServer, api: str, *, pg: bool
) -> None:
    # The quiet channel is quiet now (UTC) for hours to come: its alerts wait, held.
    start = (NOW - timedelta(hours=1)).strftime("%H:%M")
    end = (NOW + timedelta(hours=3)).strftime("%H:%M")
    write_config(
        folder,
        feeds={"BBC Politics": feeds.url("/bbc.xml")},
        webhooks=[
            {"platform": "discord", "url": chat.url(DESK), "name": "desk"},
            {
                "platform": "discord",
                "url": chat.url(QUIET),
                "name": "quiet",
                "quiet_hours": f"{start}-{end}",
                "timezone": "UTC",
            },
        ],
        database_env="DATABASE_URL" if pg else None,
        extra=f"[parliament]\nmembers_api = {toml_string(api)}\ntimeout = 2\n",
    )


@pytest.fixture
def api() -> Iterator[MembersApiServer]:
    leigh = SampleMember(
        345, "Edward Leigh", "commons", "Gainsborough", [Spell("Conservative", "1983-06-09")]
    )
    server = MembersApiServer([leigh]).serve_in_thread()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def install(
    tmp_path: Path,
    postgres_dsn: str,
    feeds: FeedServerThread,
    chat: ChatServer,
    api: MembersApiServer,
) -> Install:
    """A SQLite install after a refresh of the people register, a chat subscription and a poll."""
    feeds.set_feed("/bbc.xml", rss_feed("BBC", ITEMS))
    site = Install(tmp_path, tmp_path / "pg", with_password(postgres_dsn))
    site.postgres.mkdir()
    configure(site.folder, feeds, chat, api.url(), pg=False)
    configure(site.postgres, feeds, chat, api.url(), pg=True)
    assert site.sqlite("people", "refresh")[0] == 0
    (tmp_path / "channel.json").write_text(json.dumps(CHANNEL), encoding="utf-8")
    assert site.sqlite("subscriptions", "import", "channel.json")[0] == 0
    code, _, err = site.sqlite("poll")
    assert code == 0, err
    assert len(chat.received(DESK)) == 2  # the defection and the letters; not energy bills
    assert chat.received(QUIET) == []
    return site


def sqlite_counts(folder: Path) -> dict[str, int]:
    with closing(sqlite3.connect(folder / "db.sqlite3")) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}  # noqa: S608


def postgres_counts(url: str) -> dict[str, int] | None:
    """Each table's rows in the PostgreSQL database; None when it has no tables yet."""

    async def count() -> dict[str, int] | None:
        con = await asyncpg.connect(url)
        try:
            if await con.fetchval("SELECT to_regclass('feeds')") is None:
                return None
            return {t: int(await con.fetchval(f"SELECT count(*) FROM {t}")) for t in TABLES}  # noqa: S608
        finally:
            await con.close()

    return asyncio.run(count())


def outbox_statuses(folder: Path) -> dict[str, int]:
    with closing(sqlite3.connect(folder / "db.sqlite3")) as conn:
        rows = conn.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall()
    return dict(rows)


def exported(result: tuple[int, str, str]) -> dict[str, object]:
    """`subscriptions export`'s document without the moment it was made."""
    assert result[0] == 0, result[2]
    document: dict[str, object] = json.loads(result[1])
    document.pop("exported_at")
    return document


def postgres_statuses(url: str) -> dict[str, int]:
    async def read() -> dict[str, int]:
        con = await asyncpg.connect(url)
        try:
            rows = await con.fetch("SELECT status, count(*) FROM outbox GROUP BY status")
        finally:
            await con.close()
        return {row[0]: int(row[1]) for row in rows}

    return asyncio.run(read())


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_postgres_carries_on_where_sqlite_left_off(
    install: Install, feeds: FeedServerThread, chat: ChatServer
) -> None:
    before = {
        "latest": install.sqlite("latest"),
        "why": install.sqlite("why", ITEMS[0].link),
        "export": install.sqlite("subscriptions", "export"),
    }
    source = sqlite_counts(install.folder)
    # Every table the pipeline fills holds rows: the copy has real data to carry.
    assert all(source[t] for t in TABLES if t != "ops_notices"), source
    file_before = digest(install.folder / "db.sqlite3")
    held = outbox_statuses(install.folder)
    assert held.get("held") == 2, held  # the quiet channel's two alerts wait

    code, out, err = install.copy()
    assert code == 0, err
    assert PASSWORD not in out + err
    for table in TABLES:  # the table of counts: SQLite's and PostgreSQL's, equal
        assert f"\n{table} " in out
        line = next(row for row in out.splitlines() if row.startswith(f"{table} "))
        assert line.split()[1:] == [f"{source[table]:,}"] * 2, line
    assert 'url_env = "DATABASE_URL"' in out
    assert "left as it was, as a backup" in out
    assert postgres_counts(install.url) == source
    assert postgres_statuses(install.url) == held
    assert digest(install.folder / "db.sqlite3") == file_before  # the file is untouched

    # The same events, explanations and subscriptions, read from PostgreSQL.
    assert install.pg("latest") == before["latest"]
    assert install.pg("why", ITEMS[0].link) == before["why"]
    assert exported(install.pg("subscriptions", "export")) == exported(before["export"])

    # A poll on PostgreSQL: what was alerted stays alerted, the held alerts stay held.
    code, _, err = install.pg("poll")
    assert code == 0, err
    assert len(chat.received(DESK)) == 2
    assert chat.edits(DESK) == []
    assert chat.received(QUIET) == []
    assert postgres_statuses(install.url) == held

    # A new story alerts once: the copied ids do not collide with the new rows'.
    fresh = Item(
        "Privileges Committee opens inquiry into former minister",
        "https://bbc.example/privileges",
        guid="bbc-4",
        published=datetime.now(UTC) - timedelta(minutes=1),
    )
    feeds.set_feed("/bbc.xml", rss_feed("BBC", [fresh, *ITEMS]))
    code, _, err = install.pg("poll")
    assert code == 0, err
    desk = chat.received(DESK)
    assert len(desk) == 3
    assert "Privileges Committee" in desk[-1]["embeds"][0]["title"]
    assert chat.received(QUIET) == []
    assert postgres_counts(install.url)["stories"] == source["stories"] + 1


def test_a_target_with_rows_is_refused_and_left_alone(install: Install) -> None:
    assert install.pg("people", "refresh")[0] == 0  # PostgreSQL already in use
    counts = postgres_counts(install.url)
    code, out, err = install.copy()
    assert code == 1
    assert "not empty" in err
    assert "people, party_spells, people_refresh already hold rows" in err
    assert "Nothing was written" in err
    assert PASSWORD not in out + err
    assert postgres_counts(install.url) == counts


def test_a_config_already_on_postgres_is_refused(install: Install) -> None:
    result = run_cli(
        ["--config", "division-bell.toml", "storage", "copy", "--to-env", "DATABASE_URL"],
        cwd=install.postgres,
        env={"DATABASE_URL": install.url},
    )
    assert result.returncode == 2
    assert "already names a PostgreSQL database" in result.stderr
    assert "config that still uses SQLite" in result.stderr
    assert postgres_counts(install.url) is None  # not even migrated


def empty_sqlite(folder: Path) -> None:
    write_config(folder, feeds={})
    asyncio.run(_create(folder / "db.sqlite3"))


async def _create(path: Path) -> None:
    await (await Database.open(path)).close()


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (
            ["--to", "mysql://bell:" + PASSWORD + "@db.example/bell"],
            2,
            "--to: not a PostgreSQL URL",
        ),
        (
            ["--to", "postgresql://bell:" + PASSWORD + "@127.0.0.1:notaport/bell"],
            2,
            "not a valid URL",
        ),
        (
            ["--to", "postgresql://bell:" + PASSWORD + "@127.0.0.1:9/bell"],
            1,
            "bell:***@127.0.0.1:9",
        ),
        (["--to-env", "NOT_SET_ANYWHERE"], 2, "--to-env NOT_SET_ANYWHERE: the variable is unset"),
    ],
)
def test_a_bad_url_says_what_is_wrong_without_the_password(
    tmp_path: Path, args: list[str], code: int, says: str
) -> None:
    empty_sqlite(tmp_path)
    result = run_cli(["--config", "division-bell.toml", "storage", "copy", *args], cwd=tmp_path)
    assert result.returncode == code, result.stderr
    assert says in result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_sqlite_file_is_refused(tmp_path: Path, postgres_dsn: str) -> None:
    write_config(tmp_path, feeds={})
    result = run_cli(
        ["--config", "division-bell.toml", "storage", "copy", "--to", postgres_dsn], cwd=tmp_path
    )
    assert result.returncode == 1
    assert "no SQLite database to copy" in result.stderr
    assert not (tmp_path / "db.sqlite3").exists()


def test_a_running_run_is_refused(tmp_path: Path, postgres_dsn: str) -> None:
    empty_sqlite(tmp_path)
    fd = os.open(tmp_path / "db.sqlite3.run.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as `run` holds it
        result = run_cli(
            ["--config", "division-bell.toml", "storage", "copy", "--to", postgres_dsn],
            cwd=tmp_path,
        )
    finally:
        os.close(fd)
    assert result.returncode == 1
    assert "a `division-bell run` is using this database" in result.stderr
    assert "Stop it first" in result.stderr


def test_an_empty_sqlite_database_copies_and_leaves_sequences_at_one(
    tmp_path: Path, postgres_dsn: str
) -> None:
    empty_sqlite(tmp_path)
    url = with_password(postgres_dsn)
    result = run_cli(
        ["--config", "division-bell.toml", "storage", "copy", "--to", url], cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "copied 0 rows in 11 tables" in result.stdout
    assert "set the environment variable DATABASE_URL to the URL you gave" in result.stdout
    assert f"postgresql://postgres:***@/{urlsplit(url).path.lstrip('/')}" in result.stdout
    assert PASSWORD not in result.stdout + result.stderr

    async def first_id() -> int:
        db = await PostgresDatabase.open(postgres_dsn)
        try:
            async with db.pool.acquire() as con:
                return int(
                    await con.fetchval("SELECT nextval(pg_get_serial_sequence('stories', 'id'))")
                )
        finally:
            await db.close()

    assert asyncio.run(first_id()) == 1
