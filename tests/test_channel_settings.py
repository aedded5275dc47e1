"""Channel control from chat (settings, watch, mute), platform-neutral, over a real store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.channel_settings import ChannelSettings
from bot.channel_watch import ChannelWatch
from bot.commands import REFUSAL, Caller, Channel, Commands
from bot.domain import ChannelControl
from bot.pipeline.classify import Classifier
from bot.store import destinations as dest_store
from bot.store.sql import Store, to_db

NOW = datetime(2022, 1, 19, 12, 0, tzinfo=UTC)  # 12:00 GMT
ADMIN = Caller("discord", "guild-1", "u1", "Ada", can_manage=True)
MEMBER = Caller("discord", "guild-1", "u2", "Bob", can_manage=False)
POLITICS = Channel("111", "#politics")
KEY = POLITICS.key(ADMIN)


class Clock:
    """A clock the tests move by hand."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def commands(db: Store, clock: Clock) -> Commands:
    """The use cases over the `db` fixture's store: each test runs on both backends."""
    return Commands(db, Classifier.load().categories, (), clock)


@pytest.fixture
def settings(commands: Commands) -> ChannelSettings:
    return ChannelSettings(commands)


@pytest.fixture
def watch(settings: ChannelSettings) -> ChannelWatch:
    return ChannelWatch(settings)


async def control(commands: Commands) -> ChannelControl | None:
    found = await dest_store.find_destination(commands.db.conn, KEY)
    return None if found is None else found.control


async def hold_alerts(commands: Commands, count: int) -> None:
    dest_id = await dest_store.destination_id(commands.db.conn, KEY)
    async with commands.db.transaction() as conn:
        for number in range(count):
            await conn.execute(
                "INSERT INTO outbox (destination_id, dedupe_key, message, created_at, "
                "next_attempt_at, status, held) VALUES (?, ?, '{}', ?, ?, 'held', 'quiet')",
                (dest_id, f"held-{number}", to_db(NOW), to_db(NOW)),
            )


async def test_members_may_read_but_not_change(
    settings: ChannelSettings, watch: ChannelWatch, commands: Commands
) -> None:
    changes = [
        settings.quiet(MEMBER, POLITICS, "22:00-07:00"),
        settings.digest(MEMBER, POLITICS, "hourly"),
        settings.min_reports(MEMBER, POLITICS, "2"),
        settings.timezone(MEMBER, POLITICS, "Europe/Paris"),
        watch.watch_add(MEMBER, POLITICS, "Reform UK"),
        watch.watch_remove(MEMBER, POLITICS, "Reform UK"),
        watch.mute(MEMBER, POLITICS, "1h"),
        watch.unmute(MEMBER, POLITICS),
    ]
    for change in changes:
        reply = await change
        assert (reply.plain(), reply.ok, reply.ephemeral) == (REFUSAL, False, True)
    assert await dest_store.destination_id(commands.db.conn, KEY) is None  # nothing made
    shown = await settings.show(MEMBER, POLITICS)
    assert shown.ok
    assert shown.plain().splitlines() == [
        "Settings of #politics (change them with /westminster settings, watch or mute):",
        "• Quiet hours: off",
        "• Digest: off (each event alerts at once)",
        "• Noise floor: every event alerts at its first report",
        "• Time zone: Europe/London (the bot's default)",
        "• Watching: nothing (/westminster watch add)",
        "• Muted: no",
        "• Held: nothing",
    ]
    listed = await watch.watch_list(MEMBER, POLITICS)
    assert listed.plain().startswith("#politics watches nothing yet.")
    assert await dest_store.destination_id(commands.db.conn, KEY) is None  # reading made none


async def test_quiet_hours_with_exceptions_then_off(
    settings: ChannelSettings, commands: Commands, clock: Clock
) -> None:
    reply = await settings.quiet(ADMIN, POLITICS, "22:00-07:00", "defection")
    assert reply.ok
    assert not reply.ephemeral  # the channel sees how its alerts change
    assert reply.plain() == (
        "Quiet hours 22:00–07:00 Europe/London in #politics; 🔀 Defection still alerts at once. "
        "Alerts in those hours are held and come as one message when they end."
    )
    assert await control(commands) == ChannelControl("22:00-07:00", ("defection",))
    # New hours keep the exceptions unless new ones are given; `none` clears them.
    await settings.quiet(ADMIN, POLITICS, "23:00-06:00")
    assert await control(commands) == ChannelControl("23:00-06:00", ("defection",))
    await settings.quiet(ADMIN, POLITICS, "23:00-06:00", "pmqs, letters")
    assert (await control(commands) or ChannelControl()).quiet_except == ("pmqs", "letters")
    await settings.quiet(ADMIN, POLITICS, "23:00-06:00", "none")
    assert await control(commands) == ChannelControl("23:00-06:00")
    same = await settings.quiet(ADMIN, POLITICS, "23:00–06:00")
    assert same.plain().startswith("Already so. Quiet hours 23:00–06:00")
    assert same.ephemeral
    # Held alerts are counted, and what becomes of them is said.
    clock.now = NOW.replace(hour=23, minute=30)
    moved = await settings.quiet(ADMIN, POLITICS, "23:00-06:30")
    assert moved.plain().endswith("one message when they end. It is quiet hours now, until 06:30.")
    await hold_alerts(commands, 3)
    shown = (await settings.show(MEMBER, POLITICS)).plain()
    assert "• Quiet hours: 23:00–06:30 Europe/London (quiet now)" in shown
    assert "• Held: 3 alerts held" in shown
    off = await settings.quiet(ADMIN, POLITICS, "off")
    assert off.plain().splitlines() == [
        "Quiet hours off in #politics: alerts come at once again.",
        "3 alerts held until now; they come as one message at the next cycle.",
    ]
    assert await control(commands) == ChannelControl()


@pytest.mark.parametrize(
    ("hours", "excepted", "message"),
    [
        ("25:00-07:00", None, "Expected a time like 07:00 (24-hour HH:MM), got '25:00'."),
        ("22:00", None, "Expected quiet hours like \"22:00-07:00\" (start-end), got '22:00'."),
        ("22:00-07:00", "gossip", "Unknown category 'gossip' (known: defection, inquiry"),
        ("22:00-07:00", "breaking", "Unknown category 'breaking'"),
    ],
)
async def test_bad_quiet_hours_are_refused_plainly(
    settings: ChannelSettings, commands: Commands, hours: str, excepted: str | None, message: str
) -> None:
    reply = await settings.quiet(ADMIN, POLITICS, hours, excepted)
    assert not reply.ok
    assert reply.plain().startswith(message)
    assert await control(commands) is None


async def test_digest_hourly_times_exceptions_and_off(
    settings: ChannelSettings, commands: Commands
) -> None:
    hourly = await settings.digest(ADMIN, POLITICS, "hourly", "breaking defection")
    assert hourly.plain().startswith(
        "Digest every hour, on the hour in #politics; breaking news and 🔀 Defection still alert "
        "at once. Instead of an alert per event, one message per period lists its events"
    )
    await settings.digest(ADMIN, POLITICS, "18:00,8:00")
    assert await control(commands) == ChannelControl(
        digest=("08:00", "18:00"), digest_except=("breaking", "defection")
    )
    shown = (await settings.show(ADMIN, POLITICS)).plain()
    assert "• Digest: at 08:00 and 18:00 Europe/London; breaking news and 🔀 Defection" in shown
    bad = await settings.digest(ADMIN, POLITICS, "daily")
    assert bad.plain().startswith('Expected "off", "hourly" or times like 08:00')
    off = await settings.digest(ADMIN, POLITICS, "off")
    assert off.plain() == "Digest off in #politics: each event alerts on its own again."
    assert await control(commands) == ChannelControl()


async def test_min_reports_and_timezone(settings: ChannelSettings, commands: Commands) -> None:
    for bad, message in (("0", "Expected 1 to 20 outlets, got 0."), ("two", "Expected a whole")):
        reply = await settings.min_reports(ADMIN, POLITICS, bad)
        assert not reply.ok
        assert reply.plain().startswith(message)
    reply = await settings.min_reports(ADMIN, POLITICS, " 3 ")
    assert reply.plain() == (
        "In #politics an event now alerts once 3 outlets have reported it, listing them all."
    )
    zone = await settings.timezone(ADMIN, POLITICS, "Mars/Olympus")
    assert zone.plain().startswith("Unknown time zone 'Mars/Olympus'; expected an Area/City")
    await settings.quiet(ADMIN, POLITICS, "22:00-07:00")
    zone = await settings.timezone(ADMIN, POLITICS, "America/New_York")
    assert zone.plain() == (
        "Time zone of #politics: America/New_York. Its quiet hours and digest times are "
        "America/New_York times."
    )
    assert await control(commands) == ChannelControl(
        "22:00-07:00", timezone="America/New_York", min_reports=3
    )
    lower = await settings.timezone(ADMIN, POLITICS, "asia/kolkata")
    assert lower.plain().startswith("Time zone of #politics: Asia/Kolkata.")
    reset = await settings.timezone(ADMIN, POLITICS, "default")
    assert reset.plain().startswith("#politics uses the bot's time zone: Europe/London.")
    back = await settings.min_reports(ADMIN, POLITICS, 1)
    assert back.plain() == "In #politics every event alerts at its first report."


async def test_watch_add_remove_list_and_limits(watch: ChannelWatch, commands: Commands) -> None:
    added = await watch.watch_add(ADMIN, POLITICS, "angela  rayner")
    assert added.plain() == (
        "Watching “Angela Rayner” in #politics (1 of 50 terms): headlines naming it alert here "
        "whatever their category, labelled “Watch: Angela Rayner”."
    )
    assert not added.ephemeral
    await watch.watch_add(ADMIN, POLITICS, "reform uk")  # a party, as the gazetteer writes it
    await watch.watch_add(ADMIN, POLITICS, "Rwanda bill")
    again = await watch.watch_add(ADMIN, POLITICS, "RWANDA BILL")
    assert again.plain() == "#politics already watches “Rwanda bill”."
    short = await watch.watch_add(ADMIN, POLITICS, "x")
    assert short.plain() == "A term needs at least 2 characters, got 'x'."
    listed = await watch.watch_list(MEMBER, POLITICS)
    assert listed.plain().splitlines() == [
        "#politics watches (3 of 50):",
        "• Angela Rayner",
        "• Reform UK",
        "• Rwanda bill",
    ]
    gone = await watch.watch_remove(ADMIN, POLITICS, "reform  UK")
    assert gone.plain() == "Stopped watching “Reform UK” in #politics."
    missing = await watch.watch_remove(ADMIN, POLITICS, "Boris Johnson")
    assert not missing.ok
    assert missing.plain() == (
        "#politics does not watch “Boris Johnson”. It watches: “Angela Rayner”, “Rwanda bill”."
    )
    for number in range(48):
        assert (await watch.watch_add(ADMIN, POLITICS, f"phrase {number}")).ok
    full = await watch.watch_add(ADMIN, POLITICS, "one too many")
    assert not full.ok
    assert full.plain().startswith("#politics already watches 50 terms, the most it may")
    assert len((await control(commands) or ChannelControl()).watch) == 50


async def test_mute_then_unmute(watch: ChannelWatch, commands: Commands, clock: Clock) -> None:
    not_muted = await watch.unmute(ADMIN, POLITICS)
    assert not_muted.plain() == "#politics is not muted."
    muted = await watch.mute(ADMIN, POLITICS, "2h30m")
    assert muted.plain() == (
        "Muted #politics for 2 hours 30 minutes, until 14:30 GMT: alerts are held and come as "
        "one message when the mute ends. /westminster unmute ends it sooner."
    )
    assert await control(commands) == ChannelControl(muted_until=NOW + timedelta(hours=2.5))
    for bad, message in (("soon", "Expected a duration like 30m"), ("31d", "A mute lasts")):
        reply = await watch.mute(ADMIN, POLITICS, bad)
        assert not reply.ok
        assert reply.plain().startswith(message)
    await hold_alerts(commands, 1)
    clock.now = NOW + timedelta(hours=1)
    unmuted = await watch.unmute(ADMIN, POLITICS)
    assert unmuted.plain().splitlines() == [
        "Unmuted #politics: alerts come as usual again.",
        "1 alert held until now; they come as one message at the next cycle.",
    ]
    assert await control(commands) == ChannelControl()
    # A mute that ran out is no mute: unmute says so.
    await watch.mute(ADMIN, POLITICS, "1d")
    clock.now += timedelta(days=2)
    assert (await watch.unmute(ADMIN, POLITICS)).plain() == "#politics is not muted."


async def test_list_shows_each_channels_settings_in_one_line(
    commands: Commands, settings: ChannelSettings, watch: ChannelWatch
) -> None:
    await commands.subscribe(ADMIN, POLITICS, "pmqs")
    plain = (await commands.list(ADMIN)).plain()
    assert "Channel settings" not in plain  # all defaults: nothing to say
    await settings.quiet(ADMIN, POLITICS, "22:00-07:00", "defection")
    await settings.digest(ADMIN, POLITICS, "08:00")
    await settings.min_reports(ADMIN, POLITICS, "2")
    for term in ("Angela Rayner", "Reform UK", "Rwanda bill", "Covid inquiry"):
        await watch.watch_add(ADMIN, POLITICS, term)
    await watch.mute(ADMIN, POLITICS, "90m")
    await hold_alerts(commands, 2)
    lobby = Channel("222", "#lobby")
    await watch.watch_add(ADMIN, lobby, "Nigel Farage")  # a channel that only watches
    lines = (await commands.list(MEMBER)).plain().splitlines()
    start = lines.index("Channel settings (/westminster settings, watch, mute):")
    assert lines[start + 1 :] == [
        "• #politics: quiet 22:00–07:00 (defection at once) · digest 08:00 · alerts at "
        "2 outlets · watching Angela Rayner, Reform UK, Rwanda bill and 1 more · muted until "
        "13:30 GMT · 2 alerts held",
        "• #lobby: watching Nigel Farage",
    ]
    # Unsubscribing every category leaves a watching channel in place: it still gets watch hits.
    await commands.unsubscribe(ADMIN, POLITICS, None)
    listing = (await commands.list(MEMBER)).plain()
    assert listing.startswith("No channel here is subscribed to a category.")
    assert "• #politics: quiet 22:00–07:00" in listing


async def test_watch_suggestions_come_from_the_register(watch: ChannelWatch) -> None:
    first, *_ = watch.suggestions("rayner")
    assert first[1] == "Angela Rayner"
    assert first[0].startswith("Angela Rayner — ")
    assert watch.suggestions("reform")[0] == ("Reform UK (party)", "Reform UK")
    assert len(watch.suggestions("a")) == 25
    assert all(len(shown) <= 100 for shown, _ in watch.suggestions("a"))
    assert watch.suggestions("zzzzqx") == []


async def test_ending_quiet_hours_under_a_digest_says_where_held_alerts_go(
    settings: ChannelSettings, commands: Commands
) -> None:
    await settings.digest(ADMIN, POLITICS, "18:00")
    await settings.quiet(ADMIN, POLITICS, "22:00-07:00")
    await hold_alerts(commands, 2)
    off = await settings.quiet(ADMIN, POLITICS, "off")
    assert off.plain().splitlines() == [
        "Quiet hours off in #politics.",  # not "at once": the digest still gathers them
        "2 alerts held for the next digest.",
    ]
