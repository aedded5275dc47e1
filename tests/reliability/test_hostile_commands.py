"""Hostile slash commands on Discord and Slack: SQL metacharacters, overlong options, callers
without permission on every command that changes state, forged Slack signatures.

Each test starts from a real subscription, so "nothing changed" is a claim about live state.
The basic refusals are also covered by the transport tests (conftest marks those `reliability`
too); these add hostile values, existing state, and what the platforms receive.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import discord
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.commands import REFUSAL, Commands
from bot.pipeline.classify import Classifier
from bot.store import destinations as dest_store
from bot.store.connection import Database
from bot.transports.discord.transport import DiscordTransport
from tests.reliability.figures import Row, record
from tests.support.discord_api import TOKEN, DiscordAPI
from tests.support.slack_api import SlackApi
from tests.support.slack_data import ADMIN, MEMBER, TEAM_ID
from tests.transports.discord.payloads import (
    EPHEMERAL,
    GUILD,
    HERE,
    MANAGE,
    OTHER,
    channel_option,
    interaction_payload,
    option,
    role_option,
)
from tests.transports.discord.payloads import (
    MEMBER as MEMBER_RIGHTS,
)
from tests.transports.slack.helpers import (
    HttpClient,
    Rig,
    open_rig,
    run_command,
    signed_headers,
    slash_payload,
)

SQL = [
    "defection'; DROP TABLE subscriptions; --",
    "' OR '1'='1",
    'all" OR 1=1; DELETE FROM outbox; --',
    "pmqs) UNION SELECT key FROM destinations --",
]
OVERLONG = "x" * 100_000
PING = "@everyone <@&123456789012345678> <!channel>"
TABLES = {"feeds", "headlines", "stories", "destinations", "subscriptions", "outbox"}


async def tables(db: Database) -> set[str]:
    async with db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cursor:
        return {row[0] for row in await cursor.fetchall()}


async def subscriptions(db: Database, platform: str, scope: str) -> list[tuple[str, str]]:
    rows = await dest_store.scope_subscriptions(db.conn, platform, scope)
    return sorted((row.key, row.category) for row in rows)


# --- Discord -------------------------------------------------------------------------------------


@pytest.fixture
async def discord_rig(tmp_path: Path) -> AsyncIterator[tuple[DiscordAPI, Database, Any]]:
    """The real transport logged in to the stand-in, and a way to dispatch interactions."""
    async with DiscordAPI() as api:
        db = await Database.open(tmp_path / "db.sqlite3")
        commands = Commands(db, Classifier.load().categories)
        bot = DiscordTransport(token=TOKEN, api_base=api.api_base, db=db, commands=commands)
        await bot.open_rest()

        async def invoke(payload: dict[str, Any]) -> None:
            interaction: discord.Interaction[Any] = discord.Interaction(
                data=payload,  # type: ignore[arg-type]
                state=bot.client._connection,
            )
            await bot.client.tree._call(interaction)

        try:
            yield api, db, invoke
        finally:
            await bot.stop()
            await db.close()


def shown(text: str) -> str:
    """Message text as Discord shows it: markdown escapes and zero-width spaces gone."""
    return re.sub(r"\\(.)", r"\1", text).replace("\u200b", "")


def discord_replies(api: DiscordAPI) -> list[tuple[str, bool]]:
    return [
        (body["content"], bool(body.get("flags", 0) & EPHEMERAL))
        for body in api.responses()
        if body.get("content") is not None
    ]


async def test_discord_members_cannot_change_anything_and_hostile_options_change_nothing(
    discord_rig: tuple[DiscordAPI, Database, Callable[[dict[str, Any]], Awaitable[None]]],
) -> None:
    api, db, invoke = discord_rig
    await invoke(interaction_payload("subscribe", option("category", "pmqs"), rights=MANAGE))
    before = await subscriptions(db, "discord", GUILD)
    assert before == [(f"discord:{HERE}", "pmqs")]
    # Every command that changes state, by a member who may not manage the channel.
    refused = [
        interaction_payload("subscribe", option("category", "defection")),
        interaction_payload("subscribe", role_option("3000000000000000009")),
        interaction_payload("unsubscribe"),
        interaction_payload("unsubscribe", option("category", "pmqs")),
        interaction_payload("test"),
        # Managing this channel is no right over another one.
        interaction_payload(
            "subscribe", channel_option(OTHER, "cabinet", MEMBER_RIGHTS), rights=MANAGE
        ),
        interaction_payload(
            "unsubscribe", channel_option(OTHER, "cabinet", MEMBER_RIGHTS), rights=MANAGE
        ),
    ]
    for payload in refused:
        await invoke(payload)
    answers = [(shown(text), private) for text, private in discord_replies(api)[1:]]
    assert answers == [(REFUSAL, True)] * len(refused)
    assert api.messages(HERE) == []
    assert api.messages(OTHER) == []
    # Hostile option values from a manager: plain sentences, nothing run, nothing changed.
    hostile = [*SQL, OVERLONG, PING]
    for value in hostile:
        await invoke(interaction_payload("subscribe", option("category", value), rights=MANAGE))
        await invoke(interaction_payload("unsubscribe", option("category", value), rights=MANAGE))
        await invoke(interaction_payload("latest", option("category", value)))
        await invoke(interaction_payload("why", option("url", f"https://x.example/?q={value}")))
    hostile_answers = discord_replies(api)[1 + len(refused) :]
    assert len(hostile_answers) == 4 * len(hostile)
    for text, _ in hostile_answers:
        assert len(text) <= 2000
        assert "Traceback" not in text
        assert "wrong on my side" not in text
        assert not re.search(r"@(everyone|here)", text)
        assert "<@" not in text
        assert "<!" not in text
    assert await subscriptions(db, "discord", GUILD) == before
    assert await tables(db) >= TABLES
    record(
        Row(
            "access (Discord)",
            "members on subscribe/unsubscribe/test, other channel",
            0,
            note=f"{len(refused)} refused, ephemeral; state unchanged",
        )
    )
    record(
        Row(
            "input (Discord)",
            "SQL metacharacters, 100 KB, pings in options",
            0,
            note=f"{len(hostile_answers)} plain replies ≤ 2000 chars; state unchanged",
        )
    )


# --- Slack ---------------------------------------------------------------------------------------


@pytest.fixture
async def slack_rig(tmp_path: Path) -> AsyncIterator[tuple[Rig, HttpClient]]:
    """The Slack app in HTTP mode, signed in to the stand-in, and a client for /slack/events."""
    async with SlackApi() as slack:
        rig = await open_rig(tmp_path / "slack", slack)
        await rig.transport.open_rest()
        try:
            async with TestClient(TestServer(rig.http_app)) as client:
                yield rig, client
        finally:
            await rig.transport.stop()
            await rig.db.close()


async def test_slack_members_cannot_change_anything_and_hostile_text_changes_nothing(
    slack_rig: tuple[Rig, HttpClient],
) -> None:
    rig, http = slack_rig
    await run_command(rig, http, "subscribe pmqs")
    before = await subscriptions(rig.db, "slack", TEAM_ID)
    assert before == [(f"slack:{TEAM_ID}:C0POLITICS", "pmqs")]
    refused = [
        "subscribe defection",
        "subscribe <#C0LOBBY|lobby> <!subteam^S0WHIPS|@whips>",
        "unsubscribe",
        "unsubscribe pmqs <#C0POLITICS|politics>",
        "test",
        "test <#C0LOBBY|lobby>",
    ]
    for text in refused:
        reply = await run_command(rig, http, text, user=MEMBER)
        assert (reply["text"], reply["response_type"]) == (REFUSAL, "ephemeral")
    assert rig.slack.calls("chat.postMessage") == []
    hostile = [*SQL, OVERLONG, PING]
    answers = []
    for value in hostile:
        for verb in ("subscribe", "unsubscribe", "latest", "why"):
            answers.append(await run_command(rig, http, f"{verb} {value}", user=ADMIN))
    for reply in answers:
        assert len(reply["text"]) <= 3000
        assert "wrong" not in reply["text"]
        for token in re.findall(r"<([^<>]*)>", reply["text"]):
            assert token.startswith(("http://", "https://")), token
    assert await subscriptions(rig.db, "slack", TEAM_ID) == before
    assert await tables(rig.db) >= TABLES
    record(
        Row(
            "access (Slack)",
            "members on subscribe/unsubscribe/test, other channel",
            0,
            note=f"{len(refused)} refused, ephemeral; state unchanged",
        )
    )
    record(
        Row(
            "input (Slack)",
            "SQL metacharacters, 100 KB, pings in command text",
            0,
            note=f"{len(answers)} plain replies ≤ 3000 chars; state unchanged",
        )
    )


async def test_forged_slack_requests_change_nothing(slack_rig: tuple[Rig, HttpClient]) -> None:
    rig, http = slack_rig
    url, name = rig.next_response_url()
    body = urlencode(slash_payload("subscribe defection", url, user=ADMIN))
    listed = urlencode(slash_payload("list", url, user=ADMIN))
    forged = {
        "wrong secret": signed_headers(body, secret="guessed-signing-secret"),
        "replayed after 10 minutes": signed_headers(body, age=600),
        "body swapped under a valid signature": signed_headers(listed),
        "no signature": {"Content-Type": "application/x-www-form-urlencoded"},
        "signature from the future": signed_headers(body, age=-600),
    }
    for headers in forged.values():
        answer = await http.post("/slack/events", data=body, headers=headers)
        assert answer.status == 401
    assert rig.slack.replies(name) == []
    assert rig.slack.calls("users.info") == []  # nothing ran, not even the permission check
    assert await subscriptions(rig.db, "slack", TEAM_ID) == []
    record(
        Row(
            "access (Slack)",
            "forged signatures: " + "; ".join(forged),
            0,
            note="401 each; nothing ran",
        )
    )
