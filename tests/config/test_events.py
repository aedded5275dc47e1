"""[events], [[feeds]] outlet and [[webhooks]] updates: defaults, limits, messages, and effect."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import open_runtime, sync_config
from bot.config import EventsSettings, load_settings
from bot.config.show import render_settings
from bot.errors import ConfigError
from bot.store import destinations as dest_store
from bot.store.opening import open_store
from bot.store.sql import Store
from tests.support.cli import run_cli
from tests.support.feed_server import FeedServerThread
from tests.support.rss import Item, rss_feed

HOOK = "[[webhooks]]\nname = 'desk'\nplatform = 'discord'\nurl = 'https://a.example/h'\n"
FEED = "[[feeds]]\nname = 'BBC Politics'\nurl = 'https://a.example/f'\n"
THREAD_REFUSED = (
    '[webhooks #1] updates = "thread" needs a bot channel: webhooks cannot start threads; '
    'use "edit" or "off"'
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "conf.toml"
    path.write_text(f"{text}\n[storage]\npath = 'db.sqlite3'\n", encoding="utf-8")
    return path


def load(tmp_path: Path, text: str) -> EventsSettings:
    return load_settings(write(tmp_path, text), env={}).events


def refused(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    return message.removeprefix(f"{path}: ")


def test_events_defaults(tmp_path: Path) -> None:
    assert load(tmp_path, "") == EventsSettings(
        window=36, surge_outlets=3, surge_minutes=30, edit_interval=30
    )
    assert load(tmp_path, "[events]\n") == EventsSettings()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("window = 1", EventsSettings(window=1)),
        ("window = 720", EventsSettings(window=720)),
        ("window = 48.5", EventsSettings(window=48.5)),
        ("surge_outlets = 2", EventsSettings(surge_outlets=2)),
        ("surge_outlets = 50", EventsSettings(surge_outlets=50)),
        ("surge_minutes = 1", EventsSettings(surge_minutes=1)),
        ("surge_minutes = 1440", EventsSettings(surge_minutes=1440)),
        ("edit_interval = 0", EventsSettings(edit_interval=0)),
        ("edit_interval = 3600", EventsSettings(edit_interval=3600)),
    ],
)
def test_events_good_values(tmp_path: Path, text: str, expected: EventsSettings) -> None:
    assert load(tmp_path, f"[events]\n{text}\n") == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("window = 0.5", "[events] window: 0.5 is out of range (1 to 720)"),
        ("window = 721", "[events] window: 721 is out of range (1 to 720)"),
        ("window = '36h'", "[events] window: expected a number, got a string ('36h')"),
        ("window = true", "[events] window: expected a number, got a boolean (true)"),
        ("surge_outlets = 1", "[events] surge_outlets: 1 is out of range (2 to 50)"),
        ("surge_outlets = 51", "[events] surge_outlets: 51 is out of range (2 to 50)"),
        ("surge_outlets = 3.5", "[events] surge_outlets: expected a whole number, got a number"),
        ("surge_minutes = 0", "[events] surge_minutes: 0 is out of range (1 to 1440)"),
        ("surge_minutes = 1441", "[events] surge_minutes: 1441 is out of range (1 to 1440)"),
        ("surge_minutes = 'soon'", "[events] surge_minutes: expected a number, got a string"),
        ("edit_interval = -1", "[events] edit_interval: -1 is out of range (0 to 3600)"),
        ("edit_interval = 3601", "[events] edit_interval: 3601 is out of range (0 to 3600)"),
        ("edit_interval = [30]", "[events] edit_interval: expected a number, got a list"),
        ("windows = 36", "[events] windows: unknown key (known keys: edit_interval, surge_"),
    ],
)
def test_events_bad_values_name_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    assert refused(tmp_path, f"[events]\n{text}\n").startswith(message)


def test_events_must_be_a_table(tmp_path: Path) -> None:
    assert refused(tmp_path, "events = 3\n") == "[events] must be a table, got a number (3)"


def test_a_feed_outlet_defaults_to_its_name(tmp_path: Path) -> None:
    text = FEED + "[[feeds]]\nname = 'BBC Wales'\nurl = 'https://a.example/w'\noutlet = ' BBC '\n"
    politics, wales = load_settings(write(tmp_path, text), env={}).feeds
    assert (politics.outlet, politics.publisher) == ("", "BBC Politics")
    assert (wales.outlet, wales.publisher) == ("BBC", "BBC")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("''", "[feeds #1] outlet: expected a non-empty one-line string, got a string ('')"),
        ("'  '", "[feeds #1] outlet: expected a non-empty one-line string, got a string"),
        ('"BBC\\nNews"', "[feeds #1] outlet: expected a non-empty one-line string"),
        ("3", "[feeds #1] outlet: expected a non-empty one-line string, got a number (3)"),
    ],
)
def test_a_bad_feed_outlet_is_refused(tmp_path: Path, value: str, message: str) -> None:
    assert refused(tmp_path, f"{FEED}outlet = {value}\n").startswith(message)


@pytest.mark.parametrize(("written", "stored"), [(None, "edit"), ("edit", "edit"), ("off", "off")])
def test_a_webhook_updates_mode(tmp_path: Path, written: str | None, stored: str) -> None:
    text = HOOK + (f"updates = '{written}'\n" if written else "")
    [hook] = load_settings(write(tmp_path, text), env={}).webhooks
    assert hook.updates == stored


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("'thread'", THREAD_REFUSED),
        ("'Edit'", '[webhooks #1] updates: expected "edit" or "off", got \'Edit\''),
        ("''", '[webhooks #1] updates: expected "edit" or "off", got \'\''),
        ("'never'", '[webhooks #1] updates: expected "edit" or "off", got \'never\''),
        ("false", "[webhooks #1] updates: expected a string, got a boolean (false)"),
    ],
)
def test_a_bad_webhook_updates_mode_is_refused(tmp_path: Path, value: str, message: str) -> None:
    assert refused(tmp_path, f"{HOOK}updates = {value}\n") == message


def test_check_config_shows_events_outlets_and_updates_in_order(tmp_path: Path) -> None:
    text = (
        "[events]\nwindow = 48\nedit_interval = 0\n"
        f"{FEED}outlet = 'BBC News'\n"
        "[[feeds]]\nname = 'Guardian'\nurl = 'https://a.example/g'\n"
        f"{HOOK}updates = 'off'\n"
    )
    shown = render_settings(load_settings(write(tmp_path, text), env={}))
    assert (
        "\n[events]\nwindow = 48\nsurge_outlets = 3\nsurge_minutes = 30\nedit_interval = 0\n"
        in shown
    )
    assert '\nname = "BBC Politics"\nurl = "https://a.example/f"\noutlet = "BBC News"\n' in shown
    guardian = shown.split('name = "Guardian"', 1)[1].split("\n\n", 1)[0]
    assert "outlet" not in guardian  # the default (its name) is not written out
    hook = shown.split("[[webhooks]]", 1)[1]
    assert 'categories = ["defection", "letters", "pmqs", "inquiry"]\nupdates = "off"\n' in hook
    default = render_settings(load_settings(write(tmp_path, HOOK), env={}))
    assert 'updates = "edit"' in default


def test_check_config_refuses_thread_on_a_webhook(tmp_path: Path) -> None:
    write(tmp_path, f"{HOOK}updates = 'thread'\n")
    result = run_cli(["--config", "conf.toml", "check-config"], cwd=tmp_path)
    assert result.returncode == 2
    assert f"conf.toml: {THREAD_REFUSED}" in result.stderr
    assert "Traceback" not in result.stderr


async def test_a_webhooks_updates_mode_follows_the_config_at_each_start(
    tmp_path: Path, db: Store
) -> None:
    now = datetime(2024, 5, 8, 12, 0, tzinfo=UTC)
    for written in ("off", "edit", "off"):
        settings = load_settings(write(tmp_path, f"{HOOK}updates = '{written}'\n"), env={})
        await sync_config(db, settings, now)
        [hook] = settings.webhooks
        destination = await dest_store.find_destination(db.conn, hook.key)
        assert destination is not None
        assert destination.updates == written


async def test_feeds_of_one_outlet_store_their_headlines_under_it(
    tmp_path: Path, feeds: FeedServerThread, store_url: str | None
) -> None:
    published = datetime.now(UTC) - timedelta(minutes=5)
    for path, title in (("/politics.xml", "Budget row"), ("/wales.xml", "Senedd vote")):
        link = f"https://news.example{path}"
        feeds.set_feed(path, rss_feed("BBC", [Item(title, link, guid=path, published=published)]))
    text = (
        "[console]\nenabled = false\n"
        f"[[feeds]]\nname = 'BBC Politics'\nurl = '{feeds.url('/politics.xml')}'\noutlet = 'BBC'\n"
        f"[[feeds]]\nname = 'BBC Wales'\nurl = '{feeds.url('/wales.xml')}'\noutlet = 'BBC'\n"
        f"[[feeds]]\nname = 'Own name'\nurl = '{feeds.url('/wales.xml')}'\n"
    )
    settings = load_settings(write(tmp_path, text), env={})
    settings = replace(settings, storage=replace(settings.storage, url=store_url))
    async with open_runtime(settings) as runtime:
        await runtime.poller.poll_all(settings.feeds)
    db = await open_store(settings.storage.path, settings.storage.url)
    try:
        async with db.conn.execute("SELECT feed, outlet FROM headlines ORDER BY feed") as cursor:
            stored = [tuple(row) for row in await cursor.fetchall()]
    finally:
        await db.close()
    assert stored == [("BBC Politics", "BBC"), ("BBC Wales", "BBC"), ("Own name", "Own name")]
