"""Reading channel-control values people type (config keys, slash-command options) into
ChannelControl fields, with errors that say what was expected. No I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

HOURLY = "hourly"
BREAKING = "breaking"  # digest_except may name the events issue's surge as well as categories
MAX_WATCH_TERMS = 50  # each term is matched against every headline
MAX_TERM_LENGTH = 80
MAX_MIN_REPORTS = 20
MAX_MUTE = timedelta(days=30)

_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_DURATION = re.compile(r"(\d+)\s*([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def clock_time(text: str) -> time:
    """ "07:00" → time(7, 0); a clear ValueError for anything else."""
    found = _CLOCK.match(text.strip())
    if found is None:
        raise ValueError(f"expected a time like 07:00 (24-hour HH:MM), got {text!r}")
    return time(int(found.group(1)), int(found.group(2)))


def quiet_hours(text: str | None) -> str | None:
    """ "22:00-07:00" checked and normalised; "off", "" or None turn quiet hours off."""
    if text is None or text.strip().lower() in ("", "off"):
        return None
    start, sep, end = text.replace("–", "-").partition("-")
    if not sep:
        raise ValueError(f'expected quiet hours like "22:00-07:00" (start-end), got {text!r}')
    first, last = clock_time(start), clock_time(end)
    if first == last:
        raise ValueError(f"quiet hours {text!r} start and end at the same time; use off instead")
    return f"{first:%H:%M}-{last:%H:%M}"


def quiet_span(value: str) -> tuple[time, time]:
    """A normalised quiet_hours value as (start, end) times."""
    start, _, end = value.partition("-")
    return clock_time(start), clock_time(end)


def digest(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """ "off" → (); "hourly" → ("hourly",); "08:00,18:00" or a list → sorted, distinct times."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else list(value)
    parts = [p.strip() for item in items for p in str(item).split(",") if p.strip()]
    if not parts or [p.lower() for p in parts] == ["off"]:
        return ()
    if [p.lower() for p in parts] == [HOURLY]:
        return (HOURLY,)
    try:
        times = sorted({clock_time(p) for p in parts})
    except ValueError as exc:
        raise ValueError(f'digest: expected "off", "hourly" or times like 08:00; {exc}') from exc
    return tuple(f"{t:%H:%M}" for t in times)


def timezone(name: str | None) -> str | None:
    """An IANA time zone name checked against the zone database; None or "" = the default."""
    if name is None or not name.strip():
        return None
    try:
        ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r}; expected an Area/City like Europe/London"
        ) from exc
    return name.strip()


def categories(
    names: Iterable[str], known: Iterable[str], *, setting: str, breaking: bool = False
) -> tuple[str, ...]:
    """Category names checked against the rules' categories (and "breaking" where allowed)."""
    allowed = set(known) | ({BREAKING} if breaking else set())
    chosen: list[str] = []
    for raw in names:
        name = raw.strip().lower()
        if not name:
            continue
        if name not in allowed:
            raise ValueError(
                f"{setting}: unknown category {raw!r} (known: {', '.join(sorted(allowed))})"
            )
        if name not in chosen:
            chosen.append(name)
    return tuple(chosen)


def min_reports(value: object) -> int:
    """The noise floor: a whole number of outlets from 1 to MAX_MIN_REPORTS."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"min_reports: expected a whole number of outlets, got {value!r}")
    try:
        number = int(value)
    except ValueError as exc:
        raise ValueError(f"min_reports: expected a whole number of outlets, got {value!r}") from exc
    if not 1 <= number <= MAX_MIN_REPORTS:
        raise ValueError(f"min_reports: expected 1 to {MAX_MIN_REPORTS} outlets, got {number}")
    return number


def watch_term(text: str) -> str:
    """A watched person, party or phrase: trimmed, single-spaced, not empty, not too long."""
    term = " ".join(text.split())
    if len(term) < 2:
        raise ValueError(f"watch: a term needs at least 2 characters, got {text!r}")
    if len(term) > MAX_TERM_LENGTH:
        raise ValueError(f"watch: a term is at most {MAX_TERM_LENGTH} characters, got {len(term)}")
    return term


def watch_terms(terms: Iterable[str]) -> tuple[str, ...]:
    """A watchlist: each term checked, repeats (ignoring case) dropped, at most MAX_WATCH_TERMS."""
    chosen: dict[str, str] = {}
    for text in terms:
        term = watch_term(text)
        chosen.setdefault(term.casefold(), term)
    if len(chosen) > MAX_WATCH_TERMS:
        raise ValueError(f"watch: at most {MAX_WATCH_TERMS} terms, got {len(chosen)}")
    return tuple(chosen.values())


def duration(text: str) -> timedelta:
    """ "90m", "2h", "1d12h" → a timedelta of at least a minute and at most MAX_MUTE."""
    compact = text.strip().lower().replace(" ", "")
    pieces = _DURATION.findall(compact)
    if not pieces or "".join(n + u for n, u in pieces) != compact:
        raise ValueError(f"expected a duration like 30m, 2h or 1d, got {text!r}")
    span = timedelta()
    for number, unit in pieces:
        span += timedelta(**{_UNITS[unit]: int(number)})
    if span < timedelta(minutes=1) or span > MAX_MUTE:
        raise ValueError(f"a mute lasts from 1 minute to {MAX_MUTE.days} days, got {text!r}")
    return span
