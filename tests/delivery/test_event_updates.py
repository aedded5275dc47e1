"""An event growing across polls, as channels see it: one alert, then edits or follow-ups.

Real polls of a loopback feed server, delivered through the real webhook sender to the loopback
chat stand-in (Discord answers `?wait=true` with the message, and takes PATCH edits of it).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import Runtime, open_runtime
from tests.support.chat_server import ChatServer, Reply
from tests.support.clock import Clock
from tests.support.feed_server import FeedServerThread
from tests.support.newsroom import newsroom_settings
from tests.support.rss import Item, rss_feed
from tests.support.waiting import wait_for

START = datetime.now(UTC).replace(microsecond=0)
DESK, WIRE = "/discord/desk", "/slack/wire"
REPORTS = [  # (feed, title): one fictional defection as three outlets report it
    ("bbc", "Tory MP Jane Marchmont defects to Labour"),
    ("sky", "Jane Marchmont crosses the floor: the MP who walked out on the Tories"),
    ("itv", "Jane Marchmont's defection: what it means for Labour"),
    ("bbc", "Why Jane Marchmont defected to Labour"),
]


@dataclass
class Newsroom:
    """Feeds that publish reports one by one, polled and delivered on demand."""

    runtime: Runtime
    feeds: FeedServerThread
    clock: Clock
    published: dict[str, list[Item]]

    async def publish(self, index: int, *, after: timedelta = timedelta(minutes=5)) -> None:
        """Report number `index` goes out; time passes; every feed is polled and delivered."""
        self.clock.now += after
        feed, title = REPORTS[index]
        link = f"https://{feed}.example/{index}"
        self.published[feed].append(Item(title, link, published=self.clock.now))
        self.feeds.set_feed(f"/{feed}.xml", rss_feed(feed, self.published[feed]))
        await self.runtime.poller.poll_all(self.runtime.settings.feeds)
        await self.deliver()

    async def deliver(self) -> None:
        """Send what is due now."""
        await self.runtime.deliverer.deliver_due()


@pytest.fixture
async def newsroom(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> AsyncIterator[Newsroom]:
    names = ("bbc", "sky", "itv")
    settings = newsroom_settings(tmp_path, feeds, chat, names, desk=DESK, wire=WIRE)
    clock = Clock(START)
    async with open_runtime(settings, clock=clock, parse_workers=1) as runtime:
        room = Newsroom(runtime, feeds, clock, {n: [] for n in names})
        await runtime.poller.poll_all(settings.feeds)  # first polls: empty feeds
        yield room


def _texts(bodies: list[object]) -> str:
    return "\n".join(str(b) for b in bodies)


async def test_one_alert_then_edits_on_discord_and_hourly_follow_ups_on_slack(
    newsroom: Newsroom, chat: ChatServer
) -> None:
    await newsroom.publish(0)
    assert len(chat.received(DESK)) == 1
    assert chat.attempts(DESK)[0].query == {"wait": "true"}
    assert len(chat.received(WIRE)) == 1

    await newsroom.publish(1)
    await newsroom.publish(2)
    assert len(chat.received(DESK)) == 1  # never a second top-level message
    edits = chat.edits(DESK)
    assert len(edits) == 2
    assert "3 reports" in _texts([edits[-1].body])
    message = await alert_id(newsroom)
    assert all(e.path == f"{DESK}/messages/{message}" for e in edits)
    # Slack-format webhooks cannot edit: one follow-up for the first further report, then
    # nothing more within the hour however many come.
    wire = chat.received(WIRE)
    assert len(wire) == 2
    assert "1 more report on" in _texts([wire[1]])

    newsroom.clock.now += timedelta(minutes=61)
    await newsroom.deliver()
    wire = chat.received(WIRE)
    assert len(wire) == 3
    assert "1 more report on" in _texts([wire[2]])  # the one that came within the hour


async def alert_id(room: Newsroom) -> str:
    """The message id the stand-in gave the desk's alert, as the outbox kept it."""
    rows = await room.runtime.db.conn.execute_fetchall(
        "SELECT o.remote_id FROM outbox o JOIN destinations d ON d.id = o.destination_id "
        "WHERE d.label = 'desk' AND o.kind = 'alert'"
    )
    return str(next(iter(rows))[0])


async def test_a_deleted_alert_stops_its_edits_but_not_the_channel(
    newsroom: Newsroom, chat: ChatServer
) -> None:
    await newsroom.publish(0)
    edit_path = f"{DESK}/messages/{await alert_id(newsroom)}"
    chat.script(edit_path, [404])
    await newsroom.publish(1)
    await newsroom.publish(2)
    assert chat.edits(DESK) == []
    assert len(chat.attempts(edit_path)) == 1  # tried once, then never again
    # The channel is not broken: a new event still alerts there.
    newsroom.clock.now += timedelta(hours=40)
    await newsroom.publish(3)
    assert len(chat.received(DESK)) == 2


async def test_discord_refusing_more_edits_turns_updates_into_follow_ups(
    newsroom: Newsroom, chat: ChatServer
) -> None:
    await newsroom.publish(0)
    limit = {"message": "Maximum number of edits to messages older than 1 hour", "code": 30046}
    chat.script(f"{DESK}/messages/{await alert_id(newsroom)}", [Reply(400, body=limit)])
    await newsroom.publish(1)
    [_, follow_up] = chat.received(DESK)
    assert "1 more report on" in _texts([follow_up])
    assert chat.edits(DESK) == []


async def test_a_kill_between_the_edit_and_its_record_repeats_the_edit_only(
    newsroom: Newsroom, chat: ChatServer
) -> None:
    await newsroom.publish(0)
    edit_path = f"{DESK}/messages/{await alert_id(newsroom)}"
    chat.script(edit_path, [Reply(200, delay=1.0)])  # Discord applies it, then answers late
    newsroom.clock.now += timedelta(minutes=5)
    newsroom.published["sky"].append(
        Item(REPORTS[1][1], "https://sky.example/1", published=newsroom.clock.now)
    )
    newsroom.feeds.set_feed("/sky.xml", rss_feed("sky", newsroom.published["sky"]))
    await newsroom.runtime.poller.poll_all(newsroom.runtime.settings.feeds)
    sending = asyncio.create_task(newsroom.deliver())
    # The edit has reached Discord (the stand-in records it before its late answer) …
    assert await asyncio.to_thread(wait_for, lambda: chat.attempts(edit_path), 10.0)
    sending.cancel()  # … and the process dies before recording it
    with contextlib.suppress(asyncio.CancelledError):
        await sending
    newsroom.clock.now += timedelta(minutes=2)  # the dead sender's lease runs out
    await newsroom.deliver()
    edits = chat.edits(DESK)
    assert len(edits) == 2  # the same edit again: harmless, the alert shows the same state
    assert edits[0].body == edits[1].body
    assert len(chat.received(DESK)) == 1  # and never a second alert
