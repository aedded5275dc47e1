"""Whether a destination hears something now or later: the rules of channel control.

Alerts are held by a digest (unless their category, or "breaking", is excepted from it), else
by a mute or quiet hours (unless their category is excepted from those). Edits never notify
anyone, so they always go; thread replies and follow-ups are held like alerts. Held messages
wait in the outbox until `due` says their time has come. No I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.control.schedule import in_quiet_hours, last_digest_time, muted
from bot.control.settings import BREAKING
from bot.domain import ChannelControl

MUTED = "muted"
QUIET = "quiet"
DIGEST = "digest"


def hold_alert(
    control: ChannelControl,
    now: datetime,
    default_zone: str,
    categories: Iterable[str],
    *,
    breaking: bool = False,
) -> str | None:
    """Why an alert in these categories waits ("muted", "quiet", "digest"), or None: send."""
    wanted = set(categories)
    if control.digest:
        excepted = set(control.digest_except)
        if not (wanted & excepted or (breaking and BREAKING in excepted)):
            # A digest collects it whenever it comes; quiet hours and mutes only delay the
            # digest, so a night's events join the morning digest rather than a message of
            # their own.
            return DIGEST
    return _quiet(control, now, default_zone, wanted)


def hold_update(
    control: ChannelControl,
    now: datetime,
    default_zone: str,
    kind: str,
    categories: Iterable[str],
) -> str | None:
    """Why an update of an alert already sent waits, or None. Edits never wait: they do not
    notify, and the alert they change is already in the channel."""
    if kind == "edit":
        return None
    return _quiet(control, now, default_zone, set(categories))


def _quiet(
    control: ChannelControl, now: datetime, default_zone: str, wanted: set[str]
) -> str | None:
    """A mute or quiet hours hold it, unless its category is excepted from them."""
    if wanted & set(control.quiet_except):
        return None
    if muted(control, now):
        return MUTED
    if in_quiet_hours(control, now, default_zone):
        return QUIET
    return None


def due(
    control: ChannelControl,
    now: datetime,
    default_zone: str,
    held_for: str,
    held_at: datetime,
    *,
    breaking: bool = False,
) -> bool:
    """A message held for `held_for` since `held_at` may go now (`breaking`: its event has
    become breaking since it was held)."""
    if muted(control, now) or in_quiet_hours(control, now, default_zone):
        return False
    if held_for != DIGEST or not control.digest:
        # Quiet hours or a mute ended (or the digest was turned off): everything held goes.
        return True
    if breaking and BREAKING in control.digest_except:
        return True  # it was not breaking when it was held; now it alerts at once
    last = last_digest_time(control, now, default_zone)
    # A digest time that fell inside quiet hours passed without sending: it is due now.
    return last is not None and held_at < last
