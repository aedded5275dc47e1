"""The one Retry-After reader: what a server may send, and what each value means as a wait."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime

import pytest

from bot.delivery.deliver import retry_delay
from bot.retry import MAX_RETRY_AFTER_S, bounded_wait, parse_retry_after

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
DAY = MAX_RETRY_AFTER_S


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # delta-seconds
        ("120", 120.0),
        (" 5 ", 5.0),
        ("0", 0.0),
        ("1.5", 1.5),  # fractional: Discord and Slack send these
        ("0.05", 0.05),
        (".5", 0.5),
        ("999999", DAY),  # absurd: capped at a day, not ignored
        ("9" * 400, DAY),  # overflows a float to inf; still just "very long"
        # HTTP-date
        ("Fri, 01 Mar 2024 12:02:00 GMT", 120.0),
        ("Fri, 01 Mar 2024 12:00:30 -0000", 30.0),
        ("Fri, 01 Mar 2024 11:00:00 GMT", 0.0),  # already past: no wait
        ("Sun, 03 Mar 2024 12:00:00 GMT", DAY),
        # garbage, non-finite and negative
        (None, None),
        ("", None),
        ("   ", None),
        ("abc", None),
        ("soon", None),
        ("inf", None),
        ("Infinity", None),
        ("nan", None),
        ("-5", None),
        ("-0.5", None),
        ("+5", None),
        ("1e3", None),
        ("1_000", None),
        ("1.2.3", None),
        (".", None),
        ("٣", None),  # an Arabic-Indic digit: float() takes it, HTTP does not
        # numbers, as a JSON body's retry_after gives them
        (7, 7.0),
        (0.05, 0.05),
        (1e12, DAY),
        (-5, None),
        (math.inf, None),
        (math.nan, None),
        (True, None),
    ],
)
def test_parse_retry_after(value: str | float | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_an_http_date_is_measured_from_now_by_default() -> None:
    wait = parse_retry_after("Fri, 01 Mar 2024 12:02:00 GMT")
    assert wait == 0.0  # that moment has long passed


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (30.0, 30.0),
        (0.0, 0.0),
        (-5.0, 0.0),
        (1e12, DAY),
        (math.inf, None),
        (-math.inf, None),
        (math.nan, None),
    ],
)
def test_bounded_wait(seconds: float, expected: float | None) -> None:
    assert bounded_wait(seconds) == expected


@pytest.mark.parametrize("asked", [math.inf, math.nan])
def test_the_outbox_falls_back_to_backoff_when_a_wait_is_not_finite(asked: float) -> None:
    delay = retry_delay(1, asked, random.Random(1))
    assert 1.0 <= delay <= 1.25
    assert retry_delay(1, 1e12, random.Random(1)) == DAY
