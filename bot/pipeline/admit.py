"""Stage 4a: new Headline + feed history + now → may it alert? (backfill, age and flood rules)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

T = TypeVar("T")

ALERT = "alert"
BACKFILL = "backfill"  # recorded silently: first poll or after a gap, older than the window
TOO_OLD = "too_old"  # older than max_age: never alerts


@dataclass(frozen=True, slots=True)
class Admission:
    """Whether a new headline may alert, and the time it counts as published."""

    decision: str
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
        return Admission(BACKFILL if catch_up else ALERT, now)
    effective = min(published, now)  # a date in the future counts as now
    age = now - effective
    if age > timedelta(seconds=max_age):
        return Admission(TOO_OLD, effective)
    if catch_up and age > timedelta(seconds=backfill):
        return Admission(BACKFILL, effective)
    return Admission(ALERT, effective)


def cap_alerts(
    candidates: Sequence[T], *, limit: int, when: Callable[[T], datetime]
) -> tuple[list[T], list[T]]:
    """Newest `limit` candidates alert; the rest go into one summary line."""
    ordered = sorted(candidates, key=when, reverse=True)
    return ordered[:limit], ordered[limit:]
