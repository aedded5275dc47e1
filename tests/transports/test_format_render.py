"""Stage 6 rendering: what each payload carries, its limits, overflow notices and the console."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta, timezone

import pytest

from bot.domain import OverflowItem
from bot.transports.console import console_text
from bot.transports.discord.format import discord_embed, discord_webhook_payload
from bot.transports.slack.format import slack_blocks, slack_text, slack_webhook_payload
from bot.transports.text import listing
from tests.transports.test_format import (
    BIG,
    DEFECTION,
    LETTERS,
    WHEN,
    make_alert,
    overflow,
    slack_texts,
    units,
)

# --- limits ---


@pytest.mark.parametrize(
    "text", [BIG, "🔀" * 40_000, "*" * 50_000, "&<>" * 20_000, "x" * 100_000], ids=str
)
def test_discord_limits_hold(text: str) -> None:
    alert = make_alert(
        title=text,
        summary=text,
        outlet=text,
        evidence=(text,) * 30,
        also_reported_by=(text,) * 30,
        categories=(DEFECTION, LETTERS),
    )
    embed = discord_embed(alert)
    assert units(embed["title"]) <= 256
    assert units(embed["description"]) <= 4096
    assert len(embed["fields"]) <= 25
    for field in embed["fields"]:
        assert 0 < units(field["value"]) <= 1024
        assert units(field["name"]) <= 256
    total = units(embed["title"]) + units(embed["description"]) + units(embed["footer"]["text"])
    total += sum(units(f["name"]) + units(f["value"]) for f in embed["fields"])
    assert total <= 6000
    assert embed["description"].endswith("…")
    assert embed["title"].endswith("…")


@pytest.mark.parametrize("text", [BIG, "🔀" * 40_000, "&<>" * 20_000, "_" * 50_000], ids=str)
def test_slack_limits_hold(text: str) -> None:
    alert = make_alert(
        title=text,
        summary=text,
        outlet=text,
        evidence=(text,) * 30,
        also_reported_by=(text,) * 30,
        mention="S0123ABCD",
    )
    payload = slack_webhook_payload(alert)
    assert len(payload["blocks"]) <= 50
    for value in slack_texts(payload):
        assert units(value) <= 3000
    for block in payload["blocks"]:
        assert len(block.get("elements", [])) <= 10


def test_overflow_limits_hold_with_huge_titles_and_links() -> None:
    message = overflow(40, title=BIG, link="https://example.com/" + "p" * 1900 + "/")
    embed = discord_webhook_payload(message)["embeds"][0]
    assert units(embed["title"]) <= 256
    assert units(embed["description"]) <= 4096
    for value in slack_texts(slack_webhook_payload(message)):
        assert units(value) <= 3000


# --- content ---


def test_discord_embed_content() -> None:
    embed = discord_embed(make_alert(categories=(DEFECTION, LETTERS)))
    assert embed["title"] == "🔀 Defection: Tory MP defects to Labour"
    assert embed["url"] == "https://www.bbc.co.uk/news/uk-politics-1"
    assert embed["description"] == "The MP for Somewhere has crossed the floor."
    assert embed["color"] == 0xE67E22
    assert embed["footer"] == {"text": "Division Bell"}
    assert embed["timestamp"] == "2025-03-14T09:30:00+00:00"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields == {
        "Outlet": "BBC News",
        "Categories": "🔀 Defection, ✉️ Letters",
        "Why": '• title: "defects to Labour"',
        "Also reported by": "The Guardian, Sky News",
    }


def test_discord_embed_omits_empty_parts() -> None:
    embed = discord_embed(make_alert(summary="", evidence=(), also_reported_by=(), link=""))
    assert "description" not in embed
    assert "url" not in embed
    assert [f["name"] for f in embed["fields"]] == ["Outlet"]


def test_timestamps_are_utc_whatever_the_input_zone() -> None:
    local = WHEN.astimezone(timezone(timedelta(hours=1)))
    alert = make_alert(published=local)
    assert discord_embed(alert)["timestamp"] == "2025-03-14T09:30:00+00:00"
    context = slack_blocks(alert)[-1]["elements"]
    epoch = int(WHEN.timestamp())
    expected = f"<!date^{epoch}^{{date_short_pretty}} {{time}}|14 Mar 2025 09:30 UTC>"
    assert context[1]["text"] == expected
    assert "2025-03-14 09:30 UTC" in console_text(alert)


LINKED_TITLE = "<https://www.bbc.co.uk/news/uk-politics-1|Tory MP defects to Labour>"


def test_slack_blocks_content() -> None:
    blocks = slack_blocks(make_alert())
    assert [b["type"] for b in blocks] == ["section", "section", "context"]
    assert blocks[0]["text"] == {
        "type": "mrkdwn",
        "text": f"🔀 Defection: {LINKED_TITLE}",
        "verbatim": True,
    }
    assert blocks[1]["text"]["text"] == "The MP for Somewhere has crossed the floor."
    context = [e["text"] for e in blocks[2]["elements"]]
    assert context[0] == "🔀 BBC News"
    assert context[2] == 'Why: title: "defects to Labour"'
    assert context[3] == "Also reported by The Guardian, Sky News"
    text = slack_text(make_alert())
    assert text == f"🔀 Defection: {LINKED_TITLE} — BBC News"


def test_overflow_rendering() -> None:
    message = overflow(15)
    unsafe = OverflowItem("Bad link", "javascript:alert(1)", "letters")
    message = replace(message, items=(unsafe, *message.items))
    payload = discord_webhook_payload(message)
    (embed,) = payload["embeds"]
    assert embed["title"] == "📰 16 more headlines from BBC News"
    lines = embed["description"].split("\n")
    assert lines[0] == "• Bad link — letters"
    assert lines[1] == "• [Headline 0](https://example.com/0) — pmqs"
    assert len(lines) == 11
    assert lines[-1] == "and 6 more"
    assert payload["allowed_mentions"] == {"parse": []}

    slack = slack_webhook_payload(message)
    assert slack["text"].startswith("📰 16 more headlines from BBC News\n• Bad link")
    listing = slack["blocks"][1]["text"]["text"].split("\n")
    assert listing[0] == "• Bad link — letters"
    assert listing[1] == "• <https://example.com/0|Headline 0> — pmqs"
    assert listing[-1] == "and 6 more"

    console = console_text(message).splitlines()
    assert console[0] == "📰 16 more headlines from BBC News"
    assert "  • Headline 0 [pmqs]" in console
    assert "    https://example.com/0" in console
    assert console[-1] == "  and 6 more"


def test_empty_overflow_renders_a_heading_only() -> None:
    embed = discord_webhook_payload(overflow(0))["embeds"][0]
    assert embed["title"] == "📰 0 more headlines from BBC News"
    assert "description" not in embed
    assert len(slack_webhook_payload(overflow(0))["blocks"]) == 1


def test_overflow_of_one_has_no_more_line() -> None:
    embed = discord_webhook_payload(overflow(1))["embeds"][0]
    assert embed["title"] == "📰 1 more headline from BBC News"
    assert "more" not in embed["description"]


def test_console_text_content() -> None:
    text = console_text(make_alert(categories=(DEFECTION, LETTERS)))
    assert text.splitlines() == [
        "🔀 Defection: Tory MP defects to Labour",
        "  https://www.bbc.co.uk/news/uk-politics-1",
        "  BBC News · 2025-03-14 09:30 UTC",
        "  Categories: Defection, Letters",
        '  Why: title: "defects to Labour"',
        "  Also reported by: The Guardian, Sky News",
    ]


def test_alert_without_categories_still_renders() -> None:
    alert = make_alert(categories=())
    assert discord_embed(alert)["title"].startswith("🔔 Alert: ")
    assert slack_text(alert).startswith("🔔 Alert: ")
    assert console_text(alert).startswith("🔔 Alert: ")


# --- a title that starts with the category's own label ---

PMQS = replace(DEFECTION, name="pmqs", label="PMQs", emoji="🎙️")


@pytest.mark.parametrize(
    ("title", "heading", "shown"),
    [
        ("PMQs: Starmer tells Johnson to resign", "🎙️ PMQs: ", "Starmer tells Johnson to resign"),
        (
            "pmqs - Sunak and Starmer clash on the NHS",
            "🎙️ PMQs: ",
            "Sunak and Starmer clash on the NHS",
        ),
        ("PMQs – live", "🎙️ PMQs: ", "live"),
        # The title already opens with the label in its own words: shown whole, label not added.
        ("PMQs live: Starmer and Sunak clash", "🎙️ ", "PMQs live: Starmer and Sunak clash"),
        ("PMQs-style clash at the Senedd", "🎙️ ", "PMQs-style clash at the Senedd"),
        ("PMQs:", "🎙️ PMQs: ", "PMQs:"),  # nothing after the label: the title stays as it is
        ("Who won PMQs: verdict", "🎙️ PMQs: ", "Who won PMQs: verdict"),
        ("PMQsters unite", "🎙️ PMQs: ", "PMQsters unite"),  # another word, not the label
    ],
)
def test_the_label_is_not_repeated_after_the_heading(title: str, heading: str, shown: str) -> None:
    alert = make_alert(title=title, categories=(PMQS,))
    assert discord_embed(alert)["title"] == f"{heading}{shown}"
    assert f"{heading}<https://www.bbc.co.uk/news/uk-politics-1|{shown}>" in slack_text(alert)
    assert console_text(alert).splitlines()[0] == f"{heading}{shown}"


def test_listing_keeps_what_fits_and_counts_the_rest() -> None:
    lines = ["a" * 10, "b" * 10, "c" * 10]
    assert listing(lines, 3, budget=21) == ["a" * 10, "b" * 10, "and 1 more"]  # 10 + 1 + 10
    assert listing(lines, 3, budget=20) == ["a" * 10, "and 2 more"]
    assert listing(lines, 3, budget=32) == lines  # everything fits: no "more" line
    assert listing(lines[:2], 15, budget=100) == ["a" * 10, "b" * 10, "and 13 more"]
    assert listing(["🔀" * 5], 1, budget=9) == ["and 1 more"]  # counted in UTF-16 units
