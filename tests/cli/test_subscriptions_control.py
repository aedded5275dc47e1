"""`subscriptions export` / `import` carry each chat channel's settings (channel control)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain import ChannelControl
from bot.store import destinations as dest_store
from tests.cli.test_subscriptions import export, host, old_export
from tests.support import stored
from tests.support.cli import run_cli

# Every test here runs on SQLite and again on PostgreSQL.
pytestmark = pytest.mark.usefixtures("cli_backend")

WHEN = datetime(2024, 1, 2, 9, 30, tzinfo=UTC)
SETTINGS = ChannelControl(
    quiet_hours="22:00-07:00",
    quiet_except=("defection",),
    timezone="Europe/Dublin",
    digest=("08:00", "18:00"),
    digest_except=("breaking",),
    watch=("Angela Rayner", "Reform UK"),
    min_reports=2,
    muted_until=datetime(2030, 1, 1, 12, 0, tzinfo=UTC),
)


def seed(folder: Path) -> None:
    """#politics subscribed and with every setting; #lobby only watching; #quiet neither."""

    async def fill() -> None:
        db = await stored.open_test_store(folder)
        async with db.transaction() as conn:
            await dest_store.subscribe(
                conn,
                key="discord:111",
                kind="discord",
                label="#politics",
                scope="900",
                channel="111",
                categories=["pmqs"],
                mention=None,
                created_by="Ada",
                now=WHEN,
            )
            for key, label, control in (
                ("discord:111", "#politics", SETTINGS),
                ("discord:222", "#lobby", ChannelControl(watch=("Nigel Farage",))),
                ("discord:333", "#quiet", ChannelControl()),
            ):
                dest_id = await dest_store.upsert_destination(
                    conn, key=key, kind="discord", label=label, scope="900", now=WHEN
                )
                await dest_store.set_control(conn, dest_id, control)
        await db.close()

    asyncio.run(fill())


def controls(folder: Path) -> dict[str, ChannelControl]:
    async def read() -> dict[str, ChannelControl]:
        db = await stored.open_test_store(folder)
        try:
            return {d.key: d.control for d in await dest_store.active_destinations(db.conn)}
        finally:
            await db.close()

    return asyncio.run(read())


def load(folder: Path, config: Path, document: object) -> str:
    result = run_cli(
        ["--config", str(config), "subscriptions", "import", "-"],
        cwd=folder,
        stdin=json.dumps(document),
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_settings_travel_with_their_channels(
    tmp_path: Path, another_database: Callable[[], str | None]
) -> None:
    old_config = host(tmp_path / "old")
    new_config = host(tmp_path / "new", another_database())
    seed(tmp_path / "old")
    document = export(tmp_path / "old", old_config)
    channels = document["channels"]
    assert isinstance(channels, list)
    # A channel that only watches travels too; one with neither categories nor settings does not.
    assert [c["key"] for c in channels] == ["discord:111", "discord:222"]
    assert channels[0]["control"] == {
        "quiet_hours": "22:00-07:00",
        "quiet_except": ["defection"],
        "timezone": "Europe/Dublin",
        "digest": ["08:00", "18:00"],
        "digest_except": ["breaking"],
        "watch": ["Angela Rayner", "Reform UK"],
        "min_reports": 2,
        "muted_until": "2030-01-01T12:00:00+00:00",
    }
    assert channels[1]["subscriptions"] == []
    load(tmp_path / "new", new_config, document)
    moved = controls(tmp_path / "new")
    watching = ChannelControl(watch=("Nigel Farage",))
    assert moved == {"discord:111": SETTINGS, "discord:222": watching}
    assert export(tmp_path / "new", new_config)["channels"] == channels


def test_an_export_from_before_settings_leaves_them_as_they_are(tmp_path: Path) -> None:
    config = host(tmp_path / "new")
    load(tmp_path / "new", config, old_export(control={"quiet_hours": "23:00-06:00"}))
    load(tmp_path / "new", config, old_export())  # no "control": the file does not say
    assert controls(tmp_path / "new") == {"discord:111": ChannelControl("23:00-06:00")}


def test_unknown_categories_are_dropped_and_bad_values_refused(tmp_path: Path) -> None:
    config = host(tmp_path / "new")
    control = {"quiet_hours": "22:00-07:00", "quiet_except": ["by-election", "defection"]}
    warnings = load(tmp_path / "new", config, old_export(control=control))
    assert (
        "#politics (discord:111): quiet_except category 'by-election' is unknown here; dropped"
        in warnings
    )
    assert controls(tmp_path / "new") == {
        "discord:111": ChannelControl("22:00-07:00", ("defection",))
    }
    bad = tmp_path / "bad.json"
    for control, message in (
        ({"min_reports": 0}, "channel #1: control: min_reports: expected 1 to 20 outlets, got 0"),
        ({"quiet_hours": "late"}, "channel #1: control: expected quiet hours like"),
        ({"watch": "Rayner"}, "channel #1: control watch must be a list of strings"),
        ("quiet", "channel #1: control must be an object"),
    ):
        bad.write_text(json.dumps(old_export(control=control)), encoding="utf-8")
        result = run_cli(
            ["--config", str(config), "subscriptions", "import", str(bad)], cwd=tmp_path / "new"
        )
        assert result.returncode == 2
        assert f"{bad}: {message}" in result.stderr
