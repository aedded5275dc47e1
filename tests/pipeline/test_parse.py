"""Parse stage: feed bytes → Headlines, on small inline feeds written for each case."""

from __future__ import annotations

import http.server
import pickle
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.domain import Headline, pickled_by_fields
from bot.errors import ParseError
from bot.pipeline.normalise import _strip_markup, canonical_url, plain_text
from bot.pipeline.parse import ParsedFeed, parse_feed
from bot.pipeline.parse_job import parse_and_classify


def rss(items: str, channel: str = "<title>Westminster Wire</title>") -> bytes:
    """An RSS 2.0 document around the given <item> elements."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"{channel}{items}</channel></rss>"
    ).encode()


def item(
    title: str = "MP defects", link: str | None = None, guid: str | None = None, extra: str = ""
) -> str:
    """One <item>; guid is not a permalink so feedparser never copies it into the link."""
    parts = [f"<title>{title}</title>"]
    if link is not None:
        parts.append(f"<link>{link}</link>")
    if guid is not None:
        parts.append(f'<guid isPermaLink="false">{guid}</guid>')
    return "<item>" + "".join(parts) + extra + "</item>"


def one(body: bytes, **kwargs: str) -> ParsedFeed:
    return parse_feed("Test feed", body, **kwargs)


# --- formats ------------------------------------------------------------------------------------

RSS20 = rss(
    item(
        "Minister &amp; deputy resign",
        "https://example.org/news/1?utm_source=rss",
        "https://example.org/news/1#0",
        "<description><![CDATA[<p>The <b>minister</b> quit.</p>]]></description>"
        "<pubDate>Tue, 05 Mar 2024 09:30:00 +0100</pubDate>",
    ),
    "<title>Westminster <![CDATA[<i>Wire</i>]]></title><ttl>15</ttl>",
)

ATOM10 = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://atom.example.org/">
  <title type="html">Gov &lt;b&gt;News&lt;/b&gt;</title>
  <id>tag:atom.example.org,2024:feed</id>
  <updated>2024-03-05T10:00:00Z</updated>
  <entry>
    <title>Budget &amp;amp; beyond</title>
    <id>tag:atom.example.org,2024:entry-1</id>
    <link rel="alternate" href="/news/budget?CMP=share_btn"/>
    <updated>2024-03-05T10:00:00-05:00</updated>
    <summary type="html">&lt;p&gt;Chancellor &amp;amp; Treasury&lt;/p&gt;</summary>
  </entry>
</feed>"""

RSS10 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://rdf.example.org/">
    <title>Lords Digest</title>
    <link>https://rdf.example.org/</link>
    <items><rdf:Seq><rdf:li resource="https://rdf.example.org/bill/7"/></rdf:Seq></items>
  </channel>
  <item rdf:about="https://rdf.example.org/bill/7">
    <title>Bill passes second reading</title>
    <link>https://rdf.example.org/bill/7</link>
    <description>Peers back the bill.</description>
    <dc:date>2024-03-05T18:00:00+00:00</dc:date>
  </item>
</rdf:RDF>"""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            RSS20,
            Headline(
                feed="Test feed",
                outlet="Westminster Wire",
                entry_key="guid:https://example.org/news/1",
                link="https://example.org/news/1",
                title="Minister & deputy resign",
                summary="The minister quit.",
                published=datetime(2024, 3, 5, 8, 30, tzinfo=UTC),
            ),
            id="rss20",
        ),
        pytest.param(
            ATOM10,
            Headline(
                feed="Test feed",
                outlet="Gov News",
                entry_key="guid:tag:atom.example.org,2024:entry-1",
                link="https://atom.example.org/news/budget",
                title="Budget & beyond",
                summary="Chancellor & Treasury",
                published=datetime(2024, 3, 5, 15, 0, tzinfo=UTC),
            ),
            id="atom10",
        ),
        pytest.param(
            RSS10,
            Headline(
                feed="Test feed",
                outlet="Lords Digest",
                entry_key="guid:https://rdf.example.org/bill/7",
                link="https://rdf.example.org/bill/7",
                title="Bill passes second reading",
                summary="Peers back the bill.",
                published=datetime(2024, 3, 5, 18, 0, tzinfo=UTC),
            ),
            id="rss10",
        ),
    ],
)
def test_formats(body: bytes, expected: Headline) -> None:
    parsed = one(body)
    assert parsed.title == expected.outlet
    assert parsed.warning is None
    (headline,) = parsed.headlines
    assert headline == expected
    assert headline.published is not None
    assert headline.published.tzinfo is UTC


def test_ttl_minutes_become_seconds() -> None:
    assert one(RSS20).ttl == 900.0
    assert one(ATOM10).ttl is None


@pytest.mark.parametrize("ttl", ["soon", "-5", "0", "nan", "inf", ""])
def test_unusable_ttl_is_none(ttl: str) -> None:
    assert one(rss(item(), f"<title>T</title><ttl>{ttl}</ttl>")).ttl is None


def test_outlet_argument_then_feed_title_then_feed_name() -> None:
    assert one(RSS20, outlet="BBC News").headlines[0].outlet == "BBC News"
    assert one(rss(item(), "")).headlines[0].outlet == "Test feed"


def test_headlines_keep_feed_order() -> None:
    body = rss("".join(item(f"Story {n}", f"https://example.org/{n}") for n in range(5)))
    assert [h.title for h in one(body).headlines] == [f"Story {n}" for n in range(5)]


def test_charset_from_content_type() -> None:
    body = (
        b'<rss version="2.0"><channel><item><title>\xa3300m for MPs</title></item></channel></rss>'
    )
    parsed = one(body, content_type="application/rss+xml; charset=iso-8859-1")
    assert parsed.headlines[0].title == "£300m for MPs"


# --- identity -----------------------------------------------------------------------------------


def keys(*items: str) -> list[str]:
    return [h.entry_key for h in one(rss("".join(items))).headlines]


def test_bbc_guid_fragment_changes_between_polls_but_key_does_not() -> None:
    guid = "https://www.bbc.com/news/articles/c1234#{}"
    first = keys(item("Story", "https://www.bbc.com/news/articles/c1234", guid.format(0)))
    second = keys(item("Story", "https://www.bbc.com/news/articles/c1234", guid.format(1)))
    assert first == second == ["guid:https://www.bbc.com/news/articles/c1234"]


def test_url_guid_is_identity_as_a_string_not_canonicalised() -> None:
    assert keys(item(guid="HTTP://Example.ORG/a?utm_source=x#frag")) == [
        "guid:HTTP://Example.ORG/a?utm_source=x"
    ]


def test_non_url_guid_keeps_its_hash_sign() -> None:
    assert keys(item(guid="post#1"), item(guid="post#2")) == ["guid:post#1", "guid:post#2"]


def test_guid_repeated_for_different_items_is_keyed_with_its_link() -> None:
    assert keys(
        item("A", "https://example.org/a", "story"),
        item("B", "https://example.org/b", "story"),
        item("C", "https://example.org/c", "c"),
        item("D", "https://example.org/d", "d"),
        item("E", "https://example.org/e", "e"),
    ) == [
        "guid:story|https://example.org/a",
        "guid:story|https://example.org/b",
        "guid:c",
        "guid:d",
        "guid:e",
    ]


def test_guid_repeated_for_the_same_item_stays_one_key() -> None:
    same = item("A", "https://example.org/a", "a")
    assert keys(same, same, item("B", guid="b"), item("C", guid="c")) == ["guid:a"] * 2 + [
        "guid:b",
        "guid:c",
    ]


def test_a_few_blank_guids_fall_back_to_link() -> None:
    assert keys(
        item("A", "https://example.org/a", "a"),
        item("B", "https://example.org/b?fbclid=1", " "),
        item("C", "https://example.org/c", "c"),
    ) == ["guid:a", "link:https://example.org/b", "guid:c"]


@pytest.mark.parametrize(
    "guids",
    [
        pytest.param(["", "", "x"], id="mostly-blank"),
        pytest.param(["same", "same", "same", "other"], id="mostly-duplicated"),
    ],
)
def test_feed_with_mostly_bad_guids_is_keyed_by_link(guids: list[str]) -> None:
    items = [item(f"T{n}", f"https://example.org/{n}", g) for n, g in enumerate(guids)]
    assert keys(*items) == [f"link:https://example.org/{n}" for n in range(len(guids))]


def test_no_guid_no_link_hash_is_stable_and_title_sensitive() -> None:
    date = "<pubDate>Tue, 05 Mar 2024 09:30:00 GMT</pubDate>"
    body = rss(item("Vote  of  confidence", extra=date) + item("Another story", extra=date))
    first, second = keys(item("Vote of confidence", extra=date)), one(body).headlines
    assert first[0].startswith("hash:")
    assert first[0] == second[0].entry_key == keys(item("vote of CONFIDENCE", extra=date))[0]
    assert second[1].entry_key != first[0]
    assert keys(item("Vote of confidence"))[0] != first[0]  # the date is part of it


def test_key_kinds_cannot_collide() -> None:
    (guid_key,) = keys(item(guid="https://example.org/a"))
    (link_key,) = keys(item(link="https://example.org/a"))
    assert guid_key != link_key


# --- text ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Plain headline", "Plain headline"),
        ("<b>Bold</b> &amp; <i>italic</i>", "Bold & italic"),
        ("Tories &#8216;split&#8217; &mdash; &pound;5bn", "Tories ‘split’ — £5bn"),
        ("&lt;b&gt;double&lt;/b&gt; escaped", "double escaped"),
        ("safe<script>alert('x')</script> text", "safe text"),
        ("<style>p{color:red}</style>styled", "styled"),
        ("line<br>break<p>para</p>end", "line break para end"),
        ("  lots \n\t of\u00a0 space  ", "lots of space"),
        ("zero\u200bwidth\u200d and \u202eoverride\u202c\ufeff", "zerowidth and override"),
        ("bell\x07 and \x1b escape", "bell and escape"),
        ("a < b and c > d", "a < b and c > d"),
        ("AT&T & M&S", "AT&T & M&S"),
        ('<a href="javascript:alert(1)">link text</a>', "link text"),
        ("", ""),
    ],
)
def test_plain_text(raw: str, expected: str) -> None:
    assert plain_text(raw, 300) == expected


def test_text_without_tags_or_entities_is_what_the_html_parser_gives_back() -> None:
    # plain_text skips the HTML parser for such text: it must hand it back unchanged.
    rng = random.Random(7)
    alphabet = "ab Z;#x9/>\"'\t\r\n\u00a0\u2019\u0085é—"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert _strip_markup(text) == text


def test_script_content_never_reaches_headlines() -> None:
    body = rss(
        item(
            "Hi<![CDATA[<script>steal()</script>]]> there",
            extra="<description><![CDATA[ok<script type='text/javascript'>"
            "document.write('x')</script> fine <SCRIPT>more()</SCRIPT>]]></description>",
        )
    )
    (headline,) = one(body).headlines
    assert (headline.title, headline.summary) == ("Hi there", "ok fine")


def test_length_caps_cut_on_a_word_boundary_with_an_ellipsis() -> None:
    words = " ".join(["parliament"] * 200)
    (headline,) = one(rss(item(words, extra=f"<description>{words}</description>"))).headlines
    for text, cap in ((headline.title, 300), (headline.summary, 600)):
        assert len(text) <= cap
        assert len(text) > cap - 15
        assert text.endswith("parliament…")


def test_cap_without_spaces_is_a_hard_cut() -> None:
    assert plain_text("x" * 1000, 10) == "x" * 9 + "…"


# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("element", "expected"),
    [
        (
            "<pubDate>Tue, 05 Mar 2024 09:30:00 GMT</pubDate>",
            datetime(2024, 3, 5, 9, 30, tzinfo=UTC),
        ),
        (
            "<pubDate>Tue, 05 Mar 2024 09:30:00 +0100</pubDate>",
            datetime(2024, 3, 5, 8, 30, tzinfo=UTC),
        ),
        (
            "<pubDate>Tue, 05 Mar 2024 21:30:00 -0500</pubDate>",
            datetime(2024, 3, 6, 2, 30, tzinfo=UTC),
        ),
        (
            "<pubDate>Tue, 05 Mar 2024 09:30:00 EST</pubDate>",
            datetime(2024, 3, 5, 14, 30, tzinfo=UTC),
        ),
        ("<pubDate>2024-03-05T09:30:00+05:30</pubDate>", datetime(2024, 3, 5, 4, 0, tzinfo=UTC)),
        (
            "<pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate>",
            datetime(2100, 1, 1, tzinfo=UTC),
        ),  # future
        ("<pubDate>yesterday-ish</pubDate>", None),
        ("<pubDate></pubDate>", None),
        ("", None),
    ],
)
def test_dates_become_utc(element: str, expected: datetime | None) -> None:
    (headline,) = one(rss(item(extra=element))).headlines
    assert headline.published == expected


# --- links --------------------------------------------------------------------------------------


def test_relative_links_are_resolved_against_base_url() -> None:
    body = rss(item(link="/politics/story-1?at_medium=RSS") + item(link="story-2"))
    links = [h.link for h in one(body, base_url="https://news.example.org/feeds/").headlines]
    assert links == [
        "https://news.example.org/politics/story-1",
        "https://news.example.org/feeds/story-2",
    ]


def test_relative_link_without_base_is_dropped() -> None:
    (headline,) = one(rss(item(link="/politics/story-1"))).headlines
    assert headline.link == ""
    assert headline.entry_key.startswith("hash:")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/a", "https://example.org/a"),
        ("HTTPS://WWW.Example.ORG/Path/Case", "https://www.example.org/Path/Case"),
        ("http://example.org", "http://example.org/"),
        ("http://example.org:80/a", "http://example.org/a"),
        ("https://example.org:443/a", "https://example.org/a"),
        ("https://example.org:8443/a", "https://example.org:8443/a"),
        ("http://example.org:443/a", "http://example.org:443/a"),
        ("https://example.org/a#section", "https://example.org/a"),
        ("https://example.org/a?utm_source=rss&utm_medium=x", "https://example.org/a"),
        ("https://example.org/a?id=7&UTM_Campaign=x&page=2", "https://example.org/a?id=7&page=2"),
        ("https://bbc.com/n/1?at_medium=RSS&at_campaign=rss", "https://bbc.com/n/1"),
        ("https://x.org/a?fbclid=1&gclid=2&b=1&mc_cid=3&mc_eid=4", "https://x.org/a?b=1"),
        ("https://x.org/a?ocid=1&cmpid=2&CMP=share&ito=3&_ga=4&igshid=5", "https://x.org/a"),
        (
            "https://x.org/a?ns_mchannel=1&ns_source=2&ns_campaign=3&ns_linkname=4&ns_fee=5",
            "https://x.org/a",
        ),
        ("https://x.org/a?z=1&y=2&x=3", "https://x.org/a?z=1&y=2&x=3"),
        ("https://x.org/a?q=a%20b&&r=", "https://x.org/a?q=a%20b&r="),
        ("  https://example.org/a\n  ", "https://example.org/a"),
        ("https://user:pw@example.org/a", "https://example.org/a"),
        ("http://example.org/a", "http://example.org/a"),  # http and https stay distinct
        ("https://example.org/caf\u00e9 menu", "https://example.org/caf%C3%A9%20menu"),
        ("https://[2001:DB8::1]:8080/a", "https://[2001:db8::1]:8080/a"),
        ("javascript:alert(1)", ""),
        ("data:text/html,<b>x</b>", ""),
        ("ftp://example.org/file", ""),
        ("mailto:mp@parliament.uk", ""),
        ("//example.org/a", ""),
        ("/relative/path", ""),
        ("", ""),
        ("https://", ""),
        ("http://[::1", ""),
        ("http://example.org:notaport/", ""),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("/a?utm_source=x", "https://Example.org/feed", "https://example.org/a"),
        ("b", "https://example.org/dir/feed.xml", "https://example.org/dir/b"),
        ("//cdn.example.org/x", "https://example.org/", "https://cdn.example.org/x"),
        ("https://other.org/x", "https://example.org/", "https://other.org/x"),
        ("javascript:void(0)", "https://example.org/", ""),
    ],
)
def test_canonical_url_with_base(url: str, base: str, expected: str) -> None:
    assert canonical_url(url, base) == expected


# --- unreadable and hostile documents -----------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"  \r\n\t ", id="whitespace"),
        pytest.param(b"<!-- nothing here -->", id="comment-only"),
        pytest.param(b"not xml at all", id="text"),
        pytest.param(
            b"<!DOCTYPE html><html><head><title>Login</title></head><body>"
            b"<a href='/x'>Sign in</a></body></html>",
            id="html-page",
        ),
        pytest.param(
            b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">'
            b"<head><title>Error</title></head><body><p>Gone</p></body></html>",
            id="xhtml-page",
        ),
        pytest.param(b'<rss version="2.0"><channel><title>Cut', id="truncated-no-items"),
        pytest.param(
            b'<rss version="2.0"><channel><title>T</title><item><title>Half a', id="cut-in-item"
        ),
    ],
)
def test_unreadable_documents_raise_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError) as caught:
        parse_feed("Broken", body)
    assert caught.value.feed == "Broken"
    assert caught.value.reason
    assert "\n" not in caught.value.reason


def test_html_page_is_named_as_such() -> None:
    with pytest.raises(ParseError, match="HTML"):
        parse_feed("Broken", b"<!doctype html><html><body><p>Hello</p></body></html>")


def test_truncated_feed_yields_what_it_can_with_a_warning() -> None:
    body = rss(item("First", "https://example.org/1") + item("Second", "https://example.org/2"))
    body = body[: body.index(b"</channel>")] + b"<item><title>Thi"
    parsed = one(body)
    # The cut-off third item would alert with half a title and a key that changes next poll.
    assert [h.title for h in parsed.headlines] == ["First", "Second"]
    assert parsed.warning
    assert "\n" not in parsed.warning
    assert len(parsed.warning) <= 200


def _laughs(levels: int, prolog: str = '<?xml version="1.0"?>') -> bytes:
    entities = '<!ENTITY a0 "lollollollollollollollollollol">' + "".join(
        f'<!ENTITY a{n} "{f"&a{n - 1};" * 10}">' for n in range(1, levels + 1)
    )
    return (
        f"{prolog}<!DOCTYPE rss [{entities}]>"
        f'<rss version="2.0"><channel><title>&a{levels};</title>'
        f"<item><title>&a{levels};</title><description>&a{levels};</description>"
        "<link>https://example.org/lol</link></item></channel></rss>"
    ).encode()


def _utf7_laughs() -> bytes:
    """The DOCTYPE hidden from byte scanners: UTF-7 spells "<" as "+ADw-"."""
    body = _laughs(9, '<?xml version="1.0" encoding="utf-7"?>')
    head, root = body.split(b"<rss", 1)
    return head.replace(b"<!", b"+ADw-!") + b"<rss" + root


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(_laughs(5), None, id="one-line-subset-3MB"),
        pytest.param(_laughs(9), None, id="one-line-subset-3GB"),
        pytest.param(
            _laughs(9, '<?xml version="1.0"?>\n<!-- c -->\n<?pi x?>\n'), None, id="after-pi"
        ),
        pytest.param(_laughs(9).replace(b"<!ENTITY", b"\n  <!ENTITY"), None, id="multi-line"),
        pytest.param(_laughs(9).replace(b"DOCTYPE", b"doctype"), None, id="lower-case"),
        pytest.param(b"\xef\xbb\xbf" + _laughs(9), None, id="utf8-bom"),
        pytest.param(
            _laughs(9, '<?xml version="1.0" encoding="utf-16"?>').decode().encode("utf-16"),
            None,
            id="utf16-bom",
        ),
        pytest.param(
            _laughs(9, "").decode().encode("utf-16-be"),
            "application/rss+xml; charset=utf-16be",
            id="utf16be-by-header",
        ),
        pytest.param(_utf7_laughs(), None, id="utf7"),
    ],
)
def test_billion_laughs_stays_small_and_fast(body: bytes, content_type: str | None) -> None:
    start = time.perf_counter()
    parsed = parse_feed("Bomb", body, content_type=content_type)
    assert time.perf_counter() - start < 1.0
    assert len(parsed.title) < 100
    assert parsed.headlines
    for headline in parsed.headlines:
        assert len(headline.title) < 100
        assert len(headline.summary) < 100
        assert "lollol" not in headline.title + headline.summary
    assert parsed.warning is not None
    assert "DOCTYPE" in parsed.warning


def test_entities_declared_outside_a_doctype_are_refused() -> None:
    body = b'junk <!ENTITY a "x"><rss version="2.0"><channel><title>&a;</title></channel></rss>'
    with pytest.raises(ParseError):
        parse_feed("Bomb", body)


@pytest.fixture
def request_log() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that records every path asked of it."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            payload = b'<!ENTITY secret "FETCHED-OVER-HTTP">'
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_external_entities_are_never_fetched(
    tmp_path: Path, request_log: tuple[str, list[str]]
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-FILE")
    url, seen = request_log
    body = (
        '<?xml version="1.0"?>\n'
        "<!DOCTYPE rss [\n"
        f'  <!ENTITY file SYSTEM "{secret.as_uri()}">\n'
        f'  <!ENTITY web SYSTEM "{url}/general">\n'
        f'  <!ENTITY % remote SYSTEM "{url}/parameter">\n'
        "  %remote;\n"
        "]>\n"
        '<rss version="2.0"><channel><title>&file;</title>'
        "<item><title>&file; &web; &secret;</title><link>https://example.org/x</link></item>"
        "</channel></rss>"
    ).encode()
    parsed = parse_feed("XXE", body)
    time.sleep(0.05)  # let any stray request land before we look
    assert seen == []
    assert len(parsed.headlines) == 1
    text = parsed.title + " ".join(h.title + h.summary for h in parsed.headlines)
    assert "TOP-SECRET" not in text
    assert "FETCHED" not in text


def test_doctype_without_entities_is_harmless() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
        b' "http://my.netscape.com/publish/formats/rss-0.91.dtd">'
        + rss(item("Caf&eacute; culture", "https://example.org/c")).split(b"?>", 1)[1]
    )
    parsed = one(body)
    assert parsed.headlines[0].title == "Café culture"


# --- process pool -------------------------------------------------------------------------------


def test_parsed_feed_survives_pickling() -> None:
    parsed = one(RSS20)
    # The cycle ships results back from a process pool exactly like this.
    assert pickle.loads(pickle.dumps(parsed)) == parsed  # noqa: S301


def test_classified_feed_survives_pickling_as_calls_of_its_classes() -> None:
    body = rss(
        item("Tory MP Dan Poulter defects to Labour", "https://example.org/1"),
        item("Sue Gray report: Privileges Committee finds Johnson misled MPs", "https://e.org/2"),
    )
    done = parse_and_classify(
        "Feed",
        body,
        content_type=None,
        base_url=None,
        outlet=None,
        rules=None,
        today=date(2024, 5, 8),
    )
    assert all(done.classifications)
    assert any(done.actors)
    # What a parse worker sends back: equal once unpickled, down to the actors' signatures.
    assert pickle.loads(pickle.dumps(done)) == done  # noqa: S301
    assert pickle.loads(pickle.dumps(done.actors[0])).signature == done.actors[0].signature  # noqa: S301


def test_pickling_by_fields_refuses_classes_it_cannot_rebuild() -> None:
    @dataclass(frozen=True, slots=True)
    class KeywordOnly:
        a: int
        b: int = field(kw_only=True)

    with pytest.raises(TypeError, match="positional"):
        pickled_by_fields(KeywordOnly)


def test_parse_error_survives_pickling() -> None:
    error = pickle.loads(pickle.dumps(ParseError("Feed", "bad")))  # noqa: S301
    assert (error.feed, error.reason) == ("Feed", "bad")
    assert str(error) == "Feed: bad"
