"""`replay`'s closing table: per day, what came in and what the channel was sent."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from zoneinfo import ZoneInfo

from bot.config import DisplaySettings
from bot.store.tallies import Tallies

UPDATE_KINDS = ("edit", "reply")
FOLLOW_UP_KIND = "followup"
ALERT_KIND = "alert"


@dataclass(slots=True)
class DayCount:
    """One day's numbers, in the table's column order."""

    headlines: int = 0
    categorised: int = 0
    alerts: int = 0
    updates: int = 0
    follow_ups: int = 0

    def add(self, other: DayCount) -> None:
        """Add another day's numbers to these."""
        for column in fields(self):
            setattr(self, column.name, getattr(self, column.name) + getattr(other, column.name))


HEADINGS = ("headlines", "categorised", "alerts", "updates", "follow-ups")


def count_days(counted: Tallies, display: DisplaySettings) -> dict[date, DayCount]:
    """Each day's counts (days in the display time zone), by when headlines were first seen and
    when messages were sent."""
    zone = ZoneInfo(display.timezone)
    days: dict[date, DayCount] = {}
    for seen, categorised in counted.headlines:
        day = days.setdefault(seen.astimezone(zone).date(), DayCount())
        day.headlines += 1
        day.categorised += categorised
    for kind, sent in counted.sent:
        day = days.setdefault(sent.astimezone(zone).date(), DayCount())
        if kind == ALERT_KIND:
            day.alerts += 1
        elif kind in UPDATE_KINDS:
            day.updates += 1
        elif kind == FOLLOW_UP_KIND:
            day.follow_ups += 1
    return dict(sorted(days.items()))


def day_table(counted: Tallies, display: DisplaySettings) -> str:
    """The per-day table with a total line, as text ending in a newline."""
    days = count_days(counted, display)
    total = DayCount()
    rows = []
    for day, numbers in days.items():
        total.add(numbers)
        rows.append((day.strftime("%a %Y-%m-%d"), numbers))
    rows.append(("total", total))
    zone = f"days in {display.timezone}"
    width = max(len(zone), *(len(label) for label, _ in rows))
    lines = [
        "",
        f"{zone:<{width}}  " + "  ".join(HEADINGS),
    ]
    for label, numbers in rows:
        values = [getattr(numbers, column.name) for column in fields(numbers)]
        cells = "  ".join(f"{v:>{len(h)},}" for v, h in zip(values, HEADINGS, strict=True))
        lines.append(f"{label:<{width}}  {cells}")
    return "\n".join(lines) + "\n"
