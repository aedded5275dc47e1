"""/westminster settings, watch, mute and unmute through the real CommandTree, against the
Discord stand-in, over a real store."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.commands import REFUSAL
from bot.domain import ChannelControl
from bot.store import destinations as dest_store
from bot.store.connection import Database
from bot.transports.discord.transport import DiscordTransport
from tests.support.discord_api import DiscordAPI
from tests.transports.discord.payloads import (
    HERE,
    MANAGE,
    MEMBER,
    OTHER,
    channel_option,
    group_payload,
    interaction_payload,
    option,
)
from tests.transports.discord.test_slash import replies

Invoke = Callable[[dict[str, Any]], Awaitable[Any]]


async def control(db: Database, channel: str = HERE) -> ChannelControl | None:
    found = await dest_store.find_destination(db.conn, f"discord:{channel}")
    return None if found is None else found.control


def focused(name: str, value: str) -> dict[str, Any]:
    return option(name, value) | {"focused": True}


async def test_sync_registers_the_settings_and_watch_groups(
    api: DiscordAPI, transport: DiscordTransport
) -> None:
    await transport.client.sync_commands(None)
    [group] = api.synced()
    subs = {s["name"]: s for s in group["options"]}
    assert (subs["settings"]["type"], subs["watch"]["type"]) == (2, 2)  # subcommand groups
    assert (subs["mute"]["type"], subs["unmute"]["type"]) == (1, 1)
    settings = {s["name"]: s for s in subs["settings"]["options"]}
    assert list(settings) == ["show", "quiet", "digest", "min-reports", "timezone"]
    hours, excepted, channel = settings["quiet"]["options"]
    assert (hours["name"], hours["required"], hours["autocomplete"]) == ("hours", True, True)
    assert (excepted["name"], excepted["required"], excepted["autocomplete"]) == (
        "except",
        False,
        True,
    )
    assert (channel["name"], channel["type"]) == ("channel", 7)
    [outlets, _] = settings["min-reports"]["options"]
    assert (outlets["type"], outlets["min_value"], outlets["max_value"]) == (4, 1, 20)
    [zone, _] = settings["timezone"]["options"]
    assert zone["autocomplete"] is True
    watch = {s["name"]: s for s in subs["watch"]["options"]}
    assert list(watch) == ["add", "remove", "list"]
    term = watch["add"]["options"][0]
    assert (term["name"], term["autocomplete"], term["min_length"]) == ("term", True, 2)
    [duration, _] = subs["mute"]["options"]
    assert (duration["name"], duration["required"]) == ("duration", True)


@pytest.mark.parametrize(
    ("group", "subcommand", "options"),
    [
        ("settings", "quiet", (option("hours", "22:00-07:00"),)),
        ("settings", "digest", (option("when", "hourly"),)),
        ("settings", "min-reports", (option("outlets", 2),)),
        ("settings", "timezone", (option("zone", "Europe/Paris"),)),
        ("watch", "add", (option("term", "Reform UK"),)),
        ("watch", "remove", (option("term", "Reform UK"),)),
        (None, "mute", (option("duration", "1h"),)),
        (None, "unmute", ()),
    ],
)
async def test_members_without_manage_channels_may_not_change_settings(
    api: DiscordAPI,
    db: Database,
    invoke: Invoke,
    group: str | None,
    subcommand: str,
    options: tuple[dict[str, Any], ...],
) -> None:
    if group is None:
        await invoke(interaction_payload(subcommand, *options, rights=MEMBER))
    else:
        await invoke(group_payload(group, subcommand, *options, rights=MEMBER))
    assert replies(api) == [(REFUSAL, True)]
    assert await control(db) is None


async def test_members_may_read_settings_and_watchlists(api: DiscordAPI, invoke: Invoke) -> None:
    await invoke(group_payload("settings", "show", rights=MEMBER))
    await invoke(group_payload("watch", "list", rights=MEMBER))
    shown, watched = replies(api)
    assert shown[0].startswith("Settings of #politics (change them with /westminster settings")
    assert "• Quiet hours: off" in shown[0]
    assert shown[1]  # only the caller sees it
    assert watched == (
        "#politics watches nothing yet. Add a person, party or phrase with /westminster watch add.",
        True,
    )


async def test_a_manager_sets_quiet_hours_digest_floor_and_zone(
    api: DiscordAPI, db: Database, invoke: Invoke
) -> None:
    quiet = (option("hours", "22:00-07:00"), option("except", "defection"))
    await invoke(group_payload("settings", "quiet", *quiet, rights=MANAGE))
    text, ephemeral = replies(api)[-1]
    assert text == (
        "Quiet hours 22:00–07:00 Europe/London in #politics; 🔀 Defection still alerts at once. "
        "Alerts in those hours are held and come as one message when they end."
    )
    assert not ephemeral  # the channel sees how its alerts change
    await invoke(group_payload("settings", "digest", option("when", "08:00,18:00"), rights=MANAGE))
    await invoke(group_payload("settings", "min-reports", option("outlets", 3), rights=MANAGE))
    zone = option("zone", "Europe/Dublin")
    await invoke(group_payload("settings", "timezone", zone, rights=MANAGE))
    assert await control(db) == ChannelControl(
        "22:00-07:00", ("defection",), "Europe/Dublin", ("08:00", "18:00"), min_reports=3
    )
    await invoke(group_payload("settings", "quiet", option("hours", "7pm"), rights=MANAGE))
    assert replies(api)[-1] == (
        "Expected quiet hours like \"22:00-07:00\" (start-end), got '7pm'.",
        True,
    )
    await invoke(group_payload("settings", "show", rights=MEMBER))
    shown, _ = replies(api)[-1]
    assert "• Digest: at 08:00 and 18:00 Europe/Dublin" in shown
    await invoke(interaction_payload("list", rights=MEMBER))
    listing, _ = replies(api)[-1]
    assert "• #politics: quiet 22:00–07:00 (defection at once) · digest 08:00 and 18:00" in listing


async def test_settings_of_another_channel_need_rights_there(
    api: DiscordAPI, db: Database, invoke: Invoke
) -> None:
    other = channel_option(OTHER, "announcements", MEMBER)
    await invoke(group_payload("settings", "quiet", option("hours", "off"), other, rights=MANAGE))
    assert replies(api)[-1] == (REFUSAL, True)
    other = channel_option(OTHER, "announcements", MANAGE)
    await invoke(group_payload("watch", "add", option("term", "Rwanda bill"), other))
    assert replies(api)[-1][0].startswith("Watching “Rwanda bill” in #announcements")
    assert await control(db, OTHER) == ChannelControl(watch=("Rwanda bill",))
    assert await control(db) is None


async def test_watch_add_autocompletes_people_and_remove_the_channels_terms(
    api: DiscordAPI, db: Database, invoke: Invoke
) -> None:
    await invoke(group_payload("watch", "add", focused("term", "rayner"), autocomplete=True))
    choices = api.responses()[-1]["choices"]
    assert choices[0]["value"] == "Angela Rayner"
    assert choices[0]["name"].startswith("Angela Rayner — ")
    assert len(choices) <= 25
    await invoke(group_payload("watch", "add", focused("term", "a"), autocomplete=True))
    assert len(api.responses()[-1]["choices"]) == 25
    for term in ("Angela Rayner", "Reform UK"):
        await invoke(group_payload("watch", "add", option("term", term), rights=MANAGE))
    await invoke(group_payload("watch", "remove", focused("term", "ref"), autocomplete=True))
    assert api.responses()[-1]["choices"] == [{"name": "Reform UK", "value": "Reform UK"}]
    await invoke(group_payload("watch", "remove", option("term", "reform uk"), rights=MANAGE))
    assert replies(api)[-1] == ("Stopped watching “Reform UK” in #politics.", False)
    assert await control(db) == ChannelControl(watch=("Angela Rayner",))


async def test_setting_autocompletes(api: DiscordAPI, invoke: Invoke) -> None:
    await invoke(group_payload("settings", "timezone", focused("zone", "dubl"), autocomplete=True))
    assert api.responses()[-1]["choices"] == [{"name": "Europe/Dublin", "value": "Europe/Dublin"}]
    excepted = (option("hours", "22:00-07:00"), focused("except", "defection,p"))
    await invoke(group_payload("settings", "quiet", *excepted, autocomplete=True))
    values = [c["value"] for c in api.responses()[-1]["choices"]]
    assert values == ["defection,pmqs"]
    when = focused("when", "")
    await invoke(group_payload("settings", "digest", when, autocomplete=True))
    values = [c["value"] for c in api.responses()[-1]["choices"]]
    assert values[:2] == ["off", "hourly"]


async def test_mute_and_unmute(api: DiscordAPI, db: Database, invoke: Invoke) -> None:
    await invoke(interaction_payload("mute", option("duration", "2h"), rights=MANAGE))
    text, ephemeral = replies(api)[-1]
    assert text.startswith("Muted #politics for 2 hours, until 14:00 GMT: alerts are held")
    assert not ephemeral
    found = await control(db)
    assert found is not None
    assert found.muted_until is not None
    await invoke(interaction_payload("mute", option("duration", "forever"), rights=MANAGE))
    assert replies(api)[-1][0].startswith("Expected a duration like 30m, 2h or 1d")
    await invoke(interaction_payload("unmute", rights=MANAGE))
    assert replies(api)[-1] == ("Unmuted #politics: alerts come as usual again.", False)
    assert await control(db) == ChannelControl()


async def test_settings_outside_a_server_say_so(api: DiscordAPI, invoke: Invoke) -> None:
    payload = group_payload("settings", "show")
    del payload["guild_id"]
    payload["user"] = payload.pop("member")["user"]
    payload["channel"] = {"id": HERE, "type": 1, "recipients": [payload["user"]]}
    await invoke(payload)
    assert replies(api) == [("These commands work only in a server.", True)]
