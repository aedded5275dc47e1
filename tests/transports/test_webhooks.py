"""post_webhook against the loopback ChatServer: success, error classification, secrecy."""

from __future__ import annotations

import json
import logging
import socket
import urllib.request
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from bot.domain import Alert, CategoryInfo
from bot.errors import DeliveryError
from bot.redact import mask_url
from bot.transports.discord.format import discord_webhook_payload
from bot.transports.slack.format import slack_webhook_payload
from bot.transports.webhooks import post_webhook
from tests.support.chat_server import ChatServer, Reply

TOKEN = "tok3n-s3cret-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuv"
DISCORD_PATH = f"/api/webhooks/1234567890/{TOKEN}"
SLACK_PATH = "/slack/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"
PAYLOAD = {"content": "hello", "allowed_mentions": {"parse": []}}
SLACK_PAYLOAD = {"text": "hello"}


@pytest.fixture
async def chat() -> AsyncIterator[ChatServer]:
    async with ChatServer() as server:
        yield server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    # raise_for_status=True is the harsher setting: post_webhook must classify statuses anyway.
    async with aiohttp.ClientSession(raise_for_status=True) as client:
        yield client


async def _send(
    session: aiohttp.ClientSession, url: str, platform: str = "discord", wait: float = 5.0
) -> str | None:
    payload = SLACK_PAYLOAD if platform == "slack" else PAYLOAD
    return await post_webhook(
        session, platform=platform, url=url, payload=payload, destination="hook #1", timeout=wait
    )


async def _fail(
    session: aiohttp.ClientSession, url: str, platform: str = "discord", wait: float = 5.0
) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        await _send(session, url, platform, wait)
    error = caught.value
    # The URL (a secret) must never leak into the message, the reason or the exception chain.
    for text in (str(error), error.reason, repr(error)):
        assert url not in text
        assert TOKEN not in text
        assert "XXXXXXXXXXXXXXXXXXXXXXXX" not in text
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__
    assert error.destination == "hook #1"
    return error


async def test_discord_200_with_wait_returns_message_id(
    chat: ChatServer, session: aiohttp.ClientSession
) -> None:
    first = await _send(session, chat.url(DISCORD_PATH))
    second = await _send(session, chat.url(DISCORD_PATH))
    assert first
    assert second
    assert first.isdigit()
    assert int(second) == int(first) + 1
    assert chat.received(DISCORD_PATH) == [PAYLOAD, PAYLOAD]
    assert all(a.query["wait"] == "true" for a in chat.attempts(DISCORD_PATH))


async def test_discord_wait_keeps_existing_query(
    chat: ChatServer, session: aiohttp.ClientSession
) -> None:
    await _send(session, chat.url(DISCORD_PATH) + "?thread_id=99")
    (attempt,) = chat.attempts(DISCORD_PATH)
    assert attempt.query == {"thread_id": "99", "wait": "true"}


async def test_discord_429_then_success(chat: ChatServer, session: aiohttp.ClientSession) -> None:
    chat.script(DISCORD_PATH, [429])
    error = await _fail(session, chat.url(DISCORD_PATH))
    assert error.retryable
    assert chat.received(DISCORD_PATH) == []
    assert await _send(session, chat.url(DISCORD_PATH))  # then 200s
    assert len(chat.received(DISCORD_PATH)) == 1
    assert len(chat.attempts(DISCORD_PATH)) == 2


# Each case: the reply, then (retryable, retry_after, part of the reason).
DISCORD_ERRORS = [
    # Discord's JSON retry_after is finer than its whole-second Retry-After header.
    (Reply(429), (True, 0.05, "HTTP 429: You are being rate limited.")),
    (Reply(429, body="slow down", headers={"Retry-After": "7"}), (True, 7.0, "slow down")),
    (Reply(500), (True, None, "HTTP 500")),
    (Reply(502), (True, None, "HTTP 502")),
    (Reply(503, headers={"Retry-After": "2"}), (True, 2.0, "HTTP 503")),
    (Reply(400), (False, None, "HTTP 400")),
    (Reply(401), (False, None, "HTTP 401")),
    (Reply(403), (False, None, "Missing Permissions")),
    (Reply(404), (False, None, "HTTP 404: Unknown Webhook (code 10015)")),
    (Reply(410), (False, None, "HTTP 410")),
    (Reply(413), (False, None, "HTTP 413")),
]
SLACK_ERRORS = [
    (Reply(404), (False, None, "HTTP 404: no_service")),
    (Reply(404, body="channel_not_found"), (False, None, "channel_not_found")),
    (Reply(403, body="invalid_token"), (False, None, "invalid_token")),
    (Reply(403), (False, None, "action_prohibited")),
    (Reply(410), (False, None, "channel_is_archived")),
    (Reply(400, body="no_text"), (False, None, "no_text")),
    (Reply(400), (False, None, "invalid_payload")),
    (Reply(500, body="no_service"), (False, None, "no_service")),  # the body outranks a 5xx
    (Reply(500), (True, None, "rollup_error")),
    (Reply(503, body="", headers={"Retry-After": "3"}), (True, 3.0, "HTTP 503")),
    (Reply(429), (True, 1.0, "rate_limited")),
]


@pytest.mark.parametrize(
    ("platform", "reply", "expected"),
    [("discord", *case) for case in DISCORD_ERRORS] + [("slack", *case) for case in SLACK_ERRORS],
)
async def test_error_classification(
    chat: ChatServer,
    session: aiohttp.ClientSession,
    platform: str,
    reply: Reply,
    expected: tuple[bool, float | None, str],
) -> None:
    path = DISCORD_PATH if platform == "discord" else SLACK_PATH
    chat.script(path, [reply])
    error = await _fail(session, chat.url(path), platform)
    assert (error.retryable, error.retry_after) == expected[:2]
    assert expected[2] in error.reason


async def test_reply_echoing_the_token_is_scrubbed(
    chat: ChatServer, session: aiohttp.ClientSession
) -> None:
    chat.script(DISCORD_PATH, [Reply(400, body={"message": f"bad hook {TOKEN}", "code": 1})])
    error = await _fail(session, chat.url(DISCORD_PATH))
    assert "bad hook" in error.reason


async def test_slack_200_ok_returns_none(chat: ChatServer, session: aiohttp.ClientSession) -> None:
    assert await _send(session, chat.url(SLACK_PATH), "slack") is None
    assert chat.received(SLACK_PATH) == [SLACK_PAYLOAD]
    assert "wait" not in chat.attempts(SLACK_PATH)[0].query


async def test_connection_refused_is_retryable(session: aiohttp.ClientSession) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago and has no listener
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    error = await _fail(session, f"http://127.0.0.1:{port}{DISCORD_PATH}")
    assert error.retryable
    assert "connection failed" in error.reason


async def test_timeout_is_retryable(chat: ChatServer, session: aiohttp.ClientSession) -> None:
    chat.script(DISCORD_PATH, [Reply(200, delay=2.0)])
    error = await _fail(session, chat.url(DISCORD_PATH), wait=0.05)
    assert error.retryable
    assert "timed out" in error.reason


async def test_invalid_url_is_permanent(session: aiohttp.ClientSession) -> None:
    assert not (await _fail(session, f"ftp://127.0.0.1{DISCORD_PATH}")).retryable


async def test_logs_never_carry_the_url(
    chat: ChatServer, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await _send(session, chat.url(DISCORD_PATH))
    chat.script(DISCORD_PATH, [500])
    await _fail(session, chat.url(DISCORD_PATH))
    assert "hook #1" in caplog.text
    assert TOKEN not in caplog.text


async def test_unknown_platform_raises(chat: ChatServer, session: aiohttp.ClientSession) -> None:
    with pytest.raises(ValueError, match="platform"):
        await _send(session, chat.url(DISCORD_PATH), "teams")


async def test_stand_in_replies_match_testing_notes(
    chat: ChatServer, session: aiohttp.ClientSession
) -> None:
    chat.script(DISCORD_PATH, [429])
    async with session.post(chat.url(DISCORD_PATH), json={}, raise_for_status=False) as response:
        assert response.headers["Content-Type"] == "application/json"
        assert "Via" in response.headers
        assert json.loads(await response.read()) == {
            "message": "You are being rate limited.",
            "retry_after": 0.05,
            "global": False,
        }
    async with session.post(chat.url(DISCORD_PATH) + "?wait=true", json=PAYLOAD) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("platform", ["discord", "slack"])
async def test_formatted_payloads_are_accepted_even_when_huge(
    chat: ChatServer, session: aiohttp.ClientSession, platform: str
) -> None:
    text = "<!channel> @everyone **x** " * 4_000
    categories = (CategoryInfo("defection", "Defection", "🔀", 0xE67E22, ""),) * 2
    alert = Alert(
        story_id=1,
        title=text,
        link="https://example.com/a",
        summary=text,
        outlet=text,
        published=datetime(2025, 3, 14, 9, 30, tzinfo=UTC),
        categories=categories,
        evidence=(text,) * 20,
        also_reported_by=(text,) * 20,
        mention="123" if platform == "discord" else "S1AB",
    )
    render = discord_webhook_payload if platform == "discord" else slack_webhook_payload
    path = f"/{platform}/big"
    await post_webhook(
        session, platform=platform, url=chat.url(path), payload=render(alert), destination="big"
    )
    assert len(chat.received(path)) == 1


BOTH_ROLE_FORMS = {"content": "<@&1>", "allowed_mentions": {"parse": ["roles"], "roles": ["1"]}}
LONG_SECTION = {"blocks": [{"type": "section", "text": {"text": "t" * 3001}}]}


@pytest.mark.parametrize(
    ("path", "payload", "reason"),
    [
        ("/discord/x", {"embeds": [{"title": "t" * 257}]}, "over its limit"),
        ("/discord/x", BOTH_ROLE_FORMS, "mutually exclusive"),
        ("/slack/x", LONG_SECTION, "invalid_blocks"),
        ("/slack/x", {}, "no_text"),
    ],
)
async def test_stand_in_refuses_what_the_real_api_refuses(
    chat: ChatServer, session: aiohttp.ClientSession, path: str, payload: Any, reason: str
) -> None:
    platform = path.split("/")[1]
    with pytest.raises(DeliveryError, match=reason) as caught:
        await post_webhook(
            session, platform=platform, url=chat.url(path), payload=payload, destination="x"
        )
    assert not caught.value.retryable
    assert chat.received(path) == []


def test_chat_server_in_a_thread() -> None:
    chat = ChatServer.start_in_thread()
    try:
        request = urllib.request.Request(  # noqa: S310 (a loopback http URL we built)
            chat.url("/slack/hook"),
            data=b'{"text": "hi"}',
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            assert response.read() == b"ok"
        assert chat.received("/slack/hook") == [{"text": "hi"}]
    finally:
        chat.stop()


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (f"https://discord.com{DISCORD_PATH}", "https://discord.com/api/webhooks/1234567890/…"),
        (f"https://discord.com{DISCORD_PATH}?thread_id=5", "https://discord.com/api/webhooks/1234567890/…"),
        ("https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX",
         "https://hooks.slack.com/services/T000/B000/…"),
        ("https://chat.example.org/hooks/abcdefghijklmnopqrstuvwxyz", "https://chat.example.org/hooks/…"),
        ("https://chat.example.org:8065/hooks/key", "https://chat.example.org:8065/hooks/…"),
        ("https://user:pw@example.org/a", "https://example.org/…"),
        ("https://example.org/averyveryverylongsecretsegment1234/x", "https://example.org/…"),
        ("https://example.org", "https://example.org"),
        ("http://[::1]:8080/hooks/key", "http://[::1]:8080/hooks/…"),
        ("https://example.org/?token=abc", "https://example.org/…"),
        ("not a url", "…"),
        ("", "…"),
    ],
)  # fmt: skip
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked
    assert TOKEN not in mask_url(url)
