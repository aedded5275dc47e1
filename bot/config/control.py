"""A webhook's channel control keys in the config: quiet hours, digests, watchlist, noise floor.

Each value is read with the validators slash commands use too (bot.control.settings), so a value
means the same wherever it is typed; a bad one is a ConfigError naming the webhook and the key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from bot.config.schema import Section
from bot.control import settings as check
from bot.domain import ChannelControl
from bot.errors import ConfigError

CONTROL_KEYS = (
    "quiet_hours",
    "quiet_except",
    "timezone",
    "digest",
    "digest_except",
    "watch",
    "min_reports",
)
_Value = TypeVar("_Value")


def read_control(section: Section, categories: tuple[str, ...]) -> ChannelControl:
    """The channel control a [[webhooks]] table sets; the defaults for keys it leaves out."""

    def known(key: str, *, breaking: bool = False) -> tuple[str, ...]:
        names = section.string_list(key) or ()
        return check.categories(names, categories, setting=key, breaking=breaking)

    control = ChannelControl(
        quiet_hours=_checked(section, "quiet_hours", lambda: check.quiet_hours(_text(section))),
        quiet_except=_checked(section, "quiet_except", lambda: known("quiet_except")),
        timezone=_checked(section, "timezone", lambda: check.timezone(_text(section, "timezone"))),
        digest=_checked(section, "digest", lambda: check.digest(_digest(section))),
        digest_except=_checked(
            section, "digest_except", lambda: known("digest_except", breaking=True)
        ),
        watch=_checked(
            section, "watch", lambda: check.watch_terms(section.string_list("watch") or ())
        ),
        min_reports=_checked(section, "min_reports", lambda: _min_reports(section)),
    )
    # An exception to something that is off does nothing: more likely a slip than a plan.
    if control.quiet_except and control.quiet_hours is None:
        raise ConfigError(f"{section.where('quiet_except')}: needs quiet_hours to except from")
    if control.digest_except and not control.digest:
        raise ConfigError(f"{section.where('digest_except')}: needs a digest to except from")
    return control


def control_pairs(control: ChannelControl, display_zone: str) -> list[tuple[str, object]]:
    """Every control key with its effective value, as the config would write it."""
    if not control.digest:
        digest: object = "off"
    elif control.digest == (check.HOURLY,):
        digest = check.HOURLY
    else:
        digest = control.digest
    return [
        ("quiet_hours", control.quiet_hours or "off"),
        ("quiet_except", control.quiet_except),
        ("timezone", control.timezone or display_zone),
        ("digest", digest),
        ("digest_except", control.digest_except),
        ("watch", control.watch),
        ("min_reports", control.min_reports),
    ]


def _checked(section: Section, key: str, read: Callable[[], _Value]) -> _Value:
    try:
        return read()
    except ValueError as exc:
        # The validators name the setting themselves ("digest: …"); the place says it already.
        reason = str(exc).removeprefix(f"{key}: ")
        raise ConfigError(f"{section.where(key)}: {reason}") from None


def _text(section: Section, key: str = "quiet_hours") -> str | None:
    return section.string(key)


def _digest(section: Section) -> str | tuple[str, ...] | None:
    value = section.data.get("digest")
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise section.wrong_type("digest", '"off", "hourly" or a list of times', value)
    return section.string_list("digest")


def _min_reports(section: Section) -> int:
    value = section.data.get("min_reports", 1)
    if isinstance(value, bool) or not isinstance(value, int):
        raise section.wrong_type("min_reports", "a whole number of outlets", value)
    return check.min_reports(value)
