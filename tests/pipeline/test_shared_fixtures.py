"""Parse stage against the real and malformed feeds saved in ../shared/fixtures/feeds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.errors import ParseError
from bot.pipeline.parse import SUMMARY_LIMIT, TITLE_LIMIT, ParsedFeed, parse_feed

FEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "feeds"
FILES = sorted(FEEDS.glob("*.xml")) if FEEDS.is_dir() else []

pytestmark = pytest.mark.shared

# What each file must give: a headline count, or ParseError for documents with nothing usable.
EXPECTED: dict[str, int | type[ParseError]] = {
    "bbc_news_frontpage_2026-04-25.xml": 27,
    "bbc_uk_politics_2018-12-19.xml": 33,
    "guardian_us_edition_2018-01-31.xml": 55,
    "mirror_worldnews_2017_utf8_bom.xml": 25,
    "reuters_worldnews_feedburner_2017.xml": 10,
    "wordpress_atom10_wiganwarriors_2022.xml": 10,
    "wordpress_rss2_thomasmaurer.xml": 10,
    "govscot_news_2017-06-27.xml": 2,
    "dailymail_worldnews_2017_no_items.xml": 0,
    "feedparser_utf16le_bom.xml": 0,
    "feedparser_bozo_empty_document.xml": ParseError,
    "feedparser_bozo_truncated_root.xml": ParseError,
    "feedparser_bozo_undeclared_namespace_prefix.xml": ParseError,
    # Cut inside its only <item>: the half-read item is dropped, leaving nothing.
    "feedparser_bozo_incomplete_cdata.xml": ParseError,
}
TAG = re.compile(r"<[A-Za-z/!?]")
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b\u202a-\u202e\u2066-\u2069\ufeff]")


def read(name: str) -> bytes:
    path = FEEDS / name
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    return path.read_bytes()


def parse(name: str) -> ParsedFeed:
    return parse_feed(name, read(name))


def attempt(name: str, body: bytes) -> tuple[ParsedFeed | None, ParseError | None]:
    """The parse result or the ParseError; any other exception fails the test."""
    try:
        return parse_feed(name, body), None
    except ParseError as error:
        return None, error


def assert_plain(text: str, limit: int) -> None:
    assert len(text) <= limit
    assert not TAG.search(text), text
    assert not CONTROL.search(text), text
    assert text == text.strip()
    assert "  " not in text


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in FILES] or [None])
def test_every_fixture_parses_or_raises_parse_error(path: Path | None) -> None:
    if path is None:
        pytest.skip(f"{FEEDS} is not present")
    expected = EXPECTED.get(path.name)
    parsed, error = attempt(path.stem, path.read_bytes())
    if error is not None:
        assert error.feed == path.stem
        assert error.reason
        assert "\n" not in error.reason
        assert expected in (None, ParseError), f"{path.name}: {error.reason}"
        return
    assert parsed is not None
    assert expected is not ParseError, f"{path.name} should not parse"
    if isinstance(expected, int):
        assert len(parsed.headlines) == expected
    assert_plain(parsed.title, TITLE_LIMIT)
    assert parsed.warning is None or "\n" not in parsed.warning
    for headline in parsed.headlines:
        assert_plain(headline.title, TITLE_LIMIT)
        assert_plain(headline.summary, SUMMARY_LIMIT)
        assert headline.entry_key.startswith(("guid:", "link:", "hash:"))
        assert headline.link == "" or re.match(r"https?://[^#\s]+$", headline.link)
        assert headline.published is None or headline.published.utcoffset() is not None
        assert headline.feed == path.stem
        assert headline.outlet


def test_bbc_front_page() -> None:
    parsed = parse("bbc_news_frontpage_2026-04-25.xml")
    assert parsed.title == "BBC News"
    assert parsed.ttl == 15 * 60
    assert len(parsed.headlines) == 27
    for headline in parsed.headlines:
        assert "at_medium" not in headline.link
        assert "at_campaign" not in headline.link
        assert "?" not in headline.link
        assert "#" not in headline.entry_key
        assert headline.entry_key.startswith("guid:https://www.bbc.")
        assert headline.published is not None
    # The feed lists one football article twice (#0 and #1, two titles): one identity.
    assert len({h.entry_key for h in parsed.headlines}) == 26


def test_bbc_politics_2018() -> None:
    parsed = parse("bbc_uk_politics_2018-12-19.xml")
    assert parsed.title == "BBC News - UK Politics"
    assert all(h.link.startswith("https://www.bbc.co.uk/news/") for h in parsed.headlines)


def test_guardian_escaped_html_is_stripped() -> None:
    parsed = parse("guardian_us_edition_2018-01-31.xml")
    summaries = " ".join(h.summary for h in parsed.headlines)
    assert "Continue reading" in summaries  # the text of a link survives, its markup does not
    assert "&lt;" not in summaries
    assert "&amp;" not in summaries


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("mirror_worldnews_2017_utf8_bom.xml", "mirror - World news"),
        ("feedparser_utf16le_bom.xml", ""),
    ],
)
def test_bom_and_utf16_documents_decode(name: str, title: str) -> None:
    parsed = parse(name)
    assert parsed.title == title
    assert parsed.warning is None
    text = " ".join(h.title + " " + h.summary for h in parsed.headlines)
    assert "\ufeff" not in text
    assert "\ufffd" not in text


def test_mirror_double_escaped_entities_are_unescaped() -> None:
    parsed = parse("mirror_worldnews_2017_utf8_bom.xml")
    text = " ".join(h.summary for h in parsed.headlines)
    assert "&nbsp;" not in text
    assert "&#x" not in text


def test_script_injection_never_survives() -> None:
    (headline,) = parse("feedparser_atom03_script_injection_cdata.xml").headlines
    assert "<script" not in (headline.title + headline.summary).lower()
    assert "location.href" not in headline.summary
    assert headline.summary == "safe description"


def test_cp1252_smart_quote() -> None:
    (headline,) = parse("feedparser_cp1252_smartquote_in_utf8.xml").headlines
    assert headline.summary == "don\u2019t"


def test_ampersand_in_link_decodes() -> None:
    (headline,) = parse("feedparser_rss_link_ampersand_entities_unclosed_root.xml").headlines
    assert headline.link == "http://link/get?a=1&b=2"


def test_guid_not_permalink_is_identity_not_link() -> None:
    (headline,) = parse("feedparser_rss20_guid_not_permalink.xml").headlines
    assert headline.link == ""
    assert headline.entry_key == "guid:http://guid.example.com/"


def test_external_entity_doctype_is_defused() -> None:
    parsed = parse("feedparser_rss10_doctype_external_entity.xml")
    assert parsed.headlines == ()
    assert parsed.warning is not None
    assert "DOCTYPE" in parsed.warning


def test_truncated_reuters_yields_what_it_can_or_parse_error() -> None:
    parsed, error = attempt("reuters", read("reuters_mostread_truncated_INVALID.xml"))
    if error is not None:
        assert "line" in error.reason
        return
    assert parsed is not None
    assert parsed.warning
    assert all(h.title for h in parsed.headlines)
