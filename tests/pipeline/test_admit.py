"""Backfill window, maximum age and the per-poll cap, as a table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import Decision
from bot.pipeline.admit import admit, cap_alerts, is_catch_up

ALERT, BACKFILL, TOO_OLD = Decision.ALERTED, Decision.BACKFILL, Decision.TOO_OLD

NOW = datetime(2022, 1, 19, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("published", "catch_up", "expected"),
    [
        (NOW - 0.5 * H, True, ALERT),  # first poll, inside the 3 h window
        (NOW - 4 * H, True, BACKFILL),  # first poll, outside the window: silent
        (NOW - 4 * H, False, ALERT),  # steady state: new in the feed since the last poll
        (NOW - 25 * H, False, TOO_OLD),  # older than max_age never alerts
        (NOW - 25 * H, True, TOO_OLD),
        (NOW + 5 * H, True, ALERT),  # the future counts as now
        (None, True, BACKFILL),  # undated on a first poll: silent
        (None, False, ALERT),  # undated later: its first-seen time
    ],
)
def test_admit(published: datetime | None, catch_up: bool, expected: str) -> None:
    result = admit(published, now=NOW, catch_up=catch_up, backfill=3 * 3600, max_age=86400)
    assert result.decision == expected
    assert result.effective <= NOW


def test_catch_up_on_first_poll_and_after_a_gap() -> None:
    assert is_catch_up(None, None, NOW, 3 * 3600)
    assert not is_catch_up(NOW - 9 * H, NOW - 1 * H, NOW, 3 * 3600)
    assert is_catch_up(NOW - 9 * H, NOW - 4 * H, NOW, 3 * 3600)


def test_cap_keeps_the_newest() -> None:
    times = [NOW - timedelta(minutes=m) for m in (5, 50, 1, 30, 12)]
    kept, rest = cap_alerts(times, limit=3, when=lambda t: t)
    assert kept == sorted(times, reverse=True)[:3]
    assert sorted(rest) == sorted(times)[:2]
