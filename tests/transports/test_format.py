"""Stage 6 safety: hostile feed text never pings, links or formats; mentions and links are exact."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain import Alert, CategoryInfo, Overflow, OverflowItem
from bot.transports.console import console_text
from bot.transports.discord.format import discord_embed, discord_webhook_payload
from bot.transports.slack.format import slack_blocks, slack_webhook_payload
from bot.transports.text import escape_discord, escape_slack

ZWSP, WJ = "\u200b", "\u2060"
WHEN = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
DEFECTION = CategoryInfo("defection", "Defection", "🔀", 0xE67E22, "An MP changes party")
LETTERS = CategoryInfo("letters", "Letters", "✉️", 0x3498DB, "No-confidence letters")
BIG = "Crisis deepens " * 7_000  # ~100 KB

HOSTILE = [
    "@everyone",
    "@here",
    "@EVERYONE now",
    "<@&123>",
    "<@456>",
    "<@!789>",
    "<#101112>",
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!subteam^S0123>",
    "@channel",
    "@all",
    "[click](javascript:alert(1))",
    "[bbc.co.uk](https://evil.example/phish)",
    "<https://evil.example|bbc.co.uk>",
    "**bold** __under__ ~~strike~~ `code` ||spoiler|| *it* _it_",
    "> quote",
    "# heading",
    "- bullet",
    "1. numbered",
    "<b>html</b> <script>alert(1)</script>",
    "evil\u202etxt.exe\u202c and \u2066isolate\u2069",
    "@\u200beveryone @every\u200bone <\u200b@&123> \ufeff@here",
    "\x1b[31mred\x1b[0m and\x00 nul",
    "back\\slash \\*escaped\\*",
    "a & b &amp; c &lt;!channel&gt;",
    BIG,
]


def make_alert(**changes: Any) -> Alert:
    base = Alert(
        story_id=1,
        title="Tory MP defects to Labour",
        link="https://www.bbc.co.uk/news/uk-politics-1",
        summary="The MP for Somewhere has crossed the floor.",
        outlet="BBC News",
        published=WHEN,
        categories=(DEFECTION,),
        evidence=('title: "defects to Labour"',),
        also_reported_by=("The Guardian", "Sky News"),
    )
    return replace(base, **changes)


def hostile_alert(text: str, link: str | None = None) -> Alert:
    return make_alert(
        title=text,
        link=text if link is None else link,
        summary=text,
        outlet=text,
        evidence=(text, text),
        also_reported_by=(text, "Sky News"),
    )


def overflow(count: int, title: str = "Headline", link: str = "https://example.com/") -> Overflow:
    items = tuple(OverflowItem(f"{title} {i}", f"{link}{i}", "pmqs") for i in range(count))
    return Overflow(feed="BBC Politics", outlet="BBC News", items=items)


def strings(value: Any, skip: frozenset[str] = frozenset()) -> Iterator[str]:
    """Every string inside a payload, except under the keys in skip."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in skip:
                yield from strings(item, skip)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item, skip)


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# --- what "inert" means on each platform ---

DISCORD_MARKDOWN = set("*_~`|>#[]()")
SLACK_TOKEN = re.compile(r"<([^<>]*)>")
SLACK_LINK = re.compile(r"https?://[^\s|<>]+(\|[^<>]*)?")
SLACK_DATE = re.compile(
    r"<!date\^\d+\^\{date_short_pretty\} \{time\}\|\d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d UTC>"
)
INVISIBLE_HOSTILE = re.compile("[\x00-\x08\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069\ufeff]")


def assert_discord_inert(text: str) -> None:
    assert not INVISIBLE_HOSTILE.search(text)
    assert not re.search(r"@(everyone|here)", text, re.IGNORECASE)
    assert "<b>" not in text
    for i, char in enumerate(text):
        if char == "<":  # no mention, channel, emoji, timestamp or <url> syntax can form
            assert text[i + 1 : i + 2] == ZWSP
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            assert char not in DISCORD_MARKDOWN, text


def assert_slack_inert(text: str, *, mention: str | None = None) -> None:
    assert not INVISIBLE_HOSTILE.search(text)
    if mention:  # the one configured ping, removed once; anything left must be inert
        ping = "<!here> " if mention == "here" else f"<!subteam^{mention}> "
        text = text.replace(ping, "", 1)
    text = SLACK_DATE.sub("", text)  # ours; the only other <…> allowed is an http(s) link
    for token in SLACK_TOKEN.findall(text):
        assert SLACK_LINK.fullmatch(token), token
    assert not re.search(r"@\w", text)  # Mattermost/Rocket.Chat ping on any bare @word
    assert "](" not in text
    for i, char in enumerate(text):
        if char in "*_~`":
            assert text[i - 1 : i] == ZWSP
            assert text[i + 1 : i + 2] == ZWSP


def slack_texts(payload: dict[str, Any]) -> list[str]:
    return [payload["text"], *strings(payload["blocks"], frozenset({"type"}))]


# --- hostile text never pings, links or formats ---


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_discord_payload_is_inert(text: str) -> None:
    payload = discord_webhook_payload(hostile_alert(text))
    assert payload["allowed_mentions"] == {"parse": []}
    assert "content" not in payload
    (embed,) = payload["embeds"]
    assert "url" not in embed  # the hostile "link" is never an http(s) URL
    for value in strings(embed, frozenset({"timestamp"})):
        assert_discord_inert(value)


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_discord_linked_title_is_inert(text: str) -> None:
    embed = discord_embed(hostile_alert(text, link="https://ok.example/story"))
    assert embed["url"] == "https://ok.example/story"
    for value in strings(embed, frozenset({"timestamp", "url"})):
        assert_discord_inert(value)


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("link", [None, "https://ok.example/story"])
def test_slack_payload_is_inert(text: str, link: str | None) -> None:
    payload = slack_webhook_payload(hostile_alert(text, link))
    assert payload["unfurl_links"] is False
    assert payload["unfurl_media"] is False
    for value in slack_texts(payload):
        assert_slack_inert(value)
    if link:
        assert payload["blocks"][0]["text"]["text"].startswith("🔀 Defection: <" + link + "|")


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_console_text_has_no_control_or_bidi_characters(text: str) -> None:
    assert not INVISIBLE_HOSTILE.search(console_text(hostile_alert(text)))


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_overflow_payloads_are_inert(text: str) -> None:
    message = overflow(12, title=text, link="javascript:alert(1)//")
    discord = discord_webhook_payload(message)
    assert discord["allowed_mentions"] == {"parse": []}
    for value in strings(discord["embeds"]):
        assert_discord_inert(value)
    for value in slack_texts(slack_webhook_payload(message)):
        assert_slack_inert(value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("**bold**", r"\*\*bold\*\*"),
        ("[x](javascript:y)", r"\[x\]\(javascript:y\)"),
        ("@everyone and @Here", f"@{ZWSP}everyone and @{ZWSP}Here"),
        ("<@&123>", f"<{ZWSP}@&123\\>"),
        ("a\\b", "a\\\\b"),
        ("- bullet", "\\- bullet"),
        ("1. numbered", "1\\. numbered"),
        ("mid-word 2. ok", "mid-word 2. ok"),
        ("rtl\u202eoverride \u200b zw", "rtloverride zw"),
        ("  many \n\t spaces  ", "many spaces"),
    ],
)
def test_escape_discord(raw: str, expected: str) -> None:
    assert escape_discord(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a & b < c > d", f"a &amp; b &lt;{WJ} c &gt; d"),
        ("<!channel>", f"&lt;{WJ}!channel&gt;"),
        ("@channel @here @everyone @all", f"@{WJ}channel @{WJ}here @{WJ}everyone @{WJ}all"),
        ("*bold*", f"{ZWSP}*{ZWSP}bold{ZWSP}*{ZWSP}"),
        ("[x](y)", f"[x]{ZWSP}(y)"),
        ("> quote", f"{ZWSP}&gt; quote"),
        ("plain words", "plain words"),
        ("bidi\u202e\u2066x\u2069", "bidix"),
    ],
)
def test_escape_slack(raw: str, expected: str) -> None:
    assert escape_slack(raw) == expected


@pytest.mark.parametrize(
    ("mention", "content"),
    [("123456789012345678", "<@&123456789012345678>"), (None, None), ("everyone", None),
     ("123 <@&1>", None), ("", None), ("١٢٣", None)],
)  # fmt: skip
def test_discord_role_mention_is_exactly_that_role(mention: str | None, content: str) -> None:
    payload = discord_webhook_payload(make_alert(mention=mention))
    assert payload.get("content") == content
    if content:
        assert payload["allowed_mentions"] == {"parse": [], "roles": [mention]}
    else:
        assert payload["allowed_mentions"] == {"parse": []}
    assert payload["username"] == "Division Bell"


@pytest.mark.parametrize(
    ("mention", "prefix"),
    # "here" comes only from a Slack-format webhook's configured `mention = "@here"`.
    [("S0123ABCD", "<!subteam^S0123ABCD> "), (None, ""), ("here", "<!here> "), ("S01>x", ""),
     ("U0123", ""), ("channel", ""), ("everyone", "")],
)  # fmt: skip
def test_slack_user_group_mention(mention: str | None, prefix: str) -> None:
    payload = slack_webhook_payload(make_alert(mention=mention))
    assert payload["text"].startswith(prefix + "🔀 Defection: <https://")
    assert payload["blocks"][0]["text"]["text"].startswith(prefix + "🔀 Defection: ")
    for value in slack_texts(payload):
        assert_slack_inert(value, mention=mention if prefix else None)


@pytest.mark.parametrize(
    ("link", "discord_url", "slack_link"),
    [
        ("https://x.example/a|b<c>", "https://x.example/a%7Cb%3Cc%3E", "<https://x.example/a%7Cb%3Cc%3E|T>"),
        ("HTTP://x.example/a b", "http://x.example/a%20b", "<http://x.example/a%20b|T>"),
        ("https://x.example/?a=1&b=2", "https://x.example/?a=1&b=2", "<https://x.example/?a=1&b=2|T>"),
        ("https://x.example/w/A_(b)", "https://x.example/w/A_%28b%29", "<https://x.example/w/A_%28b%29|T>"),
        ("https://x.example/café", "https://x.example/caf%C3%A9", "<https://x.example/caf%C3%A9|T>"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/", "<https://xn--bcher-kva.example/|T>"),
        ("javascript:alert(1)", None, "T"),
        ("data:text/html,hi", None, "T"),
        ("ftp://x.example/", None, "T"),
        ("/relative/path", None, "T"),
        ("https://bbc.co.uk@evil.example/", None, "T"),
        ("https://x.example/\u202efdp.exe", None, "T"),
        ("", None, "T"),
    ],
)  # fmt: skip
def test_links_are_http_only_and_encoded(
    link: str, discord_url: str | None, slack_link: str
) -> None:
    alert = make_alert(link=link, title="T")
    assert discord_embed(alert).get("url") == discord_url
    assert slack_blocks(alert)[0]["text"]["text"] == f"🔀 Defection: {slack_link}"
