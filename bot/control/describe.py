"""Channel control in words: what each setting means, for replies, `list` and `settings`.

Pure: the caller passes the destination's effective time zone and a labeller for categories.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.control.schedule import muted
from bot.control.settings import BREAKING, HOURLY
from bot.domain import ChannelControl

Labeller = Callable[[str], str]  # "defection" → "🔀 Defection"
WATCH_SHOWN = 3  # watch terms named in a one-line summary before "and N more"


def span(quiet_hours: str) -> str:
    """ "22:00-07:00" as people write it: "22:00–07:00"."""
    return quiet_hours.replace("-", "–")


def joined(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def excepted(names: Sequence[str], label: Labeller) -> str:
    """ "; 🔀 Defection still alerts at once" (or "" when nothing is excepted)."""
    if not names:
        return ""
    shown = [("breaking news" if name == BREAKING else label(name)) for name in names]
    verb = "alerts" if len(shown) == 1 else "alert"
    return f"; {joined(shown)} still {verb} at once"


def digest_times(digest: Sequence[str], zone: str) -> str:
    """ "every hour, on the hour" or "at 08:00 and 18:00 Europe/London"."""
    if tuple(digest) == (HOURLY,):
        return "every hour, on the hour"
    return f"at {joined(list(digest))} {zone}"


def outlets(count: int) -> str:
    """ "1 outlet", "3 outlets"."""
    return f"{count} outlet{'s' if count != 1 else ''}"


def held(count: int) -> str:
    """ "3 alerts held" (the messages waiting for quiet hours, a mute or a digest)."""
    return f"{count} alert{'s' if count != 1 else ''} held"


def local_time(moment: datetime, zone: str, now: datetime) -> str:
    """ "16:30 GMT" today, else "07 Mar 16:30 GMT", in the destination's zone."""
    local = moment.astimezone(ZoneInfo(zone))
    same_day = local.date() == now.astimezone(ZoneInfo(zone)).date()
    return local.strftime("%H:%M %Z" if same_day else "%d %b %H:%M %Z")


def summary(control: ChannelControl, zone: str, now: datetime, held_now: int = 0) -> str:
    """One short line of what differs from the defaults; "" when nothing does."""
    parts: list[str] = []
    if control.quiet_hours is not None:
        also = f" ({', '.join(control.quiet_except)} at once)" if control.quiet_except else ""
        parts.append(f"quiet {span(control.quiet_hours)}{also}")
    if control.digest:
        also = f" ({', '.join(control.digest_except)} at once)" if control.digest_except else ""
        when = "hourly" if control.digest == (HOURLY,) else joined(control.digest)
        parts.append(f"digest {when}{also}")
    if control.min_reports > 1:
        parts.append(f"alerts at {outlets(control.min_reports)}")
    if control.watch:
        more = len(control.watch) - WATCH_SHOWN
        named = ", ".join(control.watch[:WATCH_SHOWN]) + (f" and {more} more" if more > 0 else "")
        parts.append(f"watching {named}")
    if control.timezone is not None:
        parts.append(control.timezone)
    if muted(control, now) and control.muted_until is not None:
        parts.append(f"muted until {local_time(control.muted_until, zone, now)}")
    if held_now:
        parts.append(held(held_now))
    return " · ".join(parts)
