"""Channel control as channels see it: quiet hours, mutes, digests and the noise floor.

Real polls of a loopback feed server, delivered through the real webhook senders to the
loopback chat stand-in, with the runtime's clock moved by the test. Each test is a row of the
table in docs/channel-control.md.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import Runtime, open_runtime
from bot.config import Settings
from bot.domain import ChannelControl
from bot.store import destinations as dest_store
from tests.support.chat_server import ChatServer
from tests.support.clock import Clock
from tests.support.feed_server import FeedServerThread
from tests.support.newsroom import newsroom_settings
from tests.support.rss import Item, rss_feed

# On the hour, so quiet hours and digest times (to the minute) fall where the tests say.
START = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
DESK, WIRE = "/discord/desk", "/slack/wire"
OUTLETS = ("bbc", "sky", "itv")
STORIES = {  # two distinct defections, each reported by three outlets in turn
    "marchmont": (
        "Tory MP Jane Marchmont defects to Labour",
        "Jane Marchmont crosses the floor: the MP who walked out on the Tories",
        "Jane Marchmont's defection: what it means for Labour",
    ),
    "ashdown": (
        "Labour MP Tom Ashdown defects to the Liberal Democrats",
        "Tom Ashdown crosses the floor to join the Lib Dems",
        "Tom Ashdown's defection leaves Labour reeling",
    ),
}


def hours(start: int, end: int) -> str:
    """Quiet hours from START + start hours to START + end hours, as HH:MM-HH:MM in UTC."""
    return f"{START + timedelta(hours=start):%H:%M}-{START + timedelta(hours=end):%H:%M}"


@dataclass
class Room:
    """Feeds that publish reports, a runtime polling them, and the chat stand-in."""

    settings: Settings
    feeds: FeedServerThread
    chat: ChatServer
    clock: Clock
    runtime: Runtime | None = None
    published: dict[str, list[Item]] = field(default_factory=lambda: {o: [] for o in OUTLETS})
    stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    async def start(self) -> None:
        """Open the runtime (again, after `stop`: a restart on the same database)."""
        self.runtime = await self.stack.enter_async_context(
            open_runtime(self.settings, clock=self.clock, parse_workers=1)
        )

    async def stop(self) -> None:
        await self.stack.aclose()
        self.stack = contextlib.AsyncExitStack()
        self.runtime = None

    async def control(self, label: str, control: ChannelControl) -> None:
        """Give a webhook destination its channel-control settings."""
        assert self.runtime is not None
        async with self.runtime.db.transaction() as conn:
            for destination in await dest_store.active_destinations(conn):
                if destination.label == label:
                    await dest_store.set_control(conn, destination.id, control)

    async def report(
        self, story: str, number: int, *, after: timedelta = timedelta(minutes=5)
    ) -> None:
        """Report `number` of `story` goes out on its outlet; time passes; a poll cycle runs."""
        self.clock.now += after
        outlet = OUTLETS[number]
        index = sum(len(v) for v in self.published.values())
        self.published[outlet].append(
            Item(
                STORIES[story][number],
                f"https://{outlet}.example/{index}",
                published=self.clock.now,
            )
        )
        self.feeds.set_feed(f"/{outlet}.xml", rss_feed(outlet, self.published[outlet]))
        await self.cycle(after=timedelta())

    async def cycle(self, *, after: timedelta = timedelta(minutes=1)) -> None:
        """Time passes, then one cycle: poll, release what may go, deliver."""
        from bot.delivery.holding import release_held

        assert self.runtime is not None
        self.clock.now += after
        await self.runtime.poller.poll_all(self.settings.feeds)
        await release_held(self.runtime.db, now=self.clock.now, zone="UTC")
        await self.runtime.deliverer.deliver_due()

    def desk(self) -> list[str]:
        return [str(b) for b in self.chat.received(DESK)]

    def wire(self) -> list[str]:
        return [str(b) for b in self.chat.received(WIRE)]


@pytest.fixture
async def room(tmp_path: Path, feeds: FeedServerThread, chat: ChatServer) -> AsyncIterator[Room]:
    settings = newsroom_settings(tmp_path, feeds, chat, OUTLETS, desk=DESK, wire=WIRE)
    room = Room(settings, feeds, chat, Clock(START))
    await room.start()
    assert room.runtime is not None
    await room.runtime.poller.poll_all(settings.feeds)  # first polls: empty feeds
    try:
        yield room
    finally:
        await room.stop()


def mentions(texts: list[str], *words: str) -> bool:
    return any(all(w in t for w in words) for t in texts)


async def test_a_single_alert_held_by_quiet_hours_goes_as_itself_when_they_end(room: Room) -> None:
    await room.control("desk", ChannelControl(quiet_hours=hours(0, 1), timezone="UTC"))
    await room.report("marchmont", 0)
    assert room.desk() == []  # held: quiet hours
    assert len(room.wire()) == 1  # the other channel is not quiet
    await room.cycle(after=timedelta(minutes=30))
    assert room.desk() == []
    await room.cycle(after=timedelta(minutes=30))  # START + 1h05: quiet hours over
    desk = room.desk()
    assert len(desk) == 1
    assert "Jane Marchmont" in desk[0]


async def test_an_excepted_category_alerts_at_once_in_quiet_hours(room: Room) -> None:
    control = ChannelControl(quiet_hours=hours(0, 2), quiet_except=("defection",), timezone="UTC")
    await room.control("desk", control)
    await room.report("marchmont", 0)
    assert len(room.desk()) == 1


async def test_the_noise_floor_alerts_once_when_the_nth_outlet_reports(room: Room) -> None:
    await room.control("desk", ChannelControl(min_reports=2))
    await room.report("marchmont", 0)
    assert room.desk() == []  # one outlet: below the floor
    assert len(room.wire()) == 1
    await room.report("marchmont", 1)
    desk = room.desk()
    assert len(desk) == 1  # the second outlet lifts it over: one alert
    assert "BBC" in desk[0]
    assert "SKY" in desk[0]
    await room.report("marchmont", 2)
    assert len(room.desk()) == 1  # further reports edit it, never a second alert
    assert room.chat.edits(DESK)


async def test_edits_of_an_alert_sent_before_quiet_hours_happen_but_follow_ups_wait(
    room: Room,
) -> None:
    await room.report("marchmont", 0)  # START + 5 min: before quiet hours
    assert len(room.desk()) == 1
    assert len(room.wire()) == 1
    quiet = ChannelControl(quiet_hours=hours(1, 3), timezone="UTC")
    await room.control("desk", quiet)
    await room.control("wire", quiet)
    await room.report("marchmont", 1, after=timedelta(hours=1))  # START + 1h05: quiet
    assert len(room.chat.edits(DESK)) == 1  # an edit notifies no one: it happens
    assert len(room.desk()) == 1
    assert len(room.wire()) == 1  # the Slack webhook's follow-up is held
    await room.cycle(after=timedelta(hours=2))  # START + 3h06: quiet hours over
    wire = room.wire()
    assert len(wire) == 2  # one message for everything held
    assert "Jane Marchmont" in wire[1]


async def test_two_events_held_by_quiet_hours_come_as_one_digest_when_they_end(
    room: Room,
) -> None:
    await room.control("desk", ChannelControl(quiet_hours=hours(0, 2), timezone="UTC"))
    await room.report("marchmont", 0)
    await room.report("marchmont", 1)
    await room.report("ashdown", 0)
    assert room.desk() == []
    await room.cycle(after=timedelta(hours=2))  # START + 2h16: quiet hours over
    desk = room.desk()
    assert len(desk) == 1  # one message for both events
    assert mentions(desk, "Jane Marchmont", "Tom Ashdown")
    await room.cycle()
    assert len(room.desk()) == 1  # and never again


async def test_a_restart_during_quiet_hours_loses_nothing_and_sends_nothing_twice(
    room: Room,
) -> None:
    # Set in the config this time, as a webhook's settings are: each start applies them.
    quiet = ChannelControl(quiet_hours=hours(0, 2), timezone="UTC")
    desk, wire = room.settings.webhooks
    room.settings = replace(room.settings, webhooks=(replace(desk, control=quiet), wire))
    await room.stop()
    await room.start()
    await room.report("marchmont", 0)
    await room.report("ashdown", 0)
    await room.stop()
    await room.start()
    await room.cycle(after=timedelta(minutes=30))
    assert room.desk() == []
    await room.cycle(after=timedelta(hours=2))
    await room.stop()
    await room.start()
    await room.cycle()
    desk_posts = room.desk()
    assert len(desk_posts) == 1
    assert mentions(desk_posts, "Jane Marchmont", "Tom Ashdown")


async def test_a_watched_phrase_alerts_a_channel_whatever_the_category(room: Room) -> None:
    await room.control("desk", ChannelControl(watch=("Jane Marchmont",)))
    room.clock.now += timedelta(minutes=5)
    room.published["bbc"].append(
        Item(
            "Jane Marchmont opens the village fete",
            "https://bbc.example/f",
            published=room.clock.now,
        )
    )
    room.feeds.set_feed("/bbc.xml", rss_feed("bbc", room.published["bbc"]))
    await room.cycle(after=timedelta())
    desk = room.desk()
    assert len(desk) == 1  # no category at all: the watchlist alone brought it
    assert "Watch: Jane Marchmont" in desk[0]
    assert room.wire() == []  # a channel that watches nothing hears nothing of it
    await room.report("marchmont", 0)  # a defection naming her: same term, one more event
    desk = room.desk()
    assert len(desk) == 2
    assert "Defection" in desk[1]
    assert "Watch: Jane Marchmont" in desk[1]
    assert len(room.wire()) == 1  # subscribed to every category: the defection only
    assert "Watch:" not in room.wire()[0]


async def test_an_hourly_digest_lists_the_hours_events_most_reported_first(room: Room) -> None:
    await room.control("desk", ChannelControl(digest=("hourly",), timezone="UTC"))
    await room.report("ashdown", 0)  # START + 5 min
    await room.report("marchmont", 0)
    await room.report("marchmont", 1)  # START + 15 min: Marchmont has two outlets
    assert room.desk() == []
    await room.cycle(after=timedelta(minutes=30))  # START + 45 min: not yet the hour
    assert room.desk() == []
    await room.cycle(after=timedelta(minutes=16))  # START + 1h01: the hour has passed
    desk = room.desk()
    assert len(desk) == 1
    assert desk[0].index("Jane Marchmont") < desk[0].index("Tom Ashdown")
    assert "2 reports" in desk[0]
    await room.cycle(after=timedelta(hours=1))  # a period with nothing new sends nothing
    assert len(room.desk()) == 1
    assert len(room.wire()) == 3  # the other channel: each event at once, and a follow-up


async def test_a_digest_time_inside_quiet_hours_waits_for_them_and_merges(room: Room) -> None:
    control = ChannelControl(
        quiet_hours=hours(0, 2), digest=(f"{START + timedelta(hours=1):%H:%M}",), timezone="UTC"
    )
    await room.control("desk", control)
    await room.report("marchmont", 0)
    await room.report("ashdown", 0)
    await room.cycle(after=timedelta(hours=1))  # START + 1h10: the digest time, but quiet
    assert room.desk() == []
    await room.cycle(after=timedelta(hours=1))  # START + 2h10: quiet hours over
    desk = room.desk()
    assert len(desk) == 1
    assert mentions(desk, "Jane Marchmont", "Tom Ashdown")


async def test_a_mute_holds_until_it_ends(room: Room) -> None:
    await room.control("desk", ChannelControl(muted_until=START + timedelta(minutes=30)))
    await room.report("marchmont", 0)
    await room.report("ashdown", 0)
    assert room.desk() == []
    await room.cycle(after=timedelta(minutes=21))  # START + 31 min: the mute is over
    desk = room.desk()
    assert len(desk) == 1
    assert "muted" in desk[0]
    assert mentions(desk, "Jane Marchmont", "Tom Ashdown")


async def test_removing_quiet_hours_sends_what_they_held_at_the_next_cycle(room: Room) -> None:
    await room.control("desk", ChannelControl(quiet_hours=hours(0, 3), timezone="UTC"))
    await room.report("marchmont", 0)
    await room.report("ashdown", 0)
    await room.cycle()
    assert room.desk() == []
    await room.control("desk", ChannelControl())
    await room.cycle()
    desk = room.desk()
    assert len(desk) == 1
    assert mentions(desk, "Jane Marchmont", "Tom Ashdown")


async def test_an_event_that_breaks_leaves_the_digest_when_breaking_is_excepted(
    room: Room,
) -> None:
    control = ChannelControl(digest=("hourly",), digest_except=("breaking",), timezone="UTC")
    await room.control("desk", control)
    await room.report("ashdown", 0)
    await room.report("marchmont", 0)
    assert room.desk() == []
    await room.report("marchmont", 1)
    await room.report("marchmont", 2)  # a third outlet within 30 minutes: breaking
    desk = room.desk()
    assert len(desk) == 1  # the breaking event, as an alert of its own
    assert "Jane Marchmont" in desk[0]
    assert "Tom Ashdown" not in desk[0]
    await room.cycle(after=timedelta(hours=1))
    desk = room.desk()
    assert len(desk) == 2  # the hour's digest: the event that did not break
    assert "Tom Ashdown" in desk[1]


async def test_why_tells_what_was_held_and_what_a_digest_listed(room: Room) -> None:
    assert room.runtime is not None
    await room.control("desk", ChannelControl(quiet_hours=hours(0, 2), timezone="UTC"))
    await room.report("marchmont", 0)
    await room.report("ashdown", 0)
    held = (await room.runtime.commands.why("https://bbc.example/0")).plain()
    assert "To desk: alert held: quiet hours; it goes when they end." in held
    assert "To wire: alert sent" in held
    await room.cycle(after=timedelta(hours=2))
    listed = (await room.runtime.commands.why("https://bbc.example/0")).plain()
    assert "To desk: alert listed in a digest" in listed


async def test_quiet_hours_across_midnight_end_by_the_local_clock_after_it_goes_forward(
    room: Room,
) -> None:
    # The night of 30-31 March 2024 in London: 22:00 GMT to 07:00 BST, which is 06:00 UTC.
    room.clock.now = datetime(2024, 3, 30, 22, 0, tzinfo=UTC)
    await room.control("desk", ChannelControl(quiet_hours="22:00-07:00", timezone="Europe/London"))
    await room.report("marchmont", 0)  # 22:05 GMT
    await room.report("ashdown", 0, after=timedelta(hours=3))  # 01:10 UTC: 02:10 BST
    assert room.desk() == []
    room.clock.now = datetime(2024, 3, 31, 5, 59, tzinfo=UTC)  # 06:59 BST
    await room.cycle(after=timedelta())
    assert room.desk() == []
    await room.cycle(after=timedelta(minutes=2))  # 07:01 BST: over, an hour before 07:00 UTC
    desk = room.desk()
    assert len(desk) == 1
    assert mentions(desk, "Jane Marchmont", "Tom Ashdown")
