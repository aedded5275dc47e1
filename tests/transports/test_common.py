"""TransportHealth: up, not yet signed in, or down; loud once per change; sign-in retried."""

from __future__ import annotations

import logging

import pytest

from bot.transports.common import DOWN_RETRY_S, TransportHealth

LOG = logging.getLogger("tests.transports.health")


def health(**options: float) -> TransportHealth:
    return TransportHealth("Chat bot", LOG, remedy="Fix it.", **options)


def test_states_and_what_a_sender_is_told() -> None:
    chat = health()
    assert (chat.up, chat.problem()) == (False, "Chat bot is not logged in")
    chat.mark_up()
    assert (chat.up, chat.problem()) == (True, None)
    chat.mark_down("token refused")
    assert (chat.up, chat.problem()) == (False, "Chat bot is down: token refused")
    error = chat.unavailable("#politics", "token refused")
    assert (error.retryable, error.retry_after, error.reason) == (
        True,
        DOWN_RETRY_S,
        "token refused",
    )
    chat.mark_up()
    assert chat.up


def test_down_is_one_error_however_many_alerts_find_out(caplog: pytest.LogCaptureFixture) -> None:
    chat = health()
    chat.mark_up()
    with caplog.at_level(logging.INFO, logger=LOG.name):
        for _ in range(5):
            chat.mark_down("token refused")
        chat.mark_down("scope missing")
        chat.mark_up()
    levels = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert levels == [
        (
            "ERROR",
            "Chat bot is DOWN: token refused. Its alerts stay queued; nothing is lost. Fix it.",
        ),
        ("WARNING", "Chat bot is still DOWN, now because scope missing"),
        ("INFO", "Chat bot: the token is accepted again; queued alerts resume"),
    ]


async def test_sign_in_is_retried_until_up() -> None:
    chat = health(sign_in_retry_first_s=0.001, sign_in_retry_max_s=0.004)
    tries: list[int] = []

    async def attempt() -> None:
        tries.append(len(tries))
        if len(tries) == 4:
            chat.mark_up()

    await chat.sign_in_until_up(attempt)
    assert len(tries) == 4
    assert chat.up


async def test_sign_in_stops_when_the_token_is_refused() -> None:
    chat = health(sign_in_retry_first_s=0.001)
    tries: list[int] = []

    async def attempt() -> None:
        tries.append(1)
        chat.mark_down("token refused")

    await chat.sign_in_until_up(attempt)
    assert tries == [1]
    await chat.sign_in_until_up(attempt)  # already down: nothing more is tried
    assert tries == [1]
