"""`division-bell run` in Slack HTTP mode: signed commands on [http] listen, health, clean stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.support.cli import toml_string, write_config
from tests.support.feed_server import FeedServer
from tests.support.rss import rss_feed
from tests.support.slack_api import SlackApi
from tests.support.slack_data import BOT_TOKEN, SIGNING_SECRET
from tests.support.waiting import free_port
from tests.transports.slack.helpers import signed_headers, slash_payload

# The real CLI on each backend: SQLite, then PostgreSQL (tests/conftest.py cli_backend).
pytestmark = pytest.mark.usefixtures("cli_backend")


@pytest.fixture
def slack_thread() -> Iterator[SlackApi]:
    """The Slack stand-in in a thread, beside a CLI subprocess."""
    server = SlackApi.start_in_thread()
    try:
        yield server
    finally:
        server.stop()


def eventually(check: Callable[[], Any], within: float = 30.0) -> Any:
    """check()'s first truthy result; fail the test if none comes."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.05)
    pytest.fail("the service never got there")


def post(url: str, body: str, headers: dict[str, str]) -> int:
    """POST and return the status (0 when nothing answers)."""
    # The URL is always the service's own loopback address.
    request = urllib.request.Request(url, body.encode(), headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def health(port: int) -> dict[str, Any] | None:
    """/healthz's body when it answers 200, else None."""
    try:
        url = f"http://127.0.0.1:{port}/healthz"
        with urllib.request.urlopen(url, timeout=2) as answer:
            return dict(json.load(answer))
    except (OSError, ValueError):
        return None


def test_run_serves_signed_slash_commands_on_the_service_port(
    tmp_path: Path, slack_thread: SlackApi
) -> None:
    port = free_port()
    events = f"http://127.0.0.1:{port}/slack/events"
    scrub = ("DISCORD_", "SLACK_", "DIVISION_BELL_")  # a developer's shell must not leak in
    env = {k: v for k, v in os.environ.items() if not k.startswith(scrub)}
    env |= {
        "DIVISION_BELL_DATA": str(tmp_path / "data"),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "NO_PROXY": "127.0.0.1",
    }
    with FeedServer.start_in_thread() as feeds:
        feeds.set_feed("/quiet.xml", rss_feed("Quiet", []))
        write_config(
            tmp_path,
            feeds={"Quiet": feeds.url("/quiet.xml")},
            extra=(
                f'[http]\nlisten = "127.0.0.1:{port}"\n'
                f"[slack]\napi_base = {toml_string(slack_thread.api_base)}\n"
            ),
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "--config", "division-bell.toml", "run"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            # 200 only while every transport is up (the body's format is /healthz's own).
            status = eventually(lambda: health(port))
            assert "slack" in status["transports"]

            body = urlencode(slash_payload("subscribe defection", slack_thread.response_url()))
            assert post(events, body, signed_headers(body)) == 200
            assert post(events, body, signed_headers(body, secret="wrong")) == 401
            eventually(slack_thread.replies)
            assert slack_thread.replies()[0]["text"] == "Subscribed #politics to 🔀 Defection."
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                _, stderr = process.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
    assert process.returncode == 0, stderr
    assert "HTTP mode" in stderr
    assert BOT_TOKEN not in stderr
    assert SIGNING_SECRET not in stderr
