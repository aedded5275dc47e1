"""Hostile feed text, through the real pipeline, checked in what each platform RECEIVES.

One feed carries every trick at once: mass and targeted pings in Discord, Slack and Mattermost
syntax, markdown links to javascript:, bidi overrides and zero-width characters, a 100 KB title.
The Discord bot, the Slack app and both webhook formats must each get five inert alerts.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import open_runtime
from bot.config import Secrets, WebhookSettings
from tests.reliability import documents as docs
from tests.reliability.delivery import Clock, drain, settings_for, subscribe
from tests.reliability.figures import Row, record
from tests.support.chat_server import ChatServer
from tests.support.discord_api import TOKEN, DiscordAPI
from tests.support.feed_server import FeedServerThread
from tests.support.rss import Item, rss_feed
from tests.support.slack_api import SlackApi
from tests.support.slack_data import BOT_TOKEN

CHANNEL = "2000000000000000301"
MENTIONS = "@everyone @here <@&123456789012345678> <@123456789012345678> <!channel> <!here>"
SLACK = "<!everyone> <@U0ADMIN> <!subteam^S0ABC|@team> @channel @all @here"
LINKS = "[click](javascript:alert(1)) [site](https://evil.example/x) <javascript:alert(2)|go>"
HIDDEN = "\u202egnp.exe\u202c \u200bzero\u200bwidth\u200b \u2066iso\u2069 \u200e\u200f \ufeff"


def hostile_items() -> list[Item]:
    names = ("Arkwright", "Bellamy", "Crowther", "Dunmore", "Everett")
    tricks = (MENTIONS, SLACK, LINKS, HIDDEN, "A" * 100_000)
    items = []
    for index, (name, trick) in enumerate(zip(names, tricks, strict=True)):
        item = docs.defection("hostile", index)
        item.title = f"Tory MP {name} defects to Labour {trick}"
        item.summary = f"{trick} **bold** ||spoiler|| `code` > quote # heading {trick}"
        items.append(item)
    items[2].link = "https://news.example/a)b|c>d<e"  # must not close a markdown or Slack link
    return items


def strings(value: Any) -> Iterator[str]:
    """Every string anywhere in a JSON body."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


BIDI_AND_INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\ufeff\u061c]")


def check_discord(body: dict[str, Any]) -> None:
    """Nothing in a Discord message may ping, link to javascript:, or hide text."""
    assert body["allowed_mentions"]["parse"] == []
    assert not body["allowed_mentions"].get("roles")
    assert not body["allowed_mentions"].get("users")
    assert not body.get("content")  # no subscription asked for a role mention
    for text in strings(body["embeds"]):
        assert not re.search(r"@(everyone|here)", text), text[:200]
        assert "<@" not in text  # every "<" is followed by a zero-width space
        assert not re.search(r"(?<!\\)\]\(", text)  # no unescaped markdown link
        assert "javascript:" not in text.replace("javascript:alert", "")
        assert not BIDI_AND_INVISIBLE.search(text)


def check_slack(body: dict[str, Any]) -> None:
    """Nothing in a Slack (or Mattermost) message may ping, link anywhere odd, or hide text."""
    for text in strings({k: v for k, v in body.items() if k in ("text", "blocks")}):
        for token in re.findall(r"<([^<>]*)>", text):
            assert token.startswith(("http://", "https://", "!date^")), token
        assert not re.search(r"@(channel|here|all|everyone)\b", text), text[:200]
        assert "](" not in text  # Mattermost would read a markdown link
        assert not BIDI_AND_INVISIBLE.search(text)


@pytest.fixture
async def discord_api() -> AsyncIterator[DiscordAPI]:
    async with DiscordAPI() as server:
        yield server


@pytest.fixture
async def slack_api() -> AsyncIterator[SlackApi]:
    async with SlackApi() as server:
        yield server


async def test_hostile_feed_text_arrives_inert_on_every_platform(
    tmp_path: Path,
    feeds: FeedServerThread,
    chat: ChatServer,
    discord_api: DiscordAPI,
    slack_api: SlackApi,
) -> None:
    feeds.set_feed("/hostile.xml", rss_feed("Hostile @everyone <!channel>", hostile_items()))
    hooks = [
        WebhookSettings("discord", chat.url("/discord/hostile"), None, "discord hook"),
        WebhookSettings("slack", chat.url("/slack/hostile"), None, "slack hook"),
    ]
    clock = Clock()
    settings = settings_for(
        tmp_path,
        feeds.url("/hostile.xml"),
        webhooks=hooks,
        secrets=Secrets(discord_token=TOKEN, slack_bot_token=BOT_TOKEN),
        discord_base=discord_api.api_base,
        slack_base=slack_api.api_base,
    )
    async with open_runtime(settings, clock=clock) as runtime:
        for transport in runtime.transports:
            await transport.open_rest()
        await subscribe(runtime, "discord", [CHANNEL])
        await subscribe(runtime, "slack", ["C0HOSTILE"])
        [polled] = await runtime.poller.poll_all(settings.feeds)
        assert polled.alerts == 5
        await drain(runtime, clock)

    received = {
        "Discord bot": discord_api.messages(CHANNEL),
        "Discord webhook": chat.received("/discord/hostile"),
        "Slack app": slack_api.posts("C0HOSTILE"),
        "Slack webhook": chat.received("/slack/hostile"),
    }
    for receiver, bodies in received.items():
        # Five each: every one within the platform's limits (the stand-ins refuse otherwise).
        assert len(bodies) == 5, receiver
        for body in bodies:
            blocks = body.get("blocks")
            if isinstance(blocks, str):  # the Web API client form-encodes blocks as JSON
                blocks = json.loads(blocks)
            (check_discord if receiver.startswith("Discord") else check_slack)(
                body | {"blocks": blocks} if blocks is not None else body
            )
        record(
            Row(
                "hostile input",
                f"feed text → {receiver}",
                0,
                note="5 alerts: no ping, no javascript: link, no bidi/zero-width, 100 KB cut",
            )
        )
