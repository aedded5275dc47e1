"""A digest as Slack blocks (and their fallback text) and as console lines."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.config import DisplaySettings
from bot.transports.console import console_text
from bot.transports.slack.format import slack_webhook_payload
from bot.transports.text import text_len
from tests.transports.digest_data import digest, hostile_digest, huge_digest

QUIET_SPAN = "<!date^1709762400^{time}|22:00 UTC>–<!date^1709794800^{time}|07:00 UTC>"
PINGS = ("<!channel>", "<!here>", "<!everyone>", "<!subteam", "<@", "@everyone", "@here")


def texts_of(payload: dict[str, Any]) -> list[str]:
    """Every text Slack counts against its limits: the fallback, sections, context elements."""
    found = [payload["text"]]
    for block in payload["blocks"]:
        if "text" in block:
            found.append(block["text"]["text"])
        found += [element["text"] for element in block.get("elements", [])]
    return found


def within_slack_limits(payload: dict[str, Any]) -> None:
    assert len(payload["blocks"]) <= 50
    assert all(0 < text_len(text) <= 3000 for text in texts_of(payload))


def test_slack_lists_each_event_in_a_section_of_its_own() -> None:
    payload = slack_webhook_payload(digest("quiet"))
    heading, *events = [block["text"]["text"] for block in payload["blocks"]]
    assert heading == f"*🌙 While quiet hours were on ({QUIET_SPAN}): 3 events*"
    assert events == [
        "🔀 *<https://news.example/defection|Tory MP Jane Marchmont defects to Labour>*\n"
        "Defection · 6 reports · BBC News, The Guardian, Sky News",
        "⚖️ *<https://news.example/privileges|Johnson misled Parliament, Privileges Committee "
        "finds>*\n"
        "Standards, Elections · 4 reports (more since the alert) · The Telegraph, BBC News",
        "🗳️ *<https://news.example/by-election|By-election called in Somewhere North>*\n"
        "Elections · 1 report · PoliticsHome",
    ]
    assert all(block["text"]["verbatim"] is True for block in payload["blocks"])
    # The fallback (notifications; all Mattermost and Rocket.Chat show) carries the listing too.
    assert payload["text"] == "\n".join([heading, *events])
    assert payload["unfurl_links"] is False
    assert payload["unfurl_media"] is False
    within_slack_limits(payload)


@pytest.mark.parametrize(
    ("reason", "part", "parts", "expected"),
    [
        ("digest", 1, 1, f"*🗞️ Westminster digest · {QUIET_SPAN} · 3 events*"),
        ("muted", 1, 1, f"*🔕 While this channel was muted ({QUIET_SPAN}): 3 events*"),
        ("digest", 1, 2, f"*🗞️ Westminster digest · {QUIET_SPAN} (1/2)*"),
        ("quiet", 2, 2, f"*🌙 While quiet hours were on ({QUIET_SPAN}) (continued, 2/2)*"),
    ],
)
def test_slack_heading_per_reason_and_part(
    reason: str, part: int, parts: int, expected: str
) -> None:
    payload = slack_webhook_payload(digest(reason, part=part, parts=parts))
    assert payload["blocks"][0]["text"]["text"] == expected
    assert payload["text"].startswith(expected + "\n")


def test_a_period_of_days_shows_dates_on_slack() -> None:
    heading = slack_webhook_payload(huge_digest(1))["blocks"][0]["text"]["text"]
    assert "<!date^1709503200^{date_short} {time}|03 Mar 22:00 UTC>–" in heading


def test_ten_huge_events_all_fit_within_slacks_limits() -> None:
    payload = slack_webhook_payload(huge_digest(10))
    within_slack_limits(payload)
    assert len(payload["blocks"]) == 11  # the heading and every event
    assert "more events" not in json.dumps(payload)


def test_more_events_than_blocks_end_with_and_n_more() -> None:
    payload = slack_webhook_payload(huge_digest(60))
    within_slack_limits(payload)
    blocks = payload["blocks"]
    assert len(blocks) == 50
    assert blocks[-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "and 12 more events", "verbatim": True}],
    }
    assert payload["text"].split("\n")[-1].endswith(" more events")


def test_hostile_text_is_inert_on_slack() -> None:
    payload = slack_webhook_payload(hostile_digest())
    sent = json.dumps(payload, ensure_ascii=False)
    for ping in PINGS:
        assert ping not in sent
    assert "<https://evil.example" not in sent
    assert "<javascript" not in sent
    assert "](" not in sent  # Mattermost would read a Markdown link there
    assert "*bold*" not in sent
    within_slack_limits(payload)


def test_the_console_prints_the_heading_then_each_event() -> None:
    text = console_text(digest("quiet"), DisplaySettings("Europe/London"))
    assert text.split("\n") == [
        "🌙 While quiet hours were on (22:00–07:00 GMT): 3 events",
        "  • 🔀 Tory MP Jane Marchmont defects to Labour",
        "    https://news.example/defection",
        "    Defection · 6 reports · BBC News, The Guardian, Sky News",
        "  • ⚖️ Johnson misled Parliament, Privileges Committee finds",
        "    https://news.example/privileges",
        "    Standards, Elections · 4 reports (more since the alert) · The Telegraph, BBC News",
        "  • 🗳️ By-election called in Somewhere North",
        "    https://news.example/by-election",
        "    Elections · 1 report · PoliticsHome",
    ]


def test_the_console_names_each_zone_across_a_clock_change() -> None:
    # The clocks went forward at 01:00 UTC on 31 March 2024.
    spring = digest(
        "digest",
        since=datetime(2024, 3, 30, 23, 0, tzinfo=UTC),
        until=datetime(2024, 3, 31, 7, 0, tzinfo=UTC),
        part=2,
        parts=2,
    )
    first = console_text(spring, DisplaySettings("Europe/London")).split("\n")[0]
    assert first == "🗞️ Westminster digest · 23:00 GMT–08:00 BST (continued, 2/2)"
    assert console_text(spring).split("\n")[0].startswith("🗞️ Westminster digest · 23:00–07:00 UTC")


def test_the_console_drops_terminal_escapes_from_feed_text() -> None:
    item = replace(digest().items[0], title="\x1b[31mRed\x1b[0m alert\x07", outlets=("\x1b[2J",))
    text = console_text(digest(items=(item,)))
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "  • 🔀 [31mRed[0m alert" in text
