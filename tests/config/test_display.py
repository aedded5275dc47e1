"""[display] timezone: the times people read on the console and in latest/status/why."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import DisplaySettings, load_settings
from bot.domain import Alert, CategoryInfo
from bot.errors import ConfigError
from bot.transports.console import console_text

WINTER = datetime(2024, 1, 17, 12, 5, tzinfo=UTC)
SUMMER = datetime(2024, 5, 8, 11, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "moment", "shown"),
    [
        ("Europe/London", WINTER, "17 Jan 12:05 GMT"),
        ("Europe/London", SUMMER, "08 May 12:05 BST"),  # the clocks went forward
        ("UTC", SUMMER, "08 May 11:05 UTC"),
        ("America/New_York", WINTER, "17 Jan 07:05 EST"),
    ],
)
def test_times_are_shown_in_the_display_zone(zone: str, moment: datetime, shown: str) -> None:
    assert DisplaySettings(zone).when(moment) == shown


def test_the_default_is_london_and_a_bad_zone_names_the_key(tmp_path: Path) -> None:
    assert load_settings(None, env={"DIVISION_BELL_DATA": str(tmp_path)}).display.timezone == (
        "Europe/London"
    )
    path = tmp_path / "c.toml"
    path.write_text("[display]\ntimezone = 'Europe/Londres'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[display\] timezone: unknown time zone"):
        load_settings(path, env={})


def test_the_console_shows_local_time_when_given_a_display_zone() -> None:
    info = CategoryInfo("pmqs", "PMQs", "🎙️", 0, "")
    alert = Alert(1, "Sunak and Starmer clash", "", "", "BBC News", SUMMER, (info,))
    assert "BBC News · 2024-05-08 12:05 BST" in console_text(alert, DisplaySettings())
    assert "BBC News · 2024-05-08 11:05 UTC" in console_text(alert)  # no zone given: UTC
