"""/westminster settings, watch, mute and unmute on Slack: signed commands through the service's
HTTP app, replies at the response_url stand-in, over a real store."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.domain import ChannelControl
from bot.store import destinations as dest_store
from bot.transports.slack.control import split_except
from tests.support.slack_data import MEMBER, TEAM_ID
from tests.transports.slack.helpers import HttpClient, Rig, run_command

REFUSED = "Sorry, you can't change alerts here."


def shown(reply: dict[str, Any]) -> str:
    """A reply's text as Slack shows it: the zero-width spaces that defuse markup gone."""
    return str(reply["text"]).replace("\u200b", "")


async def control(rig: Rig, channel: str = "C0POLITICS") -> ChannelControl | None:
    found = await dest_store.find_destination(rig.db.conn, f"slack:{TEAM_ID}:{channel}")
    return None if found is None else found.control


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (("22:00-07:00",), (["22:00-07:00"], None)),
        (("22:00-07:00", "except", "defection,", "pmqs"), (["22:00-07:00"], "defection, pmqs")),
        (("off", "except:defection", "pmqs"), (["off"], "defection pmqs")),
        (("off", "EXCEPT:", "none"), (["off"], "none")),
        (("exceptional",), (["exceptional"], None)),
    ],
)
def test_except_is_found_however_it_is_written(
    words: tuple[str, ...], expected: tuple[list[str], str | None]
) -> None:
    assert split_except(words) == expected


async def test_quiet_hours_from_the_issues_example(rig: Rig, http: HttpClient) -> None:
    reply = await run_command(rig, http, "settings quiet 22:00-07:00 except defection")
    assert shown(reply) == (
        "Quiet hours 22:00–07:00 Europe/London in #politics; 🔀 Defection still alerts at once. "
        "Alerts in those hours are held and come as one message when they end."
    )
    assert reply["response_type"] == "in_channel"
    assert await control(rig) == ChannelControl("22:00-07:00", ("defection",))
    settings = await run_command(rig, http, "settings", user=MEMBER)
    assert settings["response_type"] == "ephemeral"
    assert "• Quiet hours: 22:00–07:00 Europe/London; 🔀 Defection still alerts" in shown(settings)
    off = await run_command(rig, http, "settings quiet off")
    assert shown(off) == "Quiet hours off in #politics: alerts come at once again."


async def test_digest_floor_and_zone_for_another_channel(rig: Rig, http: HttpClient) -> None:
    digest = await run_command(
        rig, http, "settings digest 08:00 18:00 except: breaking <#C0LOBBY|lobby>"
    )
    assert shown(digest).startswith(
        "Digest at 08:00 and 18:00 Europe/London in #lobby; breaking news still alerts at once."
    )
    await run_command(rig, http, "settings min-reports 2 <#C0LOBBY|lobby>")
    zone = await run_command(rig, http, "settings timezone America/New_York <#C0LOBBY|lobby>")
    assert shown(zone).startswith("Time zone of #lobby: America/New_York.")
    assert await control(rig, "C0LOBBY") == ChannelControl(
        timezone="America/New_York",
        digest=("08:00", "18:00"),
        digest_except=("breaking",),
        min_reports=2,
    )
    assert await control(rig) is None
    listing = await run_command(rig, http, "list", user=MEMBER)
    assert "• #lobby: digest 08:00 and 18:00 (breaking at once) · alerts at 2 outlets" in (
        shown(listing)
    )


async def test_members_may_read_but_not_change(rig: Rig, http: HttpClient) -> None:
    for text in (
        "settings quiet 22:00-07:00",
        "settings digest hourly",
        "settings min-reports 3",
        "settings timezone Europe/Paris",
        "watch add Reform UK",
        "watch remove Reform UK",
        "mute 1h",
        "unmute",
    ):
        reply = await run_command(rig, http, text, user=MEMBER)
        assert shown(reply).startswith(REFUSED), text
    assert await control(rig) is None
    asked = len(rig.slack.calls("users.info"))
    for text in ("settings", "settings show", "watch", "watch list"):
        reply = await run_command(rig, http, text, user=MEMBER)
        assert not shown(reply).startswith(REFUSED), text
    assert len(rig.slack.calls("users.info")) == asked  # reading asks Slack nothing


async def test_watch_add_list_remove(rig: Rig, http: HttpClient) -> None:
    added = await run_command(rig, http, "watch add angela rayner")
    assert shown(added).startswith("Watching “Angela Rayner” in #politics (1 of 50 terms)")
    await run_command(rig, http, "watch add Rwanda bill")
    listed = await run_command(rig, http, "watch list", user=MEMBER)
    assert shown(listed) == "#politics watches (2 of 50):\n• Angela Rayner\n• Rwanda bill"
    gone = await run_command(rig, http, "watch remove rwanda BILL")
    assert shown(gone) == "Stopped watching “Rwanda bill” in #politics."
    assert await control(rig) == ChannelControl(watch=("Angela Rayner",))


async def test_mute_and_unmute(rig: Rig, http: HttpClient) -> None:
    muted = await run_command(rig, http, "mute 1h 30m")
    assert shown(muted).startswith("Muted #politics for 1 hour 30 minutes, until 13:30 GMT:")
    found = await control(rig)
    assert found is not None
    assert found.muted_until == rig.clock() + timedelta(minutes=90)
    unmuted = await run_command(rig, http, "unmute")
    assert shown(unmuted) == "Unmuted #politics: alerts come as usual again."
    assert await control(rig) == ChannelControl()


async def test_wrong_shapes_get_their_usage(rig: Rig, http: HttpClient) -> None:
    for text, start in (
        ("settings quiet", "Usage: /westminster settings [#channel] to see them"),
        ("settings loud 22:00", "Usage: /westminster settings [#channel] to see them"),
        ("watch add", "Usage: /westminster watch add|remove"),
        ("watch forget Rayner", "Usage: /westminster watch add|remove"),
        ("mute", "Usage: /westminster mute &lt;\u206030m|2h|1d&gt; [#channel]"),
        ("settings quiet 7pm", "Expected quiet hours like"),
        ("settings min-reports 0", "Expected 1 to 20 outlets, got 0."),
        ("mute 1 week", "Expected a duration like 30m, 2h or 1d"),
        ("settings quiet off #lobby", "I can't tell what #lobby is."),
    ):
        reply = await run_command(rig, http, text)
        assert shown(reply).startswith(start), (text, shown(reply))
    help_text = (await run_command(rig, http, "help", user=MEMBER))["text"]
    assert "• settings [quiet|digest|min-reports|timezone …] [#channel]" in help_text
    assert "• mute &lt;\u206030m|2h|1d&gt; [#channel] / unmute [#channel]" in help_text
