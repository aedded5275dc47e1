"""Stage 4a: new Headline + feed history + now → may it alert? (backfill, age and flood rules)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from bot.domain import Decision

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Admission:
    """Whether a new headline may alert, and the time it counts as published."""

    decision: Decision  # ALERTED (may alert), BACKFILL or TOO_OLD
    effective: datetime


def is_catch_up(
    first_success: datetime | None, last_success: datetime | None, now: datetime, backfill: float
) -> bool:
    """A first successful poll, or one after a gap longer than the backfill window."""
    if first_success is None or last_success is None:
        return True
    return now - last_success > timedelta(seconds=backfill)


def admit(
    published: datetime | None, *, now: datetime, catch_up: bool, backfill: float, max_age: float
) -> Admission:
    """Decide one new headline: alert, backfill (silent) or too old (silent)."""
    if published is None:
        # Undated: on a catch-up poll we cannot tell old from new, so stay silent; otherwise
        # it appeared since the last poll, so its first-seen time is the best estimate.
        return Admission(Decision.BACKFILL if catch_up else Decision.ALERTED, now)
    effective = min(published, now)  # a date in the future counts as now
    age = now - effective
    if age > timedelta(seconds=max_age):
        return Admission(Decision.TOO_OLD, effective)
    if catch_up and age > timedelta(seconds=backfill):
        return Admission(Decision.BACKFILL, effective)
    return Admission(Decision.ALERTED, effective)


def cap_alerts(
    candidates: Sequence[T], *, limit: int, when: Callable[[T], datetime]
) -> tuple[list[T], list[T]]:
    """Newest `limit` candidates alert; the rest go into one summary line."""
    ordered = sorted(candidates, key=when, reverse=True)
    return ordered[:limit], ordered[limit:]
