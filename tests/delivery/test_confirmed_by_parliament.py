"""Confirmed by Parliament, as channels see it: a defection alert naming a sitting MP is edited
(or followed up) with the exact words once the Members API records the move, and only then.

Real polls of a loopback feed, delivered through the real webhook sender to the loopback chat
stand-in, with a loopback Members API stand-in serving the MP's party history as scripted.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import Runtime, open_runtime
from bot.config import (
    EventsSettings,
    ParliamentSettings,
    PollingSettings,
    Settings,
    WebhookSettings,
    load_settings,
)
from bot.domain import FeedSource
from bot.store import watches
from tests.support.chat_server import ChatServer, Reply
from tests.support.clock import Clock
from tests.support.feed_server import FeedServerThread
from tests.support.members_api import MembersApiServer, SampleMember, Spell
from tests.support.rss import Item, rss_feed

START = datetime.now(UTC).replace(microsecond=0)
DESK, WIRE = "/discord/desk", "/slack/wire"
CONFIRMED = "Confirmed by Parliament"
LEIGH = 345  # Edward Leigh: a sitting Conservative MP in the packaged register, no posts
CLAIM = "Tory MP Edward Leigh defects to Reform UK"
MONTHS = "January February March April May June July August September October November December"


def leigh(*spells: Spell) -> SampleMember:
    """Edward Leigh as the Members API serves him, with these party spells."""
    return SampleMember(LEIGH, "Edward Leigh", "commons", "Gainsborough", list(spells))


def recorded(day: date) -> str:
    """How an alert says when Parliament recorded the move: '8 May 2024'."""
    return f"{day.day} {MONTHS.split()[day.month - 1]} {day.year}"


@dataclass
class Newsroom:
    """One feed, polled, delivered and checked against Parliament on demand."""

    runtime: Runtime
    feeds: FeedServerThread
    clock: Clock
    items: list[Item]

    @property
    def first_day(self) -> date:
        """The day of the first report (the watch's own)."""
        return self.items[0].published.date() if self.items[0].published else START.date()

    async def publish(self, title: str, *, after: timedelta = timedelta(minutes=5)) -> str:
        """A report goes out; time passes; the feed is polled and delivered. Its link."""
        self.clock.now += after
        link = f"https://bbc.example/{len(self.items)}"
        self.items.append(Item(title, link, published=self.clock.now))
        self.feeds.set_feed("/bbc.xml", rss_feed("bbc", self.items))
        await self.runtime.poller.poll_all(self.runtime.settings.feeds)
        await self.runtime.deliverer.deliver_due()
        return link

    async def check(self, *, after: timedelta = timedelta(minutes=5)) -> int:
        """Time passes; Parliament is asked about the open watches; what is due goes out."""
        self.clock.now += after
        assert self.runtime.confirmer is not None
        confirmed = await self.runtime.confirmer.check()
        await self.runtime.deliverer.deliver_due()
        return confirmed


@pytest.fixture
async def api() -> AsyncIterator[MembersApiServer]:
    async with MembersApiServer([leigh(Spell("Conservative", "1983-06-09"))]) as server:
        yield server


def newsroom_settings(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer, api: MembersApiServer
) -> Settings:
    """One BBC feed, a Discord-format and a Slack-format webhook, the Members API stand-in."""
    base = load_settings(None, env={"DIVISION_BELL_DATA": str(tmp_path)})
    return replace(
        base,
        feeds=(FeedSource("bbc", feeds.url("/bbc.xml"), outlet="BBC"),),
        webhooks=(
            WebhookSettings("discord", chat.url(DESK), None, "desk"),
            WebhookSettings("slack", chat.url(WIRE), None, "wire"),
        ),
        console=False,
        polling=PollingSettings(timeout=2, max_bytes=200_000, jitter=0),
        events=EventsSettings(edit_interval=0),
        parliament=ParliamentSettings(members_api=api.url(), timeout=2),
    )


@pytest.fixture
async def newsroom(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer, api: MembersApiServer
) -> AsyncIterator[Newsroom]:
    feeds.set_feed("/bbc.xml", rss_feed("bbc", []))
    settings = newsroom_settings(tmp_path, feeds, chat, api)
    clock = Clock(START)
    async with open_runtime(settings, clock=clock, parse_workers=1) as runtime:
        room = Newsroom(runtime, feeds, clock, [])
        await runtime.poller.poll_all(settings.feeds)  # first poll: an empty feed
        yield room


def _texts(bodies: list[object]) -> str:
    return "\n".join(str(b) for b in bodies)


def recorded_move(first_day: date, party: str = "Reform UK", days: int = 0) -> SampleMember:
    """Parliament records Leigh leaving the Conservatives for `party`, `days` after the report."""
    moved = (first_day + timedelta(days=days)).isoformat()
    return leigh(Spell("Conservative", "1983-06-09", moved), Spell(party, moved))


async def test_a_recorded_move_edits_the_discord_alert_and_follows_up_on_slack(
    newsroom: Newsroom, chat: ChatServer, api: MembersApiServer
) -> None:
    await newsroom.publish(CLAIM)
    assert len(chat.received(DESK)) == 1
    assert len(chat.received(WIRE)) == 1
    assert CONFIRMED not in _texts(chat.received(DESK) + chat.received(WIRE))
    # Parliament has not recorded it yet: asked, nothing changes.
    assert await newsroom.check() == 0
    assert api.history_requests() == [[LEIGH]]
    assert chat.edits(DESK) == []
    assert len(chat.received(WIRE)) == 1

    api.set_members([recorded_move(newsroom.first_day)])
    assert await newsroom.check() == 1  # no new report came: the update is armed anyway
    words = f"Edward Leigh joined Reform UK (recorded {recorded(newsroom.first_day)})"
    [edit] = chat.edits(DESK)
    fields = {f["name"]: f["value"] for f in edit.body["embeds"][0]["fields"]}
    # Discord markdown escapes the brackets; readers see them plain.
    assert fields[f"✅ {CONFIRMED}"].replace("\\", "") == words
    assert len(chat.received(DESK)) == 1  # edited in place, never a new message
    [_, follow_up] = chat.received(WIRE)  # Slack-format webhooks cannot edit: one follow-up
    assert f"{CONFIRMED}*: {words}" in follow_up["text"]  # the fallback Mattermost shows
    assert CONFIRMED in _texts(follow_up["blocks"])

    # Closed: later checks ask Parliament nothing, and nothing is sent again.
    assert await newsroom.check() == 0
    assert len(api.history_requests()) == 2
    assert len(chat.received(WIRE)) == 2
    # A later report's edit keeps the badge.
    await newsroom.publish("Edward Leigh: why I joined Reform UK")
    assert CONFIRMED in _texts([chat.edits(DESK)[-1].body])
    assert sum(CONFIRMED in _texts([m]) for m in chat.received(WIRE)) == 1


@pytest.mark.parametrize(
    ("party", "days", "confirms"),
    [
        ("Independent", 0, False),  # a suspended whip, never a defection
        ("Labour", 0, False),  # not the party the report named
        ("Reform UK", -2, False),  # a spell from before the report is not this move
        ("Reform UK", -1, True),  # the day before the first report still counts
        ("Reform UK", 2, True),  # Parliament records it a couple of days later
    ],
)
async def test_only_a_move_to_the_named_party_from_the_day_before_confirms(
    newsroom: Newsroom,
    chat: ChatServer,
    api: MembersApiServer,
    party: str,
    days: int,
    confirms: bool,
) -> None:
    await newsroom.publish(CLAIM)
    api.set_members([recorded_move(newsroom.first_day, party, days)])
    assert await newsroom.check() == int(confirms)
    sent = _texts([e.body for e in chat.edits(DESK)] + chat.received(WIRE))
    assert (CONFIRMED in sent) is confirms
    watch = await watches.watch_of(newsroom.runtime.db.conn, 1)
    assert watch is not None
    assert watch.status == (watches.CONFIRMED if confirms else watches.OPEN)


async def test_an_unrecorded_claim_expires_after_seven_days_silently(
    newsroom: Newsroom, chat: ChatServer, api: MembersApiServer, caplog: pytest.LogCaptureFixture
) -> None:
    await newsroom.publish(CLAIM)
    assert await newsroom.check(after=timedelta(days=6, hours=23)) == 0
    assert len(api.history_requests()) == 1  # still asked on the seventh day
    caplog.set_level(logging.INFO, logger="bot.delivery.confirm")
    assert await newsroom.check(after=timedelta(hours=1)) == 0
    assert len(api.history_requests()) == 1  # a week on: not asked again
    assert any(
        r.levelno == logging.INFO and "within a week" in r.getMessage() for r in caplog.records
    )
    # Recorded too late to count: the alert never says so.
    api.set_members([recorded_move(newsroom.first_day, days=8)])
    assert await newsroom.check(after=timedelta(days=1)) == 0
    assert len(api.history_requests()) == 1
    assert chat.edits(DESK) == []
    assert len(chat.received(WIRE)) == 1
    watch = await watches.watch_of(newsroom.runtime.db.conn, 1)
    assert watch is not None
    assert watch.status == watches.EXPIRED


async def test_api_down_is_logged_once_keeps_the_watch_and_confirms_when_back(
    newsroom: Newsroom, chat: ChatServer, api: MembersApiServer, caplog: pytest.LogCaptureFixture
) -> None:
    await newsroom.publish(CLAIM)
    api.set_members([recorded_move(newsroom.first_day)])
    api.fault = ("status", {"status": 500})
    caplog.set_level(logging.INFO, logger="bot.delivery.confirm")
    assert await newsroom.check() == 0
    assert await newsroom.check() == 0
    assert len(api.history_requests()) == 2
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "HTTP 500" in warnings[0].getMessage()
    assert "party watches stay open" in warnings[0].getMessage()
    assert chat.edits(DESK) == []
    watch = await watches.watch_of(newsroom.runtime.db.conn, 1)
    assert watch is not None
    assert watch.status == watches.OPEN

    api.fault = None
    assert await newsroom.check() == 1
    assert CONFIRMED in _texts([chat.edits(DESK)[0].body])
    assert any("reachable again" in r.getMessage() for r in caplog.records)


async def test_a_refused_edit_brings_the_confirmation_as_a_follow_up(
    newsroom: Newsroom, chat: ChatServer, api: MembersApiServer
) -> None:
    await newsroom.publish(CLAIM)
    [(message,)] = await newsroom.runtime.db.conn.execute_fetchall(
        "SELECT o.remote_id FROM outbox o JOIN destinations d ON d.id = o.destination_id "
        "WHERE d.label = 'desk' AND o.kind = 'alert'"
    )
    limit = {"message": "Maximum number of edits to messages older than 1 hour", "code": 30046}
    chat.script(f"{DESK}/messages/{message}", [Reply(400, body=limit)])
    api.set_members([recorded_move(newsroom.first_day)])
    assert await newsroom.check() == 1
    await newsroom.runtime.deliverer.deliver_due()
    assert chat.edits(DESK) == []
    [_, follow_up] = chat.received(DESK)
    assert CONFIRMED in _texts([follow_up])
    assert "Edward Leigh joined Reform UK" in _texts([follow_up])


async def test_why_tells_what_parliament_said(newsroom: Newsroom, api: MembersApiServer) -> None:
    link = await newsroom.publish(CLAIM)
    why = (await newsroom.runtime.commands.why(link)).plain()
    assert "Not yet confirmed by Parliament" in why
    assert "Edward Leigh joining Reform UK" in why
    api.set_members([recorded_move(newsroom.first_day)])
    await newsroom.check()
    why = (await newsroom.runtime.commands.why(link)).plain()
    words = f"Edward Leigh joined Reform UK (recorded {recorded(newsroom.first_day)})"
    assert f"{CONFIRMED}: {words}." in why
    assert "To desk: confirmation edit sent" in why
    assert "To wire: confirmation follow-up sent" in why
