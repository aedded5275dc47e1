"""Quiet hours, mutes and digest times against the clock, across midnight and DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.control import gate
from bot.control.schedule import in_quiet_hours, last_digest_time, muted
from bot.domain import ChannelControl

LONDON = "Europe/London"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        ("2024-06-01T20:59", False),  # 21:59 BST
        ("2024-06-01T21:00", True),  # 22:00 BST: start is inside
        ("2024-06-01T23:30", True),  # past midnight local
        ("2024-06-02T05:59", True),  # 06:59 BST
        ("2024-06-02T06:00", False),  # 07:00 BST: end is outside
        ("2024-12-01T21:59", False),  # winter: 21:59 GMT
        ("2024-12-01T22:00", True),
        ("2024-12-02T06:59", True),
        ("2024-12-02T07:00", False),
    ],
)
def test_quiet_hours_span_midnight_in_local_time(moment: str, quiet: bool) -> None:
    control = ChannelControl(quiet_hours="22:00-07:00")
    assert in_quiet_hours(control, utc(moment), LONDON) is quiet


def test_quiet_hours_keep_their_local_hours_across_the_clocks_going_forward() -> None:
    # 31 March 2024: 01:00 GMT becomes 02:00 BST, so the night is an hour shorter in UTC.
    control = ChannelControl(quiet_hours="22:00-07:00")
    assert in_quiet_hours(control, utc("2024-03-30T22:00"), LONDON)  # 22:00 GMT
    assert in_quiet_hours(control, utc("2024-03-31T05:59"), LONDON)  # 06:59 BST
    assert not in_quiet_hours(control, utc("2024-03-31T06:00"), LONDON)  # 07:00 BST


def test_quiet_hours_keep_their_local_hours_across_the_clocks_going_back() -> None:
    # 27 October 2024: 02:00 BST becomes 01:00 GMT, so the night is an hour longer in UTC.
    control = ChannelControl(quiet_hours="22:00-07:00")
    assert not in_quiet_hours(control, utc("2024-10-26T20:59"), LONDON)  # 21:59 BST
    assert in_quiet_hours(control, utc("2024-10-26T21:00"), LONDON)  # 22:00 BST
    assert in_quiet_hours(control, utc("2024-10-27T06:59"), LONDON)  # 06:59 GMT
    assert not in_quiet_hours(control, utc("2024-10-27T07:00"), LONDON)


def test_a_destination_zone_overrides_the_display_zone() -> None:
    control = ChannelControl(quiet_hours="22:00-07:00", timezone="America/New_York")
    assert not in_quiet_hours(control, utc("2024-06-01T23:00"), LONDON)  # 19:00 in New York
    assert in_quiet_hours(control, utc("2024-06-02T03:00"), LONDON)  # 23:00 in New York


def test_quiet_hours_within_one_day() -> None:
    control = ChannelControl(quiet_hours="12:00-14:00", timezone="UTC")
    assert not in_quiet_hours(control, utc("2024-06-01T11:59"), LONDON)
    assert in_quiet_hours(control, utc("2024-06-01T12:00"), LONDON)
    assert not in_quiet_hours(control, utc("2024-06-01T14:00"), LONDON)


def test_a_mute_lasts_until_its_end() -> None:
    control = ChannelControl(muted_until=utc("2024-06-01T12:00"))
    assert muted(control, utc("2024-06-01T11:59"))
    assert not muted(control, utc("2024-06-01T12:00"))
    assert not muted(ChannelControl(), utc("2024-06-01T12:00"))


def test_digest_times_in_local_time_including_yesterdays_last() -> None:
    control = ChannelControl(digest=("08:00", "18:00"))
    assert last_digest_time(control, utc("2024-06-01T06:30"), LONDON) == utc("2024-05-31T17:00")
    assert last_digest_time(control, utc("2024-06-01T07:00"), LONDON) == utc("2024-06-01T07:00")
    assert last_digest_time(control, utc("2024-12-01T08:00"), LONDON) == utc("2024-12-01T08:00")
    assert last_digest_time(ChannelControl(), utc("2024-06-01T07:00"), LONDON) is None


def test_hourly_digests_fall_on_the_clock_hour() -> None:
    control = ChannelControl(digest=("hourly",))
    assert last_digest_time(control, utc("2024-06-01T10:59"), LONDON) == utc("2024-06-01T10:00")
    # A half-hour zone's clock hour is not UTC's.
    kolkata = ChannelControl(digest=("hourly",), timezone="Asia/Kolkata")
    assert last_digest_time(kolkata, utc("2024-06-01T10:59"), LONDON) == utc("2024-06-01T10:30")


def test_a_digest_time_skipped_by_the_clocks_comes_when_the_clock_reaches_it() -> None:
    control = ChannelControl(digest=("01:30",))
    # 31 March 2024 in London there is no 01:30; the digest falls at 02:30 BST (01:30 UTC).
    assert last_digest_time(control, utc("2024-03-31T02:00"), LONDON) == utc("2024-03-31T01:30")


class TestGate:
    night = ChannelControl(quiet_hours="22:00-07:00", quiet_except=("defection",))

    def test_quiet_hours_hold_alerts_but_not_excepted_categories(self) -> None:
        at = utc("2024-06-01T23:00")
        assert gate.hold_alert(self.night, at, LONDON, ["inquiry"]) == gate.QUIET
        assert gate.hold_alert(self.night, at, LONDON, ["inquiry", "defection"]) is None
        assert gate.hold_alert(self.night, utc("2024-06-01T12:00"), LONDON, ["inquiry"]) is None

    def test_a_mute_holds_like_quiet_hours(self) -> None:
        control = ChannelControl(muted_until=utc("2024-06-01T13:00"), quiet_except=("letters",))
        at = utc("2024-06-01T12:00")
        assert gate.hold_alert(control, at, LONDON, ["pmqs"]) == gate.MUTED
        assert gate.hold_alert(control, at, LONDON, ["letters"]) is None

    def test_a_digest_holds_all_but_its_exceptions(self) -> None:
        control = ChannelControl(digest=("hourly",), digest_except=("breaking", "defection"))
        at = utc("2024-06-01T12:00")
        assert gate.hold_alert(control, at, LONDON, ["inquiry"]) == gate.DIGEST
        assert gate.hold_alert(control, at, LONDON, ["defection"]) is None
        assert gate.hold_alert(control, at, LONDON, ["inquiry"], breaking=True) is None

    def test_edits_always_go_and_replies_wait_for_quiet_hours_to_end(self) -> None:
        at = utc("2024-06-01T23:00")
        assert gate.hold_update(self.night, at, LONDON, "edit", ["inquiry"]) is None
        assert gate.hold_update(self.night, at, LONDON, "reply", ["inquiry"]) == gate.QUIET
        assert gate.hold_update(self.night, at, LONDON, "followup", ["inquiry"]) == gate.QUIET
        assert gate.hold_update(self.night, at, LONDON, "reply", ["defection"]) is None
        digest = ChannelControl(digest=("hourly",))
        assert gate.hold_update(digest, at, LONDON, "followup", ["inquiry"]) is None

    def test_held_messages_are_due_when_quiet_hours_end_or_a_digest_time_passes(self) -> None:
        held_at = utc("2024-06-01T23:00")
        assert not gate.due(self.night, utc("2024-06-02T05:00"), LONDON, gate.QUIET, held_at)
        assert gate.due(self.night, utc("2024-06-02T06:00"), LONDON, gate.QUIET, held_at)
        digest = ChannelControl(digest=("08:00",))
        assert not gate.due(digest, utc("2024-06-02T06:59"), LONDON, gate.DIGEST, held_at)
        assert gate.due(digest, utc("2024-06-02T07:00"), LONDON, gate.DIGEST, held_at)

    def test_a_digest_time_inside_quiet_hours_waits_for_them_to_end(self) -> None:
        control = ChannelControl(quiet_hours="22:00-07:00", digest=("06:00",))
        held_at = utc("2024-06-01T20:00")
        assert not gate.due(control, utc("2024-06-02T05:30"), LONDON, gate.DIGEST, held_at)
        assert gate.due(control, utc("2024-06-02T06:00"), LONDON, gate.DIGEST, held_at)

    def test_turning_a_digest_off_releases_what_it_held(self) -> None:
        held_at = utc("2024-06-01T20:00")
        assert gate.due(ChannelControl(), utc("2024-06-01T20:01"), LONDON, gate.DIGEST, held_at)

    def test_a_digest_waits_for_a_time_after_the_message_was_held(self) -> None:
        control = ChannelControl(digest=("hourly",))
        held_at = utc("2024-06-01T10:00") + timedelta(seconds=1)
        assert not gate.due(control, utc("2024-06-01T10:59"), LONDON, gate.DIGEST, held_at)
        assert gate.due(control, utc("2024-06-01T11:00"), LONDON, gate.DIGEST, held_at)


def test_a_digest_collects_a_nights_events_and_quiet_hours_only_delay_it() -> None:
    control = ChannelControl(
        quiet_hours="22:00-07:00", digest=("06:00", "18:00"), digest_except=("defection",)
    )
    night = utc("2024-06-01T23:00")
    assert gate.hold_alert(control, night, LONDON, ["inquiry"]) == gate.DIGEST
    # At once for the digest, but quiet hours still hold it until they end.
    assert gate.hold_alert(control, night, LONDON, ["defection"]) == gate.QUIET
    # The 06:00 digest (05:00 UTC) falls in quiet hours: it goes when they end, at 07:00.
    assert not gate.due(control, utc("2024-06-02T05:30"), LONDON, gate.DIGEST, night)
    assert gate.due(control, utc("2024-06-02T06:00"), LONDON, gate.DIGEST, night)
