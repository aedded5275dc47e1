"""plain_rss reads plain RSS 2.0 exactly as feedparser does, and leaves every other shape to it.

Each document is parsed twice by parse_feed, once as it runs (plain_rss where it can) and once
with plain_rss switched off (feedparser only), and the two ParsedFeeds must be equal.
"""

from __future__ import annotations

import random

import pytest

from bot.pipeline import parse
from bot.pipeline.parse import ParsedFeed, parse_feed
from bot.pipeline.plain_rss import read_plain_rss

BASE = "https://news.example.org/politics/"
NAMESPACES = (
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/" '
    'xmlns:atom="http://www.w3.org/2005/Atom"'
)


def document(items: str, channel: str = "<title>Westminster Wire</title>", head: str = "") -> bytes:
    """An RSS 2.0 document around the given <item> elements."""
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n{head}<rss version="2.0" {NAMESPACES}>'
        f"<channel>{channel}{items}</channel></rss>"
    ).encode()


def both(body: bytes, monkeypatch: pytest.MonkeyPatch, **kwargs: str) -> tuple[ParsedFeed, ...]:
    """parse_feed's reading as it runs, and feedparser's alone."""
    fast = parse_feed("Test feed", body, base_url=BASE, **kwargs)
    with monkeypatch.context() as patched:
        patched.setattr(parse, "_plain_candidate", lambda defused: False)
        slow = parse_feed("Test feed", body, base_url=BASE, **kwargs)
    return fast, slow


def taken(body: bytes) -> bool:
    """Whether plain_rss reads this document itself (rather than leaving it to feedparser)."""
    return read_plain_rss(body) is not None


PLAIN = [
    # The shapes the BBC and the Guardian publish.
    "<item><title><![CDATA[Dan Poulter quits the Conservatives]]></title>"
    "<description><![CDATA[Critics say so.]]></description>"
    "<link>https://www.bbc.co.uk/news/articles/c1?at_medium=RSS&amp;at_campaign=rss</link>"
    '<guid isPermaLink="false">https://www.bbc.co.uk/news/articles/c1#0</guid>'
    "<pubDate>Fri, 04 Dec 2026 13:28:00 GMT</pubDate>"
    '<media:thumbnail width="240" height="135" url="https://ichef.example/1.jpg"/></item>',
    "<item><title>Boris Johnson submits letter</title><link>https://www.theguardian.com/p/1</link>"
    "<description>&lt;p&gt;Colleagues &amp;amp; rivals said so.&lt;/p&gt;</description>"
    '<category domain="https://www.theguardian.com/politics">Politics</category>'
    "<pubDate>Fri, 04 Dec 2026 13:28:00 GMT</pubDate><guid>https://www.theguardian.com/p/1</guid>"
    '<media:content width="140" url="https://i.example/1.jpg"><media:credit scheme="urn:ebu">'
    "Photo: PA</media:credit></media:content><dc:creator>A Writer</dc:creator>"
    "<dc:date>2026-12-04T13:28:00Z</dc:date></item>",
    # A permalink guid stands in for a missing link, before or after it, relative or not.
    "<item><title>Guid only</title><guid>https://example.org/a#frag</guid></item>",
    "<item><title>Guid then link</title><guid>https://example.org/g</guid>"
    "<link>https://example.org/l</link></item>",
    "<item><title>Link then guid</title><link>https://example.org/l</link>"
    "<guid>https://example.org/g</guid></item>",
    "<item><title>Relative guid</title><guid>/news/1</guid></item>",
    '<item><title>Not a permalink</title><guid isPermaLink="False">/news/2</guid></item>',
    "<item><title>Empty link</title><link></link><guid>https://example.org/g2</guid></item>",
    "<item><title>Slashes</title><link>https:////example.org//x</link></item>",
    # Text feedparser changes: entities, markup as text, mis-decoded UTF-8, C1 controls.
    "<item><title>Minister &amp; deputy &lt;b&gt;resign&lt;/b&gt;</title>"
    "<link>https://example.org/q?a=1&amp;amp;b=2&amp;c;d=3</link></item>",
    "<item><title>Â£5bn for the NHS â€” says PM</title><link>https://example.org/m</link></item>",
    "<item><title>Smart \u0093quotes\u0094 and \u0085</title>"
    "<link>https://example.org/c</link></item>",
    "<item><title>  \n\t Spaced out \n </title><description>   </description></item>",
    "<item><title>Caf\u00e9 ministers \u2019row\u2019</title>"
    "<link> https://example.org/w </link></item>",
    "<item><title><![CDATA[<b>Bold</b> &amp; CDATA]]></title></item>",
    # Dates: every form feedparser reads, and some it cannot.
    "<item><title>A</title><pubDate>Tue, 05 Mar 2024 09:30:00 +0100</pubDate></item>",
    "<item><title>B</title><pubDate>5 Mar 2024 09:30 BST</pubDate></item>",
    "<item><title>C</title><pubDate>2024-03-05T09:30:00+01:00</pubDate></item>",
    "<item><title>D</title><pubDate>not a date</pubDate><dc:date>2024-03-05</dc:date></item>",
    "<item><title>E</title><pubDate></pubDate></item>",
    "<item><title>F</title><dc:date>2024-03-05T09:30:00Z</dc:date></item>",
    "<item><title>G</title><pubDate>Tue, 31 Feb 2024 25:61:61 GMT</pubDate></item>",
    # No title, no anything.
    "<item><description>Only a summary</description></item>",
    "<item></item>",
]


@pytest.mark.parametrize("items", PLAIN)
def test_plain_rss_reads_as_feedparser_does(items: str, monkeypatch: pytest.MonkeyPatch) -> None:
    body = document(items + items.replace("<title>", "<title>Again: ", 1))
    assert taken(body)
    fast, slow = both(body, monkeypatch)
    assert fast == slow


@pytest.mark.parametrize(
    "channel",
    [
        "<title>Wire</title><ttl>15</ttl>",
        "<ttl> 30 </ttl>",
        "<image><url>https://i.example/l.gif</url><title>Logo</title><link>https://e.org</link>"
        "</image><title>After the image</title>",
        "<title>Wire &amp; Co</title><link>https://e.org</link><description>D</description>"
        "<language>en-gb</language><copyright>C</copyright><lastBuildDate>Fri, 04 Dec 2026 "
        "13:28:00 GMT</lastBuildDate><generator>G</generator><dc:date>2026-12-04T13:28:00Z"
        '</dc:date><atom:link href="https://e.org/rss" rel="self" type="application/rss+xml"/>',
        "",
    ],
)
def test_the_feed_title_and_ttl_are_read_as_feedparser_does(
    channel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = document("<item><title>One</title></item>", channel)
    assert taken(body)
    fast, slow = both(body, monkeypatch)
    assert fast == slow


FALLBACK = [
    # Shapes plain_rss leaves to feedparser: each must still parse exactly as before.
    document("<item><title>T</title><title>Twice</title></item>"),
    document("<item><Title>Capital</Title></item>"),
    document('<item><title type="html">&lt;b&gt;T&lt;/b&gt;</title></item>'),
    document('<item><description mode="base64">VGVzdA==</description></item>'),
    document("<item><title>T</title><media:title>Media title</media:title></item>"),
    document("<item><title>T<b>markup</b></title></item>"),
    document('<item xml:base="https://other.example/"><title>T</title><link>/x</link></item>'),
    document('<item><title>T</title><guid ispermalink="false">g</guid></item>'),
    document("<item><title>T</title><enclosure url='https://e.org/a.mp3'/></item>"),
    document("<item><title>T</title><content:encoded>C</content:encoded></item>").replace(
        b"<rss ", b'<rss xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    ),
    document("<item><title>T</title><atom:link href='https://e.org/x' rel='alternate'/></item>"),
    document("<item><title>T</title><foo:bar xmlns:foo='urn:x'>x</foo:bar></item>"),
    document("", "<title>No items</title>"),
    document("<item><title>T</title></item>", "<title>A</title><title>B</title>"),
    document("<item><title>T</title></item>", "<textInput><title>Search</title></textInput>"),
    document("<item><title>T</title></item>").replace(b'version="2.0"', b'version="0.91"'),
    b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>Cut off</title></item>',
    b'<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel><item><title>'
    b"Caf\xe9</title></item></channel></rss>",
]


@pytest.mark.parametrize("body", FALLBACK)
def test_other_shapes_are_left_to_feedparser(body: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    if b"iso-8859-1" not in body:
        assert not taken(body)
    fast, slow = both(body, monkeypatch)
    assert fast == slow


def test_a_document_re_encoded_from_latin_1_reads_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = document("<item><title>Caf\u00e9 \u00a3</title></item>").replace(b"utf-8", b"iso-8859-1")
    body = body.decode("utf-8").encode("iso-8859-1")
    fast, slow = both(body, monkeypatch)
    assert fast == slow
    assert fast.headlines[0].title == "Caf\u00e9 \u00a3"


PIECES = {
    "title": [
        "Plain",
        "&amp; amp",
        "&lt;i&gt;x&lt;/i&gt;",
        "Â£ money",
        "\u0092",
        " pad ",
        "<![CDATA[a < b]]>",
        "",
        "Caf\u00e9",
        "\u00c3\u00a9t\u00c3\u00a9",
    ],
    "description": ["Sum", "&lt;p&gt;Para&lt;/p&gt;", "<![CDATA[<p>x &amp; y</p>]]>", "", "\u0080"],
    "link": [
        "https://e.org/a",
        "/rel/a",
        "//host.example/p",
        "https://e.org/q?x=1&amp;y=2",
        "https://e.org/q?x=1&amp;amp;y;=2",
        "HTTPS://E.ORG/Up?utm_source=rss",
        "javascript:alert(1)",
        "",
        " https://e.org/sp ",
        "https://e.org/\u00e9",
    ],
    "guid": ["g1", "https://e.org/g#1", "/rel/g", "", "Â£guid", "https://e.org/a"],
    "pubDate": [
        "Tue, 05 Mar 2024 09:30:00 GMT",
        "Tue, 05 Mar 2024 09:30:00 +0000",
        "05 Mar 2024 09:30:00 EST",
        "2024-03-05T09:30:00Z",
        "2024-03-05",
        "garbage",
        "",
        "Sun, 31 Mar 2024 01:30:00 BST",
    ],
}
GUID_KINDS = ["", ' isPermaLink="false"', ' isPermaLink="true"']


def random_item(rng: random.Random) -> str:
    parts = []
    for tag, pool in PIECES.items():
        if rng.random() < 0.8:
            attributes = rng.choice(GUID_KINDS) if tag == "guid" else ""
            parts.append(f"<{tag}{attributes}>{rng.choice(pool)}</{tag}>")
    if rng.random() < 0.3:
        parts.append(f"<dc:date>{rng.choice(PIECES['pubDate'])}</dc:date>")
    if rng.random() < 0.3:
        parts.append("<category>Politics</category>")
    rng.shuffle(parts)
    return "<item>" + "".join(parts) + "</item>"


@pytest.mark.parametrize("seed", range(40))
def test_random_plain_documents_read_as_feedparser_does(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    body = document("".join(random_item(rng) for _ in range(rng.randint(1, 12))))
    assert taken(body)
    fast, slow = both(body, monkeypatch)
    assert fast == slow
