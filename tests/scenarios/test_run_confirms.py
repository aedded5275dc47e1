"""The real `division-bell run` asks Parliament about a defection on its own schedule: the alert
goes out first, and is edited to say "Confirmed by Parliament" once the Members API records it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import open_runtime
from bot.config import ParliamentSettings, load_settings
from bot.service.scheduler import Service
from tests.support.chat_server import ChatServer
from tests.support.cli import toml_string, write_config
from tests.support.feed_server import FeedServer
from tests.support.members_api import MembersApiServer, SampleMember, Spell
from tests.support.rss import Item, rss_feed
from tests.support.waiting import free_port, wait_for

# The real CLI on each backend: SQLite, then PostgreSQL (tests/conftest.py cli_backend).
pytestmark = pytest.mark.usefixtures("cli_backend")

HOOK = "/discord/run"
LEIGH = 345  # Edward Leigh, a sitting Conservative MP in the packaged register


@pytest.fixture
def api() -> Iterator[MembersApiServer]:
    today = datetime.now(UTC).date().isoformat()
    moved = SampleMember(
        LEIGH,
        "Edward Leigh",
        "commons",
        "Gainsborough",
        [Spell("Conservative", "1983-06-09", today), Spell("Reform UK", today)],
    )
    server = MembersApiServer([moved]).serve_in_thread()
    try:
        yield server
    finally:
        server.stop()


def test_run_confirms_on_its_schedule(
    tmp_path: Path, chat: ChatServer, api: MembersApiServer
) -> None:
    item = Item(
        "Tory MP Edward Leigh defects to Reform UK",
        "https://news.example/leigh",
        guid="leigh-1",
        published=datetime.now(UTC) - timedelta(minutes=5),
    )
    with FeedServer.start_in_thread() as feeds:
        feeds.set_feed("/bbc.xml", rss_feed("BBC", [item]))
        write_config(
            tmp_path,
            feeds={"BBC": feeds.url("/bbc.xml")},
            webhooks=[{"platform": "discord", "url": chat.url(HOOK)}],
            extra=(
                f'[http]\nlisten = "127.0.0.1:{free_port()}"\n'
                "[polling]\ninterval = 10\njitter = 0\n"
                f"[parliament]\nmembers_api = {toml_string(api.url())}\ntimeout = 2\n"
            ),
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
        env["DIVISION_BELL_DATA"] = str(tmp_path / "data")
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "--config", "division-bell.toml", "run"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            if not wait_for(lambda: len(chat.received(HOOK)) == 1, timeout=30):
                process.kill()
                pytest.fail(f"no alert: {process.communicate()[1]}")
            # The alert went out before Parliament was asked anything.
            assert "Confirmed by Parliament" not in str(chat.received(HOOK)[0])
            assert wait_for(lambda: chat.edits(HOOK), timeout=40), "never confirmed"
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                _, stderr = process.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
    assert process.returncode == 0, stderr
    [edit] = chat.edits(HOOK)
    assert "Confirmed by Parliament" in str(edit.body)
    assert "Edward Leigh joined Reform UK" in str(edit.body)
    assert api.history_requests() == [[LEIGH]]
    assert len(chat.received(HOOK)) == 1


@pytest.mark.parametrize("enabled", [True, False])
async def test_the_check_is_one_job_at_a_time_every_polling_interval(
    tmp_path: Path, enabled: bool
) -> None:
    base = load_settings(None, env={"DIVISION_BELL_DATA": str(tmp_path)})
    settings = replace(
        base, console=False, parliament=ParliamentSettings("http://127.0.0.1:9", enabled)
    )
    async with open_runtime(settings) as runtime:
        service = Service(runtime)
        service.schedule()
        job = service.scheduler.get_job("parliament:confirm")
        if not enabled:
            assert job is None
            return
        assert job is not None
        assert job.trigger.interval == timedelta(seconds=settings.polling.interval)
        assert (job.max_instances, job.coalesce) == (1, True)
