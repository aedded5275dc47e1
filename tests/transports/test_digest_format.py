"""A digest's shared wording, and its Discord embed: headings, events, limits, hostile text;
and how many events a message lists on every platform."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.transports.console import console_text
from bot.transports.digest import EVENTS_PER_MESSAGE, heading, part_note
from bot.transports.discord.format import discord_webhook_payload
from bot.transports.slack.format import slack_webhook_payload
from bot.transports.text import text_len
from tests.transports.digest_data import digest, hostile_digest, huge_digest

QUIET_SPAN = "🕘 <t:1709762400:t>–<t:1709794800:t>"  # 22:00 and 07:00 UTC


def embed_of(payload: dict[str, Any]) -> dict[str, Any]:
    [embed] = payload["embeds"]
    assert isinstance(embed, dict)
    return embed


def within_discord_limits(embed: dict[str, Any]) -> None:
    """Every documented embed limit: title 256, description 4096, fields 1024, total 6000."""
    title, description = embed.get("title", ""), embed.get("description", "")
    fields = embed.get("fields", [])
    assert text_len(title) <= 256
    assert text_len(description) <= 4096
    assert all(text_len(f["value"]) <= 1024 and text_len(f["name"]) <= 256 for f in fields)
    parts = [title, description, embed["footer"]["text"]]
    parts += [f["name"] for f in fields] + [f["value"] for f in fields]
    assert sum(text_len(p) for p in parts) <= 6000


@pytest.mark.parametrize(
    ("reason", "with_span", "without_span"),
    [
        (
            "digest",
            "🗞️ Westminster digest · 08:00–18:00 · 3 events",
            "🗞️ Westminster digest · 3 events",
        ),
        (
            "quiet",
            "🌙 While quiet hours were on (08:00–18:00): 3 events",
            "🌙 While quiet hours were on: 3 events",
        ),
        (
            "muted",
            "🔕 While this channel was muted (08:00–18:00): 3 events",
            "🔕 While this channel was muted: 3 events",
        ),
    ],
)
def test_the_heading_says_why_the_events_come_together(
    reason: str, with_span: str, without_span: str
) -> None:
    assert heading(digest(reason), "08:00–18:00") == with_span
    assert heading(digest(reason), None) == without_span


def test_one_event_is_counted_in_the_singular() -> None:
    one = digest("quiet", items=digest().items[:1])
    assert heading(one, None) == "🌙 While quiet hours were on: 1 event"


def test_a_split_digest_names_its_part_instead_of_a_count() -> None:
    assert part_note(digest()) == ""
    assert part_note(digest(part=1, parts=3)) == " (1/3)"
    assert part_note(digest(part=2, parts=3)) == " (continued, 2/3)"
    assert heading(digest("digest", part=3, parts=3), "08:00–18:00") == (
        "🗞️ Westminster digest · 08:00–18:00 (continued, 3/3)"
    )
    assert heading(digest("quiet", part=2, parts=2), None) == (
        "🌙 While quiet hours were on (continued, 2/2)"
    )


def test_discord_lists_each_event_linked_with_categories_reports_and_outlets() -> None:
    payload = discord_webhook_payload(digest("quiet"))
    embed = embed_of(payload)
    assert embed["title"] == "🌙 While quiet hours were on: 3 events"
    span, *events = embed["description"].split("\n\n")
    assert span == QUIET_SPAN  # each reader sees their own time zone
    assert events == [
        "🔀 **[Tory MP Jane Marchmont defects to Labour](https://news.example/defection)**\n"
        "Defection · 6 reports · BBC News, The Guardian, Sky News",
        "⚖️ **[Johnson misled Parliament, Privileges Committee finds]"
        "(https://news.example/privileges)**\n"
        "Standards, Elections · 4 reports (more since the alert) · The Telegraph, BBC News",
        "🗳️ **[By-election called in Somewhere North](https://news.example/by-election)**\n"
        "Elections · 1 report · PoliticsHome",
    ]
    assert embed["timestamp"] == "2024-03-07T07:00:00+00:00"
    assert embed["footer"] == {"text": "Division Bell"}
    assert "url" not in embed
    within_discord_limits(embed)


@pytest.mark.parametrize(
    ("reason", "title"),
    [
        ("digest", "🗞️ Westminster digest · 3 events"),
        ("muted", "🔕 While this channel was muted: 3 events"),
    ],
)
def test_discord_heading_per_reason(reason: str, title: str) -> None:
    assert embed_of(discord_webhook_payload(digest(reason)))["title"] == title


def test_discord_says_continued_on_later_parts() -> None:
    embed = embed_of(discord_webhook_payload(digest("digest", part=2, parts=3)))
    assert embed["title"] == "🗞️ Westminster digest (continued, 2/3)"


def test_a_period_of_days_shows_dates_on_discord() -> None:
    embed = embed_of(discord_webhook_payload(huge_digest(1)))
    assert embed["description"].startswith("🕘 <t:1709503200:f>–<t:1709794800:f>\n\n")


def test_a_digest_pings_nobody_on_discord() -> None:
    payload = discord_webhook_payload(digest())
    assert payload["allowed_mentions"] == {"parse": []}
    assert "content" not in payload
    assert payload["username"] == "Division Bell"


def test_ten_huge_events_all_fit_within_discords_limits() -> None:
    embed = embed_of(discord_webhook_payload(huge_digest(10)))
    within_discord_limits(embed)
    events = embed["description"].split("\n\n")[1:]
    assert len(events) == 10  # every event shown, each title cut to its share
    assert all(e.startswith("🔀 ") and "…" in e.split("\n")[0] for e in events)
    assert "more events" not in embed["description"]
    # Links of 1800 characters cannot fit ten times over: the titles stand unlinked.
    assert "https://news.example/aaa" not in embed["description"]


def test_more_events_than_fit_end_with_and_n_more() -> None:
    embed = embed_of(discord_webhook_payload(huge_digest(60)))
    within_discord_limits(embed)
    lines = embed["description"].split("\n\n")
    assert lines[-1].startswith("and ")
    assert lines[-1].endswith(" more events")
    shown = len(lines) - 2
    assert shown >= 10
    assert int(lines[-1].split()[1]) == 60 - shown


def test_hostile_text_is_inert_on_discord() -> None:
    payload = discord_webhook_payload(hostile_digest())
    embed = embed_of(payload)
    text = embed["title"] + embed["description"]
    for ping in ("@everyone", "@here", "<@&123456>", "<@42>", "<!channel>"):
        assert ping not in text
    assert "](https://evil.example" not in text  # no masked link of the feed's own
    assert "*bold*" not in text
    assert "(javascript" not in text  # an unsafe link is shown as a plain title
    assert "https://news.example/x%29%20%5By%5D%28https://evil.example" in text
    assert payload["allowed_mentions"] == {"parse": []}


def test_a_part_of_twenty_huge_events_lists_every_one_on_every_platform() -> None:
    full = huge_digest(EVENTS_PER_MESSAGE)
    embed = embed_of(discord_webhook_payload(full))
    within_discord_limits(embed)
    slack = slack_webhook_payload(full)
    assert len(slack["blocks"]) == 1 + EVENTS_PER_MESSAGE
    console = console_text(full)
    for text in (embed["description"], slack["text"], console):
        assert "more event" not in text
        assert text.count("🔀 ") == EVENTS_PER_MESSAGE  # each event's emoji, once
        assert f"{EVENTS_PER_MESSAGE - 1} Very long headline" in text
    # One more, and the last is counted rather than dropped.
    over = embed_of(discord_webhook_payload(huge_digest(EVENTS_PER_MESSAGE + 1)))
    assert over["description"].endswith("\n\nand 1 more event")


def test_a_title_without_a_safe_link_is_shown_bold_and_unlinked() -> None:
    item = replace(digest().items[0], link="javascript:alert(1)")
    one = digest(items=(item,))
    description = embed_of(discord_webhook_payload(one))["description"]
    assert "🔀 **Tory MP Jane Marchmont defects to Labour**\nDefection · 6 reports" in description
    section = slack_webhook_payload(one)["blocks"][1]["text"]["text"]
    assert section.startswith("🔀 *Tory MP Jane Marchmont defects to Labour*\n")
    assert "javascript" not in description + section
