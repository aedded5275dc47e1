"""Logs: JSON lines on request, and tokens and webhook URLs redacted from every record."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.logs import REDACTED, JsonFormatter, RedactSecrets
from tests.support.chat_server import ChatServer
from tests.support.cli import run_cli, write_config
from tests.support.feed_server import FeedServer
from tests.support.rss import Item, rss_feed

TOKEN = "xoxb-1111-2222-abcdefghijklmnop"
HOOK = "https://hooks.example/services/T0001/B0001/QWERTYUIOPASDFGHJKLZXCVB"


@pytest.fixture
def capture() -> Iterator[tuple[logging.Logger, io.StringIO, RedactSecrets]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    redactor = RedactSecrets()
    redactor.add([TOKEN, HOOK, None, "short"])
    handler.addFilter(redactor)
    logger = logging.getLogger("tests.logs")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    try:
        yield logger, stream, redactor
    finally:
        logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_level_logger_message_and_context(
    capture: tuple[logging.Logger, io.StringIO, RedactSecrets],
) -> None:
    logger, stream, _ = capture
    logger.warning("feed %s: HTTP %d", "BBC", 500, extra={"feed": "BBC"})
    (entry,) = lines(stream)
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "tests.logs"
    assert entry["message"] == "feed BBC: HTTP 500"
    assert entry["feed"] == "BBC"
    assert str(entry["time"]).endswith("Z")


def test_secrets_are_redacted_from_messages_arguments_and_tracebacks(
    capture: tuple[logging.Logger, io.StringIO, RedactSecrets],
) -> None:
    logger, stream, _ = capture
    logger.info("posting to %s with %s", HOOK + "?wait=true", TOKEN)
    logger.info("a path alone: /services/T0001/B0001/QWERTYUIOPASDFGHJKLZXCVB")
    try:
        raise RuntimeError(f"connect failed: {HOOK}")
    except RuntimeError:
        logger.exception("send crashed")
    output = stream.getvalue()
    assert TOKEN not in output
    assert "QWERTYUIOPASDFGHJKLZXCVB" not in output
    first, second, third = lines(stream)
    assert first["message"] == f"posting to {REDACTED}?wait=true with {REDACTED}"
    assert REDACTED in str(second["message"])
    assert "\n" in str(third["exception"])  # the traceback survives, one JSON line all the same
    assert len(output.splitlines()) == 3


def test_short_values_are_not_treated_as_secrets(
    capture: tuple[logging.Logger, io.StringIO, RedactSecrets],
) -> None:
    logger, stream, redactor = capture
    logger.info("a short story")
    assert lines(stream)[0]["message"] == "a short story"
    assert redactor.scrub("nothing here") == "nothing here"


@pytest.mark.usefixtures("cli_backend")
def test_cli_json_logs_name_the_feed_and_destination_and_hide_the_webhook(tmp_path: Path) -> None:
    chat = ChatServer.start_in_thread()
    try:
        hook_path = "/discord/123456/SECRETSECRETSECRETSECRETSECRET"
        chat.script(hook_path, [404])
        with FeedServer.start_in_thread() as feeds:
            item = Item(
                "Tory MP Jane Marchmont defects to Labour",
                "https://news.example/m",
                guid="m",
                published=datetime.now(UTC) - timedelta(minutes=5),
            )
            feeds.set_feed("/bbc.xml", rss_feed("BBC", [item]))
            feeds.set_fault("/down", "status", status=503)
            config = write_config(
                tmp_path,
                feeds={"BBC": feeds.url("/bbc.xml"), "Broken Feed": feeds.url("/down")},
                webhooks=[{"platform": "discord", "url": chat.url(hook_path), "name": "desk"}],
            )
            result = run_cli(
                ["--config", str(config), "--log-format", "json", "poll"],
                cwd=tmp_path,
                env={"SLACK_SIGNING_SECRET": "signing-secret-value-1234"},
            )
    finally:
        chat.stop()
    assert result.returncode == 0, result.stderr
    entries = [json.loads(line) for line in result.stderr.splitlines()]
    messages = [str(e["message"]) for e in entries]
    assert any(m.startswith("feed Broken Feed:") for m in messages)
    assert any(m.startswith("destination desk:") and "marked broken" in m for m in messages)
    assert "SECRETSECRET" not in result.stderr
    assert "signing-secret-value-1234" not in result.stderr
