"""`poll` asks Parliament about open party watches after delivering, and not at all when
`[parliament] enabled = false`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import poll_once
from bot.config import ParliamentSettings, PollingSettings, Settings, WebhookSettings, load_settings
from bot.domain import FeedSource
from tests.support.chat_server import ChatServer
from tests.support.feed_server import FeedServerThread
from tests.support.members_api import MembersApiServer, SampleMember, Spell
from tests.support.rss import Item, rss_feed

DESK = "/discord/desk"
CONFIRMED = "Confirmed by Parliament"
LEIGH = 345  # Edward Leigh, a sitting Conservative MP in the packaged register


def leigh(*spells: Spell) -> SampleMember:
    return SampleMember(LEIGH, "Edward Leigh", "commons", "Gainsborough", list(spells))


@pytest.fixture
async def api() -> AsyncIterator[MembersApiServer]:
    async with MembersApiServer([leigh(Spell("Conservative", "1983-06-09"))]) as server:
        yield server


def settings_for(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer, api: MembersApiServer
) -> Settings:
    base = load_settings(None, env={"DIVISION_BELL_DATA": str(tmp_path)})
    published = datetime.now(UTC) - timedelta(minutes=5)
    item = Item(
        "Tory MP Edward Leigh defects to Reform UK", "https://bbc.example/1", published=published
    )
    feeds.set_feed("/bbc.xml", rss_feed("bbc", [item]))
    return replace(
        base,
        feeds=(FeedSource("bbc", feeds.url("/bbc.xml"), outlet="BBC"),),
        webhooks=(WebhookSettings("discord", chat.url(DESK), None, "desk"),),
        console=False,
        polling=PollingSettings(timeout=2, max_bytes=200_000, jitter=0),
        parliament=ParliamentSettings(members_api=api.url(), timeout=2),
    )


def moved_today() -> SampleMember:
    today = datetime.now(UTC).date().isoformat()
    return leigh(Spell("Conservative", "1983-06-09", today), Spell("Reform UK", today))


async def test_poll_confirms_a_recorded_move_on_a_later_poll(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer, api: MembersApiServer
) -> None:
    settings = settings_for(tmp_path, feeds, chat, api)
    assert await poll_once(settings) == 0
    assert len(chat.received(DESK)) == 1
    assert api.history_requests() == [[LEIGH]]  # after the alert went out
    assert chat.edits(DESK) == []

    api.set_members([moved_today()])
    assert await poll_once(settings) == 0
    [edit] = chat.edits(DESK)
    assert CONFIRMED in str(edit.body)
    assert "Edward Leigh joined Reform UK" in str(edit.body)


async def test_poll_delivers_on_time_while_the_api_is_down(
    tmp_path: Path,
    feeds: FeedServerThread,
    chat: ChatServer,
    api: MembersApiServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    api.fault = ("status", {"status": 500})
    caplog.set_level(logging.WARNING)
    assert await poll_once(settings_for(tmp_path, feeds, chat, api)) == 0
    assert len(chat.received(DESK)) == 1
    assert len(api.history_requests()) == 1
    assert [r.name for r in caplog.records if "Members/History" in r.getMessage()] == [
        "bot.delivery.confirm"
    ]


async def test_enabled_false_asks_parliament_nothing(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer, api: MembersApiServer
) -> None:
    settings = settings_for(tmp_path, feeds, chat, api)
    settings = replace(settings, parliament=replace(settings.parliament, enabled=False))
    api.set_members([moved_today()])
    assert await poll_once(settings) == 0
    assert await poll_once(settings) == 0
    assert len(chat.received(DESK)) == 1
    assert api.requests == []
    assert chat.edits(DESK) == []
