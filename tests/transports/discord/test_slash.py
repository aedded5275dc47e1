"""/westminster through the real CommandTree, with real Interactions, against the stand-in."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import discord
import pytest

from bot.commands import REFUSAL, Commands
from bot.store import destinations as dest_store
from bot.store.connection import Database
from bot.transports.discord.transport import DiscordTransport
from tests.support.discord_api import APP_ID, DiscordAPI
from tests.transports.discord.payloads import (
    EPHEMERAL,
    GUILD,
    HERE,
    MANAGE,
    MANAGER_ROLE,
    MEMBER,
    OTHER,
    ROLE,
    channel_option,
    interaction_payload,
    option,
    role_option,
)

Invoke = Callable[[dict[str, Any]], Awaitable[Any]]
READ_ONLY = [
    ("list", ()),
    ("categories", ()),
    ("latest", (option("category", "pmqs"), option("count", 3))),
    ("status", ()),
    ("why", (option("url", "https://news.example/never"),)),
]


def unescaped(text: str) -> str:
    """Message text as Discord shows it: markdown escapes and zero-width spaces gone."""
    return re.sub(r"\\(.)", r"\1", text).replace("\u200b", "")


def replies(api: DiscordAPI, *, raw: bool = False) -> list[tuple[str, bool]]:
    """(text as shown, ephemeral) of every interaction reply and follow-up that carried text."""
    found = []
    for body in api.responses():
        if body.get("content") is not None:
            text = body["content"] if raw else unescaped(body["content"])
            found.append((text, bool(body.get("flags", 0) & EPHEMERAL)))
    return found


async def subscriptions(db: Database) -> list[dest_store.SubscriptionRow]:
    return await dest_store.scope_subscriptions(db.conn, "discord", GUILD)


async def test_sync_registers_a_guild_only_group_open_to_everyone(
    api: DiscordAPI, transport: DiscordTransport
) -> None:
    await transport.client.sync_commands(None)
    [put] = api.calls("PUT")
    assert put.path == f"/applications/{APP_ID}/commands"
    [group] = api.synced()
    assert group["name"] == "westminster"
    assert group["type"] == 1
    # Guild-only, and no default_member_permissions: members must see the read-only commands.
    assert group["contexts"] == [0]
    assert group["dm_permission"] is False
    assert group["default_member_permissions"] is None
    subs = {s["name"]: s for s in group["options"]}
    assert set(subs) == {
        "subscribe",
        "unsubscribe",
        "updates",
        "list",
        "categories",
        "latest",
        "status",
        "why",
        "test",
        "mute",
        "unmute",
        "settings",
        "watch",
    }
    # Subcommands, and two subcommand groups (tested in test_control_slash).
    assert {s["type"] for n, s in subs.items() if n not in ("settings", "watch")} == {1}
    subscribe = {o["name"]: o for o in subs["subscribe"]["options"]}
    assert list(subscribe) == ["category", "channel", "mention", "recent"]
    assert subscribe["category"] == subscribe["category"] | {"type": 3, "autocomplete": True}
    assert subscribe["channel"]["type"] == 7
    assert subscribe["channel"]["channel_types"] == [0, 5]  # text and announcement channels
    assert subscribe["mention"]["type"] == 8
    assert subscribe["recent"]["type"] == 5  # boolean: catch up on the last 24 hours
    assert not any(o["required"] for o in subscribe.values())
    assert [o["name"] for o in subs["unsubscribe"]["options"]] == ["category", "channel"]
    count = {o["name"]: o for o in subs["latest"]["options"]}["count"]
    assert (count["type"], count["min_value"], count["max_value"]) == (4, 1, 10)
    [url] = subs["why"]["options"]
    assert url["required"] is True
    mode, channel = subs["updates"]["options"]
    assert (mode["name"], mode["type"], mode["required"]) == ("mode", 3, True)
    assert [c["value"] for c in mode["choices"]] == ["edit", "thread", "off"]
    assert (channel["name"], channel["type"], channel["required"]) == ("channel", 7, False)


async def test_dev_guild_sync_goes_to_that_guild_at_once(
    api: DiscordAPI, transport: DiscordTransport
) -> None:
    await transport.client.sync_commands(int(GUILD))
    [put] = api.calls("PUT")
    assert put.path == f"/applications/{APP_ID}/guilds/{GUILD}/commands"
    assert [c["name"] for c in put.body] == ["westminster"]


@pytest.mark.parametrize("subcommand", ["subscribe", "unsubscribe", "updates", "test"])
async def test_members_without_manage_channels_are_refused_politely(
    api: DiscordAPI, db: Database, invoke: Invoke, subcommand: str
) -> None:
    options = {
        "test": (),
        "updates": (option("mode", "thread"),),
    }.get(subcommand, (option("category", "pmqs"),))
    await invoke(interaction_payload(subcommand, *options))
    assert replies(api) == [(REFUSAL, True)]
    assert await subscriptions(db) == []
    assert api.messages(HERE) == []


async def test_read_only_commands_are_open_to_every_member(api: DiscordAPI, invoke: Invoke) -> None:
    for subcommand, options in READ_ONLY:
        await invoke(interaction_payload(subcommand, *options, rights=MEMBER))
    got = replies(api)
    assert len(got) == len(READ_ONLY)
    assert all(REFUSAL not in text and "wrong" not in text for text, _ in got)
    listing, categories, latest, status, why = (text for text, _ in got)
    assert "No channel here is subscribed" in listing
    assert "🔀 Defection (defection): A UK MP" in categories
    assert "Nothing has alerted yet" in latest
    assert "Alerts waiting to be sent: 0" in status
    assert "Never seen" in why


async def test_subscribe_then_list_shows_who_and_when(
    api: DiscordAPI, db: Database, invoke: Invoke
) -> None:
    await invoke(interaction_payload("subscribe", option("category", "defection"), rights=MANAGE))
    [(text, ephemeral)] = replies(api)
    assert text == "Subscribed #politics to 🔀 Defection."
    assert not ephemeral  # the channel sees that alerts are coming
    [row] = await subscriptions(db)
    assert (row.key, row.channel, row.category, row.mention) == (
        f"discord:{HERE}",
        HERE,
        "defection",
        None,
    )
    await invoke(interaction_payload("list"))
    listing, ephemeral = replies(api)[-1]
    assert "#politics: 🔀 Defection, by Ada on 06 Mar 2024" in listing
    assert ephemeral


async def test_a_manager_role_may_subscribe_without_manage_channels(
    api: DiscordAPI, db: Database, invoke: Invoke
) -> None:
    payload = interaction_payload("subscribe", rights=MEMBER, roles=(MANAGER_ROLE,))
    await invoke(payload)
    assert "Subscribed" in replies(api)[0][0]
    assert {r.category for r in await subscriptions(db)} == {
        "defection",
        "letters",
        "pmqs",
        "inquiry",
    }


async def test_permission_is_checked_in_the_target_channel(
    api: DiscordAPI, db: Database, invoke: Invoke
) -> None:
    # Manage Channels here but not in the target: refused.
    target = channel_option(OTHER, "announcements", MEMBER)
    await invoke(interaction_payload("subscribe", target, rights=MANAGE))
    assert replies(api)[-1] == (REFUSAL, True)
    # Manage Channels in the target only: allowed, and the target is what gets subscribed.
    target = channel_option(OTHER, "announcements", MANAGE)
    await invoke(
        interaction_payload("subscribe", option("category", "pmqs"), target, role_option(ROLE))
    )
    assert "Subscribed #announcements to 🎙️ PMQs (with a mention)" in replies(api)[-1][0]
    [row] = await subscriptions(db)
    assert (row.key, row.label, row.mention) == (f"discord:{OTHER}", "#announcements", ROLE)
    await invoke(interaction_payload("unsubscribe", target))
    assert "Unsubscribed #announcements from 🎙️ PMQs" in replies(api)[-1][0]
    assert await subscriptions(db) == []


async def test_bad_options_get_plain_sentences(
    api: DiscordAPI, db: Database, invoke: Invoke
) -> None:
    await invoke(interaction_payload("subscribe", option("category", "gossip"), rights=MANAGE))
    await invoke(interaction_payload("subscribe", role_option(GUILD, "@everyone"), rights=MANAGE))
    await invoke(interaction_payload("why", option("url", "javascript:alert(1)")))
    unknown, everyone, why = (text for text, _ in replies(api))
    assert unknown.startswith("Unknown category 'gossip'. Try one of: defection, letters")
    assert everyone == "Pick a role to mention, not @everyone."
    assert why == "That does not look like an http(s) link."
    assert await subscriptions(db) == []


async def test_a_crash_is_answered_with_a_sentence_not_a_traceback(
    api: DiscordAPI, db: Database, invoke: Invoke, caplog: pytest.LogCaptureFixture
) -> None:
    await db.conn.execute("DROP TABLE subscriptions")
    await invoke(interaction_payload("list"))
    [(text, ephemeral)] = replies(api)
    assert text.startswith("Sorry, something went wrong on my side.")
    assert "Traceback" not in text
    assert ephemeral
    assert "/westminster list failed" in caplog.text


async def test_subscribe_warns_when_the_bot_cannot_post_here(
    api: DiscordAPI, invoke: Invoke
) -> None:
    await invoke(interaction_payload("subscribe", rights=MANAGE, bot_rights=MEMBER))
    text, _ = replies(api)[-1]
    assert text.endswith(
        "Note: I can't post alerts here yet. Please give me Embed Links in this channel."
    )


async def test_names_and_feed_text_cannot_ping_or_format(api: DiscordAPI, invoke: Invoke) -> None:
    evil = ("6000000000000000009", "**Eve** @everyone [x](https://evil.example)")
    await invoke(interaction_payload("subscribe", rights=MANAGE, user=evil))
    await invoke(interaction_payload("list"))
    listing, _ = replies(api, raw=True)[-1]
    assert "by \\*\\*Eve\\*\\* @\u200beveryone \\[x\\]\\(https://evil.example\\)" in listing
    for body in api.responses():
        assert body.get("allowed_mentions", {"parse": []}) == {"parse": []}


async def test_category_autocomplete(api: DiscordAPI, invoke: Invoke) -> None:
    focused = option("category", "def") | {"focused": True}
    await invoke(interaction_payload("subscribe", focused, autocomplete=True))
    [body] = api.responses()
    assert body["choices"] == [{"name": "🔀 Defection", "value": "defection"}]
    focused = option("category", "") | {"focused": True}
    await invoke(interaction_payload("latest", focused, autocomplete=True))
    values = [c["value"] for c in api.responses()[-1]["choices"]]
    assert values == ["all", "defection", "letters", "pmqs", "inquiry"]


async def test_test_posts_a_sample_alert_here(
    api: DiscordAPI, invoke: Invoke, use_cases: Commands
) -> None:
    await invoke(interaction_payload("test", rights=MANAGE))
    [posted] = api.messages(HERE)
    assert posted["embeds"][0]["title"].startswith("🔀 Defection: Test alert from Division Bell")
    assert posted["allowed_mentions"] == {"parse": []}
    assert "content" not in posted or not posted["content"]
    assert replies(api) == [("Posted a test alert in #politics.", True)]
    # Lacking permission there, the admin is told so, plainly.
    api.fail(HERE, 403)
    await invoke(interaction_payload("test", rights=MANAGE))
    text, ephemeral = replies(api)[-1]
    assert text.startswith("I couldn't post the test alert in #politics: missing permission")
    assert ephemeral
    assert len(api.messages(HERE)) == 1


async def test_outside_a_server_the_commands_say_so(api: DiscordAPI, invoke: Invoke) -> None:
    payload = interaction_payload("list")
    del payload["guild_id"]
    payload["user"] = payload.pop("member")["user"]
    payload["channel"] = {"id": HERE, "type": 1, "recipients": [payload["user"]]}
    await invoke(payload)
    assert replies(api) == [("These commands work only in a server.", True)]


async def updates_mode(db: Database, channel: str = HERE) -> str | None:
    destination = await dest_store.find_destination(db.conn, f"discord:{channel}")
    return None if destination is None else destination.updates


async def test_updates_sets_a_subscribed_channels_mode_and_list_shows_it(
    api: DiscordAPI, db: Database, invoke: Invoke
) -> None:
    await invoke(interaction_payload("updates", option("mode", "thread"), rights=MANAGE))
    assert replies(api)[-1] == (
        "#politics is not subscribed to anything, so it has no alerts to update. "
        "Subscribe it first with /westminster subscribe.",
        True,
    )
    assert await updates_mode(db) is None
    await invoke(interaction_payload("subscribe", option("category", "pmqs"), rights=MANAGE))
    assert await updates_mode(db) == "edit"
    # A member may not change it, and the refusal changes nothing.
    await invoke(interaction_payload("updates", option("mode", "thread"), rights=MEMBER))
    assert replies(api)[-1] == (REFUSAL, True)
    assert await updates_mode(db) == "edit"
    await invoke(interaction_payload("updates", option("mode", "thread"), rights=MANAGE))
    text, ephemeral = replies(api)[-1]
    assert text.startswith(
        "From now on in #politics, later reports go in a thread under the event's alert.\n"
    )
    assert not ephemeral  # the channel sees how its alerts will change
    assert await updates_mode(db) == "thread"
    await invoke(interaction_payload("list", rights=MEMBER))
    listing, _ = replies(api)[-1]
    assert "• #politics: thread — later reports go in a thread under the event's alert" in listing
    # Another channel, picked in the option, with the caller's rights there.
    other = channel_option(OTHER, "announcements", MANAGE)
    await invoke(interaction_payload("subscribe", other, rights=MEMBER))
    await invoke(interaction_payload("updates", option("mode", "off"), other, rights=MEMBER))
    assert replies(api)[-1][0].startswith("From now on in #announcements, later reports are not")
    assert (await updates_mode(db, OTHER), await updates_mode(db)) == ("off", "thread")


async def test_updates_thread_says_which_thread_permissions_the_bot_lacks(
    api: DiscordAPI, invoke: Invoke
) -> None:
    await invoke(interaction_payload("subscribe", rights=MANAGE))
    await invoke(interaction_payload("updates", option("mode", "thread"), rights=MANAGE))
    text, _ = replies(api)[-1]
    assert text.endswith(
        "Note: to reply in threads here I need Create Public Threads and Send Messages in "
        "Threads in this channel."
    )
    threads = discord.Permissions(
        view_channel=True,
        send_messages=True,
        embed_links=True,
        create_public_threads=True,
        send_messages_in_threads=True,
    )
    await invoke(interaction_payload("updates", option("mode", "edit"), rights=MANAGE))
    await invoke(
        interaction_payload("updates", option("mode", "thread"), rights=MANAGE, bot_rights=threads)
    )
    assert "Note:" not in replies(api)[-1][0]
