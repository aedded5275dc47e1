"""A grown event and a follow-up as each format renders them: what shows, what stays inert."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.config import DisplaySettings
from bot.transports.console import console_text
from bot.transports.discord.format import discord_embed, discord_webhook_payload
from bot.transports.slack.format import slack_blocks, slack_text, slack_webhook_payload
from bot.transports.text import text_len
from tests.support.chat_server import _problem
from tests.transports.events_data import (
    FIRST,
    STANDARDS,
    alert,
    event,
    follow_up,
    hostile_event,
    huge_event,
)

FIRST_TS = int(FIRST.timestamp())
LAST_TS = FIRST_TS + 30 * 60  # the fourth report, thirty minutes on
PINGS = ("@everyone", "@here", "<@&", "<!channel>", "<!here>", "<!everyone>")


def texts(value: Any) -> list[str]:
    """Every string in a JSON-like payload."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in texts(v)]
    return []


def fields(embed: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in embed["fields"]}


def embed_total(embed: dict[str, Any]) -> int:
    parts = [embed.get("title", ""), embed.get("description", ""), embed["footer"]["text"]]
    parts += [f["name"] for f in embed["fields"]] + [f["value"] for f in embed["fields"]]
    return sum(text_len(p) for p in parts)


# --- nothing changes for an alert that is still one report ---


@pytest.mark.parametrize("state", [None, event(1)])
def test_an_alert_of_one_report_renders_as_before(state: Any) -> None:
    plain = alert(None, also_reported_by=("The Guardian",))
    same = replace(plain, event=state)
    assert discord_embed(same) == discord_embed(plain)
    assert slack_webhook_payload(same) == slack_webhook_payload(plain)
    assert console_text(same) == console_text(plain)
    assert fields(discord_embed(plain))["Also reported by"] == "The Guardian"
    assert "Also reported by The Guardian" in texts(slack_blocks(plain))


# --- Discord ---


def test_discord_shows_count_outlets_times_and_the_latest_linked() -> None:
    embed = discord_embed(alert(event(4), also_reported_by=("The Guardian",)))
    shown = fields(embed)
    coverage = shown["Coverage"]
    assert coverage.startswith("4 reports · BBC News, The Guardian, The Telegraph\n")
    assert f"First report <t:{FIRST_TS}:t>" in coverage
    assert f"latest <t:{LAST_TS}:t>" in coverage
    lines = shown["Latest"].split("\n")
    assert len(lines) == 3
    assert lines[0] == (
        "• [Report 3 on the committee's finding](https://news.example/report-3)"
        f" — BBC News · <t:{LAST_TS}:t>"
    )
    assert "Also reported by" not in shown  # the coverage names every outlet
    assert not embed["title"].startswith("🚨")
    assert "Continues" not in shown
    assert embed["description"].startswith("The committee said")


def test_discord_marks_breaking_and_names_the_event_a_development_continues() -> None:
    embed = discord_embed(alert(event(4, breaking=True, continues="Partygate inquiry opens")))
    assert embed["title"].startswith("🚨 Breaking · ⚖️ Standards: Johnson misled")
    assert fields(embed)["Continues"] == "Partygate inquiry opens"


def test_discord_event_text_cannot_ping_or_inject_markup() -> None:
    payload = discord_webhook_payload(alert(hostile_event()))
    for text in texts(payload["embeds"]):
        assert "@everyone" not in text
        assert "@here" not in text
        assert "<@&" not in text
        assert "](https://evil" not in text
    assert payload["allowed_mentions"] == {"parse": []}
    assert "content" not in payload
    assert "\\*bold\\*" in fields(payload["embeds"][0])["Latest"]


def test_discord_stays_within_limits_with_200_reports_and_huge_titles() -> None:
    payload = discord_webhook_payload(alert(huge_event(), title="T" * 5000, summary="S" * 9000))
    [embed] = payload["embeds"]
    assert _problem("discord", payload) is None
    assert text_len(embed["title"]) <= 256
    assert all(text_len(v) <= 1024 for v in fields(embed).values())
    assert embed_total(embed) <= 6000
    assert text_len(embed["description"]) <= 4096
    coverage = fields(embed)["Coverage"]
    assert coverage.startswith("200 reports · Outlet number 0")
    assert coverage.endswith(f"latest <t:{FIRST_TS + 199 * 600}:t>")
    # The latest headlines give way first: the summary keeps its opening.
    assert text_len(embed["description"]) >= 500


def test_discord_cuts_the_latest_headlines_before_the_summary_when_every_field_is_full() -> None:
    labels = tuple(replace(STANDARDS, label="L" * 60 + str(n)) for n in range(30))
    crowded = alert(
        huge_event(),
        title="T" * 5000,
        summary="S" * 9000,
        outlet="O" * 3000,
        evidence=tuple("E" * 300 for _ in range(10)),
        categories=labels,
    )
    embed = discord_embed(crowded)
    assert embed_total(embed) <= 6000
    latest = fields(embed)["Latest"]
    assert 0 < text_len(latest) < 1000  # cut, not dropped
    assert text_len(embed["description"]) >= 500


def test_discord_follow_up_names_the_event_and_lists_the_newest() -> None:
    payload = discord_webhook_payload(follow_up(3))
    [embed] = payload["embeds"]
    assert (
        embed["title"]
        == "📰 3 more reports on Johnson misled Parliament, Privileges Committee finds"
    )
    assert embed["url"] == "https://news.example/report-0"
    lines = embed["description"].split("\n")
    assert len(lines) == 3
    assert lines[0].startswith(
        "• [Report 3 on the committee's finding](https://news.example/report-3)"
    )
    assert payload["allowed_mentions"] == {"parse": []}
    assert "content" not in payload
    assert discord_webhook_payload(follow_up(1))["embeds"][0]["title"].startswith(
        "📰 1 more report on"
    )


def test_discord_follow_up_of_hostile_reports_stays_inert_and_within_limits() -> None:
    hostile = follow_up(3, latest=hostile_event().latest, title="@everyone " * 100)
    payload = discord_webhook_payload(hostile)
    assert _problem("discord", payload) is None
    for text in texts(payload["embeds"]):
        assert "@everyone" not in text
        assert "<@&" not in text
    huge = follow_up(200, latest=huge_event().latest, title="T" * 5000)
    assert _problem("discord", discord_webhook_payload(huge)) is None


# --- Slack (bot and Slack-format webhooks share the payload) ---


def test_slack_shows_count_outlets_times_and_the_latest_linked() -> None:
    payload = slack_webhook_payload(alert(event(4), also_reported_by=("The Guardian",)))
    blocks = payload["blocks"]
    coverage, latest = blocks[2]["text"]["text"], blocks[3]["text"]["text"]
    assert coverage.startswith("*4 reports* · BBC News, The Guardian, The Telegraph\n")
    assert f"First report <!date^{FIRST_TS}^{{time}}|12:00 UTC>" in coverage
    assert f"latest <!date^{LAST_TS}^{{time}}|12:30 UTC>" in coverage
    lines = latest.split("\n")
    assert lines[0] == "*Latest*"
    assert lines[1] == (
        "• <https://news.example/report-3|Report 3 on the committee's finding>"
        f" — BBC News · <!date^{LAST_TS}^{{time}}|12:30 UTC>"
    )
    assert len(lines) == 4
    assert not any("Also reported by" in t for t in texts(blocks))
    # Mattermost and Rocket.Chat read only the text: the event is there too.
    assert "*4 reports* · BBC News, The Guardian, The Telegraph" in payload["text"]
    assert "https://news.example/report-3" in payload["text"]


def test_slack_marks_breaking_and_continues() -> None:
    state = event(4, breaking=True, continues="Partygate inquiry opens")
    blocks = slack_blocks(alert(state))
    assert blocks[0]["text"]["text"].startswith("🚨 *Breaking* · ⚖️ Standards: <https://")
    assert blocks[2]["text"]["text"].startswith("↪ Continues: Partygate inquiry opens\n")
    assert slack_text(alert(state)).startswith("🚨 *Breaking*")


def test_slack_event_text_cannot_ping_or_inject_markup() -> None:
    payload = slack_webhook_payload(alert(hostile_event()))
    for text in [payload["text"], *texts(payload["blocks"])]:
        for ping in PINGS:
            assert ping not in text
        assert "@channel" not in text  # Mattermost pings on the bare word
        assert "](" not in text
    assert "<!" not in payload["text"].replace("<!date^", "")


def test_slack_stays_within_limits_with_200_reports_and_huge_titles() -> None:
    payload = slack_webhook_payload(alert(huge_event(), title="T" * 5000, summary="S" * 9000))
    assert _problem("slack", payload) is None
    assert all(text_len(t) <= 3000 for t in texts(payload["blocks"]))
    assert len(payload["blocks"]) <= 50
    assert text_len(payload["text"]) <= 3000
    assert payload["blocks"][2]["text"]["text"].startswith("↪ Continues: Very long headline")
    assert "*200 reports* · Outlet number 0" in payload["blocks"][2]["text"]["text"]


def test_slack_follow_up_has_blocks_and_fallback_text() -> None:
    payload = slack_webhook_payload(follow_up(3))
    heading = payload["blocks"][0]["text"]["text"]
    assert heading == (
        "📰 3 more reports on <https://news.example/report-0|"
        "Johnson misled Parliament, Privileges Committee finds>"
    )
    listing = payload["blocks"][1]["text"]["text"].split("\n")
    assert len(listing) == 3
    assert listing[0].startswith("• <https://news.example/report-3|Report 3 on the committee")
    assert payload["text"].startswith(heading + "\n• <https://news.example/report-3|")
    assert payload["unfurl_links"] is False


def test_slack_follow_up_of_hostile_or_huge_reports_is_inert_and_within_limits() -> None:
    hostile = slack_webhook_payload(follow_up(3, latest=hostile_event().latest, title="<!channel>"))
    for text in [hostile["text"], *texts(hostile["blocks"])]:
        for ping in PINGS:
            assert ping not in text
    huge = slack_webhook_payload(follow_up(200, latest=huge_event().latest, title="T" * 9000))
    assert _problem("slack", huge) is None
    assert text_len(huge["text"]) <= 3000


# --- console ---


def test_console_shows_the_event_in_the_display_time_zone() -> None:
    state = event(4, breaking=True, continues="Partygate inquiry opens")
    text = console_text(alert(state), DisplaySettings("Europe/Paris"))
    lines = text.split("\n")
    assert lines[0].startswith("🚨 Breaking · ⚖️ Standards: Johnson misled")
    assert "  Continues: Partygate inquiry opens" in lines
    assert "  4 reports · BBC News, The Guardian, The Telegraph" in lines
    assert "  First report 06 Mar 13:00 CET · latest 06 Mar 13:30 CET" in lines
    assert "    • Report 3 on the committee's finding — BBC News · 06 Mar 13:30 CET" in lines
    assert "      https://news.example/report-3" in lines


def test_console_follow_up() -> None:
    lines = console_text(follow_up(3)).split("\n")
    assert lines[0] == "📰 3 more reports on Johnson misled Parliament, Privileges Committee finds"
    assert lines[1] == "  https://news.example/report-0"
    assert lines[2] == "    • Report 3 on the committee's finding — BBC News · 06 Mar 12:30 UTC"
    assert len([line for line in lines if line.startswith("    • ")]) == 3


def test_console_drops_control_characters_from_event_text() -> None:
    state = event(4, latest=(replace(event(4).latest[0], title="bad\x1b[31m red\x07"),))
    text = console_text(alert(state))
    assert "\x1b" not in text
    assert "\x07" not in text
