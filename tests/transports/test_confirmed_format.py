"""Every format shows "Confirmed by Parliament" once the event carries a confirmation, and only
then: on the alert (an embed field, a Slack block and fallback line, a console line) and as a
follow-up where the alert cannot be edited. Party names come from an outside API: kept inert."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.transports.console import console_text
from bot.transports.discord.format import discord_webhook_payload
from bot.transports.slack.format import slack_webhook_payload
from bot.transports.text import text_len
from tests.support.chat_server import _problem
from tests.transports.events_data import HOSTILE, alert, event, follow_up, huge_event
from tests.transports.test_event_format import PINGS, embed_total, fields, texts

CONFIRMED = "Confirmed by Parliament"
DETAIL = "Natalie Elphicke joined Labour (recorded 8 May 2024)"


def everything(message: Any) -> str:
    """All a message shows, in every format."""
    return "\n".join(
        [
            *texts(discord_webhook_payload(message)),
            *texts(slack_webhook_payload(message)),
            console_text(message),
        ]
    )


@pytest.mark.parametrize("state", [None, event(1), event(4), event(4, breaking=True)])
def test_nothing_says_confirmed_before_parliament_does(state: Any) -> None:
    assert CONFIRMED not in everything(alert(state))
    assert CONFIRMED not in everything(follow_up())


@pytest.mark.parametrize("reports", [1, 4])
def test_every_format_shows_the_confirmation_on_the_alert(reports: int) -> None:
    message = alert(event(reports, confirmed=DETAIL))
    [embed] = discord_webhook_payload(message)["embeds"]
    assert fields(embed)[f"✅ {CONFIRMED}"].replace("\\", "") == DETAIL
    assert ("Coverage" in fields(embed)) is (reports > 1)  # one report: no event block
    slack = slack_webhook_payload(message)
    line = f"✅ *{CONFIRMED}*: {DETAIL}"
    assert line in slack["text"]  # all Mattermost and Rocket.Chat show
    assert line in texts(slack["blocks"])
    assert f"  ✅ {CONFIRMED}: {DETAIL}" in console_text(message).splitlines()


def test_a_confirmation_follow_up_says_it_on_the_alert_s_title() -> None:
    message = follow_up(0, confirmed=DETAIL, latest=())
    [embed] = discord_webhook_payload(message)["embeds"]
    assert embed["title"].replace("\\", "") == f"✅ {CONFIRMED}: {DETAIL}"
    assert embed["url"] == message.link
    assert message.title in embed["description"]
    slack = slack_webhook_payload(message)
    assert slack["text"].startswith(f"✅ *{CONFIRMED}*: {DETAIL} — on <{message.link}|")
    assert "more report" not in everything(message)
    assert console_text(message).splitlines()[:2] == [
        f"✅ {CONFIRMED}: {DETAIL}",
        f"  on {message.title}",
    ]


def test_a_hostile_party_name_cannot_ping_and_everything_stays_within_limits() -> None:
    detail = f"Edward Leigh joined {HOSTILE * 20} (recorded 8 May 2024)"
    for message in (
        alert(replace(huge_event(), confirmed=detail), title="T" * 5000, summary="S" * 9000),
        follow_up(0, confirmed=detail, latest=(), title="T" * 5000),
    ):
        discord = discord_webhook_payload(message)
        slack = slack_webhook_payload(message)
        assert _problem("discord", discord) is None
        assert _problem("slack", slack) is None
        [embed] = discord["embeds"]
        assert embed_total({"fields": [], **embed}) <= 6000
        assert text_len(slack["text"]) <= 3000
        assert all(text_len(t) <= 3000 for t in texts(slack["blocks"]))
        for text in texts(discord["embeds"]):
            assert "@everyone" not in text
            assert "<@&" not in text
        for text in [slack["text"], *texts(slack["blocks"])]:
            assert not any(ping in text for ping in PINGS)
        assert CONFIRMED in everything(message)
