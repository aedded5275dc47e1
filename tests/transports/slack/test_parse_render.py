"""Reading /westminster text and rendering replies: pure functions, table-driven."""

from __future__ import annotations

import pytest

from bot.commands import Link, Reply
from bot.transports.slack.parse import ChannelRef, Parsed, parse_command
from bot.transports.slack.render import render_reply, render_text

WJ = "\u2060"  # the word joiner escape_slack puts after "@" and "&lt;"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Parsed("")),
        ("  HELP  ", Parsed("help")),
        (
            "subscribe defection <#C0LOBBY|lobby> <!subteam^S0WHIPS|@whips>",
            Parsed(
                "subscribe",
                ("defection",),
                (ChannelRef("C0LOBBY", "lobby"),),
                ("S0WHIPS",),
            ),
        ),
        (
            "unsubscribe <#G0PRIVATE>",
            Parsed("unsubscribe", channels=(ChannelRef("G0PRIVATE", ""),)),
        ),
        ("latest pmqs 3", Parsed("latest", ("pmqs", "3"))),
        (
            "why <https://news.example/a?x=1&amp;y=2|news.example/a>",
            Parsed("why", links=("https://news.example/a?x=1&y=2",)),
        ),
        ("subscribe #lobby @whips", Parsed("subscribe", unknown=("#lobby", "@whips"))),
        (
            "subscribe <!here> <@U0BOB|bob>",
            Parsed("subscribe", unknown=("<!here>", "<@U0BOB|bob>")),
        ),
        ("why a&amp;b", Parsed("why", ("a&b",))),
    ],
)
def test_parse_command(text: str, expected: Parsed) -> None:
    assert parse_command(text) == expected


def test_numbers_and_names_are_told_apart() -> None:
    parsed = parse_command("latest 3 PMQs")
    assert parsed.number() == 3
    assert parsed.names() == ("pmqs",)
    assert parse_command("latest").number() is None


def test_reply_text_is_escaped_and_links_are_safe() -> None:
    reply = Reply(
        (
            ("🔀 ", Link("<!channel> *MP* defects", "https://news.example/a b"), " — BBC, @here"),
            (Link("click", "javascript:alert(1)"),),
            ("<https://evil.example|totally safe>",),
        )
    )
    text = render_text(reply)
    first, second, third = text.split("\n")
    assert first == (
        f"🔀 <https://news.example/a%20b|&lt;{WJ}!channel&gt; \u200b*\u200bMP\u200b*\u200b defects>"
        f" — BBC, @{WJ}here"
    )
    assert second == "click"  # an unsafe URL is dropped, its label kept as text
    assert "<https://evil" not in third
    assert "<!channel>" not in text


def test_reply_visibility_and_unfurling() -> None:
    assert render_reply(Reply.text("hi"))["response_type"] == "ephemeral"
    public = render_reply(Reply.text("hi", ephemeral=False))
    assert public["response_type"] == "in_channel"
    assert (public["unfurl_links"], public["unfurl_media"]) == (False, False)


def test_a_very_long_reply_is_cut_with_a_count() -> None:
    text = render_text(Reply.text(*(f"line {n} " + "x" * 100 for n in range(100))))
    assert len(text) <= 3000
    assert text.endswith("more lines")
