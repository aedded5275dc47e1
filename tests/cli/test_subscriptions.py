"""`subscriptions export` / `import` through the real CLI: moving chat subscriptions."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.store import destinations as dest_store
from tests.support import stored
from tests.support.cli import run_cli, write_config

# Tests that store something run on SQLite and again on PostgreSQL (a bad file is refused
# before the database is opened: that one runs once).
ON_BOTH_BACKENDS = pytest.mark.usefixtures("cli_backend")

WHEN = datetime(2024, 1, 2, 9, 30, tzinfo=UTC)


def host(folder: Path, database_env: str | None = None) -> Path:
    """A config in `folder`, with the SQLite file there (or the PostgreSQL database the test
    gives it: `database_env`, else $DATABASE_URL)."""
    folder.mkdir()
    return write_config(folder, feeds={"BBC": "http://127.0.0.1:9/feed"}, database_env=database_env)


def seed(folder: Path) -> None:
    """Two Discord channels, a Slack channel, and a config webhook that must not travel."""

    async def fill() -> None:
        db = await stored.open_test_store(folder)
        async with db.transaction() as conn:
            common = {"created_by": "Ada", "now": WHEN}
            await dest_store.subscribe(
                conn,
                key="discord:111",
                kind="discord",
                label="#politics",
                scope="900",
                channel="111",
                categories=["defection", "letters"],
                mention="555",
                **common,
            )
            await dest_store.subscribe(
                conn,
                key="discord:222",
                kind="discord",
                label="#pmqs",
                scope="900",
                channel="222",
                categories=["pmqs"],
                mention=None,
                **common,
            )
            await dest_store.subscribe(
                conn,
                key="slack:T1:C1",
                kind="slack",
                label="#westminster",
                scope="T1",
                channel="C1",
                categories=["inquiry"],
                mention=None,
                **common,
            )
            for key, mode in (("discord:222", "thread"), ("slack:T1:C1", "off")):
                dest_id = await dest_store.destination_id(conn, key)
                assert dest_id is not None
                await dest_store.set_updates(conn, dest_id, mode)
            hook = await dest_store.upsert_destination(
                conn, key="webhook:abc", kind="webhook:discord", label="desk", now=WHEN
            )
            await dest_store.set_subscriptions(conn, hook, ["pmqs"], now=WHEN)
        await db.close()

    asyncio.run(fill())


def export(folder: Path, config: Path) -> dict[str, object]:
    result = run_cli(["--config", str(config), "subscriptions", "export"], cwd=folder)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert isinstance(document, dict)
    return document


@ON_BOTH_BACKENDS
def test_export_then_import_moves_every_chat_subscription(
    tmp_path: Path, another_database: Callable[[], str | None]
) -> None:
    old_config = host(tmp_path / "old")
    new_config = host(tmp_path / "new", another_database())
    seed(tmp_path / "old")
    document = export(tmp_path / "old", old_config)
    assert document["format"] == "division-bell-subscriptions"
    channels = document["channels"]
    assert isinstance(channels, list)
    assert [c["key"] for c in channels] == ["discord:111", "discord:222", "slack:T1:C1"]
    assert [c["updates"] for c in channels] == ["edit", "thread", "off"]
    politics = channels[0]
    assert politics["subscriptions"] == [
        {
            "category": "defection",
            "mention": "555",
            "created_by": "Ada",
            "created_at": "2024-01-02T09:30:00Z",
        },
        {
            "category": "letters",
            "mention": "555",
            "created_by": "Ada",
            "created_at": "2024-01-02T09:30:00Z",
        },
    ]
    exported = tmp_path / "subscriptions.json"
    exported.write_text(json.dumps(document), encoding="utf-8")
    for _ in range(2):  # importing twice changes nothing
        result = run_cli(
            ["--config", str(new_config), "subscriptions", "import", str(exported)],
            cwd=tmp_path / "new",
        )
        assert result.returncode == 0, result.stderr
        assert "imported 4 subscriptions for 3 channels" in result.stdout
    moved = export(tmp_path / "new", new_config)
    assert moved["channels"] == channels


@ON_BOTH_BACKENDS
def test_import_skips_unknown_categories_with_a_warning(tmp_path: Path) -> None:
    config = host(tmp_path / "new")
    document = {
        "format": "division-bell-subscriptions",
        "version": 1,
        "channels": [
            {
                "key": "discord:1",
                "kind": "discord",
                "label": "#p",
                "scope": "9",
                "channel": "1",
                "created_at": "2024-01-02T09:30:00+00:00",
                "subscriptions": [
                    {"category": "by-election", "mention": None, "created_by": "x", **_at()},
                    {"category": "pmqs", "mention": None, "created_by": "x", **_at()},
                ],
            }
        ],
    }
    result = run_cli(
        ["--config", str(config), "subscriptions", "import", "-"],
        cwd=tmp_path / "new",
        stdin=json.dumps(document),
    )
    assert result.returncode == 0, result.stderr
    assert "category 'by-election' is unknown here; skipped" in result.stderr
    assert "imported 1 subscriptions for 1 channels" in result.stdout


def old_export(**extra: object) -> dict[str, object]:
    """One Discord channel's export as written before channels had an updates mode."""
    channel = {
        "key": "discord:111",
        "kind": "discord",
        "label": "#politics",
        "scope": "900",
        "channel": "111",
        "created_at": "2024-01-02T09:30:00Z",
        "subscriptions": [{"category": "pmqs", "mention": None, "created_by": "x", **_at()}],
    }
    return {"format": "division-bell-subscriptions", "version": 1, "channels": [channel | extra]}


@ON_BOTH_BACKENDS
def test_an_export_from_before_updates_imports_with_the_default(tmp_path: Path) -> None:
    config = host(tmp_path / "new")
    for document, expected in [
        (old_export(updates="thread"), "thread"),
        (old_export(), "edit"),  # the file is the record: a missing mode is the default
    ]:
        result = run_cli(
            ["--config", str(config), "subscriptions", "import", "-"],
            cwd=tmp_path / "new",
            stdin=json.dumps(document),
        )
        assert result.returncode == 0, result.stderr
        [channel] = export(tmp_path / "new", config)["channels"]
        assert channel["updates"] == expected


def _at() -> dict[str, str]:
    return {"created_at": "2024-01-02T09:30:00Z"}


def test_import_of_a_bad_file_names_it_and_exits_2(tmp_path: Path) -> None:
    config = host(tmp_path / "new")
    bad = tmp_path / "bad.json"
    cases = {
        "{not json": "not JSON",
        '{"format": "other"}': "not a subscriptions export",
        '{"format": "division-bell-subscriptions", "version": 9}': "export version 9",
        '{"format": "division-bell-subscriptions", "version": 1, "channels": [{"kind": "irc"}]}': (
            "channel #1: kind must be one of discord, slack"
        ),
        json.dumps(old_export(updates="sometimes")): (
            "channel #1: updates must be one of edit, thread, off"
        ),
    }
    for text, message in cases.items():
        bad.write_text(text, encoding="utf-8")
        result = run_cli(
            ["--config", str(config), "subscriptions", "import", str(bad)], cwd=tmp_path / "new"
        )
        assert result.returncode == 2
        assert f"{bad}: {message}" in result.stderr
    missing = run_cli(
        ["--config", str(config), "subscriptions", "import", "nowhere.json"], cwd=tmp_path / "new"
    )
    assert missing.returncode == 2
    assert "nowhere.json: No such file or directory" in missing.stderr
