"""Channel control against the clock: quiet hours, mutes and digest times in a destination's
own time zone. Wall-clock times are compared in local time, so quiet hours keep their hours
across a daylight-saving change. No I/O."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.control.settings import HOURLY, clock_time, quiet_span
from bot.domain import ChannelControl


def zone_of(control: ChannelControl, default: str) -> ZoneInfo:
    """The destination's time zone, else the [display] one."""
    return ZoneInfo(control.timezone or default)


def muted(control: ChannelControl, now: datetime) -> bool:
    """A mute is in force."""
    return control.muted_until is not None and now < control.muted_until


def in_quiet_hours(control: ChannelControl, now: datetime, default_zone: str) -> bool:
    """`now` falls in the destination's quiet hours (start inclusive, end exclusive)."""
    if control.quiet_hours is None:
        return False
    start, end = quiet_span(control.quiet_hours)
    local = now.astimezone(zone_of(control, default_zone)).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end  # spans midnight


def last_digest_time(control: ChannelControl, now: datetime, default_zone: str) -> datetime | None:
    """The latest digest time at or before `now` (None when digests are off)."""
    if not control.digest:
        return None
    zone = zone_of(control, default_zone)
    local = now.astimezone(zone)
    if control.digest == (HOURLY,):
        return local.replace(minute=0, second=0, microsecond=0)
    times = [clock_time(t) for t in control.digest]
    today = local.date()
    # Yesterday's times too: before the first time of the day, the last one was yesterday's.
    moments = [_local(day, at, zone) for day in (today - timedelta(days=1), today) for at in times]
    return max(m for m in moments if m <= now)


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    # A time skipped by the clocks going forward comes out an hour later, which is when a
    # person would expect that digest anyway.
    moment = datetime.combine(day, at, tzinfo=zone)
    return moment.astimezone(ZoneInfo("UTC")).astimezone(zone)
