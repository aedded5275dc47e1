"""Retry-After, read once for everyone: feeds, chat APIs and webhooks ask for waits the same way.

A value is delta-seconds ("120", or "1.5" as Discord and Slack send) or an HTTP-date. This module
is pure and imports nothing of ours, so the pipeline and the transports can both use it.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# A server asking for more than a day is wrong, but it did ask us to wait: we wait a day (the
# feeds' rule from the start) rather than ignore it and hammer it, and rather than park a feed
# or a channel's alerts for as long as it says. The chat transports used to take any wait.
MAX_RETRY_AFTER_S = 86_400.0

# Digits with at most one decimal point, nothing else: float() would also take "-5", "1e9",
# "inf", "nan" and "1_000", none of which a server means as a wait. Negative is garbage, not
# "retry now": a server that sends it is not telling us anything we can trust.
_DELTA_SECONDS = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)


def bounded_wait(seconds: float) -> float | None:
    """A wait that can be scheduled: None when not finite, else clamped to 0..a day."""
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def parse_retry_after(value: str | float | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date); None if unusable.

    Numbers (a JSON body's retry_after) must be finite and not negative. An HTTP-date already
    past means no wait. Every wait is capped at MAX_RETRY_AFTER_S.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = float(value)
        return bounded_wait(seconds) if seconds >= 0 else None  # NaN fails the comparison too
    text = value.strip()
    if not text:
        return None
    if _DELTA_SECONDS.fullmatch(text):
        # Enough digits overflow to inf, which is still "a very long wait": capped, not lost.
        return min(float(text), MAX_RETRY_AFTER_S)
    return _seconds_until(text, datetime.now(UTC) if now is None else now)


def _seconds_until(http_date: str, now: datetime) -> float | None:
    """Seconds from now until an HTTP-date, 0 if it is past; None if it is not a date."""
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" means "UTC, zone unknown"; HTTP-dates are GMT anyway
        when = when.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return bounded_wait((when - now).total_seconds())
