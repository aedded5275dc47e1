"""`division-bell send-test`: one line per destination, exit 1 unless all delivered, and a
delivered test brings a broken webhook back."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scenarios.test_poll_scenarios import DEFECTION, LETTERS, titles
from tests.support.chat_server import ChatServer
from tests.support.cli import run_cli, write_config
from tests.support.feed_server import FeedServerThread
from tests.support.rss import rss_feed

# The real CLI on each backend: SQLite, then PostgreSQL (tests/conftest.py cli_backend).
pytestmark = pytest.mark.usefixtures("cli_backend")


def poll(tmp_path: Path) -> str:
    result = run_cli(["--config", "division-bell.toml", "poll"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_every_destination_gets_a_labelled_test_and_a_line(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    chat.script("/discord/gone", [404])
    write_config(
        tmp_path,
        feeds={"BBC": feeds.url("/bbc.xml")},
        console=True,
        webhooks=[
            {"platform": "discord", "url": chat.url("/discord/desk"), "name": "desk"},
            {"platform": "discord", "url": chat.url("/discord/gone"), "name": "old desk"},
            {"platform": "slack", "url": chat.url("/slack/team"), "name": "team"},
        ],
    )
    result = run_cli(["--config", "division-bell.toml", "send-test"], cwd=tmp_path)
    assert result.returncode == 1, result.stderr  # one of them failed
    lines = [line for line in result.stdout.splitlines() if ": " in line and "  " not in line]
    assert "desk: delivered" in lines
    assert "team: delivered" in lines
    assert "console: delivered" in lines
    gone = next(line for line in lines if line.startswith("old desk: "))
    assert "NOT delivered" in gone
    assert "check the URL" in gone
    assert chat.url("/discord/gone") not in result.stdout + result.stderr
    assert "Test alert from Division Bell" in titles(chat.received("/discord/desk"))[0]
    assert "Test alert from Division Bell" in str(chat.received("/slack/team")[0])
    assert "Traceback" not in result.stderr


def test_names_choose_destinations_and_an_unknown_name_fails(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    write_config(
        tmp_path,
        feeds={"BBC": feeds.url("/bbc.xml")},
        webhooks=[
            {"platform": "discord", "url": chat.url("/discord/desk"), "name": "desk"},
            {"platform": "slack", "url": chat.url("/slack/team"), "name": "team"},
        ],
    )
    chosen = run_cli(["--config", "division-bell.toml", "send-test", "team"], cwd=tmp_path)
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout.strip() == "team: delivered"
    assert chat.received("/discord/desk") == []
    unknown = run_cli(["--config", "division-bell.toml", "send-test", "nope"], cwd=tmp_path)
    assert unknown.returncode == 1
    assert "nope: NOT sent: no such destination (known: desk, team)" in unknown.stdout


def test_a_delivered_test_brings_a_broken_webhook_back_with_its_held_alerts(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    feeds.set_feed("/bbc.xml", rss_feed("BBC", [DEFECTION, LETTERS]))
    hook = "/discord/desk"
    chat.script(hook, [404])  # the endpoint was down for good... until someone fixed it
    write_config(
        tmp_path,
        feeds={"BBC": feeds.url("/bbc.xml")},
        webhooks=[{"platform": "discord", "url": chat.url(hook), "name": "desk"}],
    )
    assert "2 held for broken or paused destinations" in poll(tmp_path)
    result = run_cli(["--config", "division-bell.toml", "send-test", "desk"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "desk: delivered (it was marked broken; that mark is cleared" in result.stdout
    assert "2 sent, 0 left queued, 0 held" in poll(tmp_path)
    assert len(chat.received(hook)) == 3  # the test, then the two held alerts


def test_check_config_warns_when_a_url_belongs_to_the_other_platform(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        feeds={"BBC": "http://127.0.0.1:9/bbc.xml"},
        webhooks=[
            {
                "platform": "slack",
                "url": "https://discord.com/api/webhooks/1/SECRETtoken",
                "name": "desk",
            }
        ],
    )
    result = run_cli(["--config", "division-bell.toml", "check-config"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (
        "webhook 'desk': platform = 'slack' but its URL is a Discord webhook (discord.com); "
        "set platform = 'discord'"
    ) in result.stderr
    assert "SECRETtoken" not in result.stderr + result.stdout


def test_with_no_destination_at_all_it_says_how_to_add_one(tmp_path: Path) -> None:
    write_config(tmp_path, feeds={"BBC": "http://127.0.0.1:9/bbc.xml"})  # console off
    result = run_cli(["--config", "division-bell.toml", "send-test"], cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("no destinations: add a [[webhooks]] entry")
    assert "Traceback" not in result.stderr
