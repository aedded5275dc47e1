"""What people type for channel control: read, normalised, or refused with a clear reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.control import settings
from bot.domain import ChannelControl

CATEGORIES = ("defection", "letters", "pmqs", "inquiry")


def test_quiet_hours_are_normalised_and_off_turns_them_off() -> None:
    assert settings.quiet_hours("22:00-7:00") == "22:00-07:00"
    assert settings.quiet_hours(" 09:30 – 17:00 ") == "09:30-17:00"
    assert settings.quiet_hours("off") is None
    assert settings.quiet_hours(None) is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("22:00", "start-end"),
        ("25:00-07:00", "24-hour HH:MM"),
        ("22:00-07:60", "24-hour HH:MM"),
        ("10pm-7am", "24-hour HH:MM"),
        ("07:00-07:00", "same time"),
    ],
)
def test_bad_quiet_hours_say_what_was_expected(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        settings.quiet_hours(text)


def test_digests_are_off_hourly_or_sorted_distinct_times() -> None:
    assert settings.digest("off") == ()
    assert settings.digest(None) == ()
    assert settings.digest("Hourly") == ("hourly",)
    assert settings.digest("18:00,08:00") == ("08:00", "18:00")
    assert settings.digest(["8:00", "18:00", "08:00"]) == ("08:00", "18:00")
    with pytest.raises(ValueError, match='"off", "hourly" or times'):
        settings.digest("morning")
    with pytest.raises(ValueError, match="digest"):
        settings.digest(["hourly", "08:00"])


def test_time_zones_must_exist() -> None:
    assert settings.timezone("Europe/London") == "Europe/London"
    assert settings.timezone("") is None
    with pytest.raises(ValueError, match="Area/City"):
        settings.timezone("Mars/Olympus_Mons")
    with pytest.raises(ValueError, match="Area/City"):
        settings.timezone("../../etc/passwd")


def test_categories_are_checked_and_breaking_only_where_allowed() -> None:
    assert settings.categories(["Defection", "pmqs", "defection"], CATEGORIES, setting="x") == (
        "defection",
        "pmqs",
    )
    with pytest.raises(ValueError, match="quiet_except: unknown category 'sport'"):
        settings.categories(["sport"], CATEGORIES, setting="quiet_except")
    with pytest.raises(ValueError, match="unknown category 'breaking'"):
        settings.categories(["breaking"], CATEGORIES, setting="quiet_except")
    assert settings.categories(["breaking"], CATEGORIES, setting="d", breaking=True) == (
        "breaking",
    )


@pytest.mark.parametrize("value", [0, -1, 21, "two", 1.5, True, None])
def test_min_reports_is_a_whole_number_of_outlets(value: object) -> None:
    with pytest.raises(ValueError, match="min_reports"):
        settings.min_reports(value)


def test_min_reports_accepts_numbers_and_digits() -> None:
    assert settings.min_reports(3) == 3
    assert settings.min_reports("2") == 2


def test_watch_terms_are_trimmed_distinct_and_bounded() -> None:
    assert settings.watch_terms(["  Angela   Rayner ", "angela rayner", "Reform UK"]) == (
        "Angela Rayner",
        "Reform UK",
    )
    with pytest.raises(ValueError, match="at least 2"):
        settings.watch_term(" x ")
    with pytest.raises(ValueError, match="at most 80"):
        settings.watch_term("x" * 81)
    with pytest.raises(ValueError, match="at most 50 terms"):
        settings.watch_terms([f"term {n}" for n in range(51)])


def test_mute_durations() -> None:
    assert settings.duration("30m") == timedelta(minutes=30)
    assert settings.duration("1d 12h") == timedelta(days=1, hours=12)
    for bad in ("", "soon", "0m", "31d", "2x", "h"):
        with pytest.raises(ValueError, match=r"duration|mute"):
            settings.duration(bad)


def test_control_round_trips_through_json_and_defaults_store_nothing() -> None:
    assert ChannelControl().to_json() == {}
    control = ChannelControl(
        quiet_hours="22:00-07:00",
        quiet_except=("defection",),
        timezone="Europe/Paris",
        digest=("08:00", "18:00"),
        digest_except=("breaking",),
        watch=("Angela Rayner",),
        min_reports=2,
        muted_until=datetime(2024, 6, 1, 12, tzinfo=UTC),
    )
    assert ChannelControl.from_json(control.to_json()) == control
    assert ChannelControl.from_json({"future_key": 1}) == ChannelControl()
