"""The settings of a small newsroom for whole-pipeline tests: a few outlets' feeds on the feed
server, a Discord-format and a Slack-format webhook on the chat stand-in, every update at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bot.config import EventsSettings, PollingSettings, Settings, WebhookSettings, load_settings
from bot.domain import FeedSource
from tests.support.chat_server import ChatServer
from tests.support.feed_server import FeedServerThread
from tests.support.rss import rss_feed


def newsroom_settings(
    tmp_path: Path,
    feeds: FeedServerThread,
    chat: ChatServer,
    outlets: Sequence[str],
    *,
    desk: str,
    wire: str,
) -> Settings:
    """Empty feeds for each outlet (named in capitals), webhooks "desk" (Discord) and "wire"
    (Slack) at those paths, no console, and edits as soon as reports come."""
    base = load_settings(None, env={"DIVISION_BELL_DATA": str(tmp_path)})
    for outlet in outlets:
        feeds.set_feed(f"/{outlet}.xml", rss_feed(outlet, []))
    return replace(
        base,
        feeds=tuple(FeedSource(o, feeds.url(f"/{o}.xml"), outlet=o.upper()) for o in outlets),
        webhooks=(
            WebhookSettings("discord", chat.url(desk), None, "desk"),
            WebhookSettings("slack", chat.url(wire), None, "wire"),
        ),
        console=False,
        polling=PollingSettings(timeout=2, max_bytes=200_000, jitter=0),
        events=EventsSettings(edit_interval=0),
    )
