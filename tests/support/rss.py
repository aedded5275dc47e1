"""Builders for test feeds: RSS 2.0 and Atom 1.0 documents as bytes, properly escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

ATOM_NS = "http://www.w3.org/2005/Atom"


@dataclass
class Item:
    """One entry of a test feed; `published` must be timezone-aware when given."""

    title: str
    link: str
    guid: str | None = None
    published: datetime | None = None
    summary: str = ""
    guid_is_permalink: bool = False  # RSS only: BBC-style permalink GUIDs


def rfc822(when: datetime) -> str:
    """An RSS date: 'Tue, 02 Jan 2024 09:30:00 GMT'."""
    return format_datetime(_utc(when), usegmt=True)


def rfc3339(when: datetime) -> str:
    """An Atom date: '2024-01-02T09:30:00Z'."""
    return _utc(when).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc(when: datetime) -> datetime:
    if when.tzinfo is None:
        # A naive date would silently mean "local time" in one builder and UTC in another.
        raise ValueError("test feed dates must be timezone-aware")
    return when.astimezone(UTC)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    child = ET.SubElement(parent, tag, attrs)
    child.text = text
    return child


def rss_feed(
    title: str,
    items: Sequence[Item],
    *,
    link: str = "https://example.org/",
    ttl: int | None = None,
    description: str = "Test feed",
) -> bytes:
    """An RSS 2.0 document; `ttl` is in minutes, as the spec says."""
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _sub(rss, "channel")
    _sub(channel, "title", title)
    _sub(channel, "link", link)
    _sub(channel, "description", description)
    if ttl is not None:
        _sub(channel, "ttl", str(ttl))
    for item in items:
        node = _sub(channel, "item")
        _sub(node, "title", item.title)
        _sub(node, "link", item.link)
        if item.summary:
            _sub(node, "description", item.summary)
        if item.guid is not None:
            permalink = "true" if item.guid_is_permalink else "false"
            _sub(node, "guid", item.guid, isPermaLink=permalink)
        if item.published is not None:
            _sub(node, "pubDate", rfc822(item.published))
    document: bytes = ET.tostring(rss, encoding="utf-8", xml_declaration=True)
    return document


def atom_feed(
    title: str,
    items: Sequence[Item],
    *,
    link: str = "https://example.org/",
    feed_id: str | None = None,
    updated: datetime | None = None,
) -> bytes:
    """An Atom 1.0 document; entries without a date get no <published>/<updated>."""
    ns = f"{{{ATOM_NS}}}"
    feed = ET.Element(f"{ns}feed")
    _sub(feed, f"{ns}title", title)
    _sub(feed, f"{ns}link", href=link)
    _sub(feed, f"{ns}id", feed_id or link)
    dates = [i.published for i in items if i.published is not None]
    stamp = updated or max(dates, default=datetime(2024, 1, 1, tzinfo=UTC))
    _sub(feed, f"{ns}updated", rfc3339(stamp))
    for item in items:
        entry = _sub(feed, f"{ns}entry")
        _sub(entry, f"{ns}title", item.title)
        _sub(entry, f"{ns}link", href=item.link)
        _sub(entry, f"{ns}id", item.guid or item.link)
        if item.published is not None:
            _sub(entry, f"{ns}published", rfc3339(item.published))
            _sub(entry, f"{ns}updated", rfc3339(item.published))
        if item.summary:
            _sub(entry, f"{ns}summary", item.summary)
    # The default namespace keeps tags as plain <feed>/<entry>, as real feeds write them.
    ET.register_namespace("", ATOM_NS)
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document


_SURNAMES = ["Ashby", "Barlow", "Carver", "Dalton", "Easton", "Fenwick", "Garner", "Hollis"]


def defection_item(index: int, prefix: str) -> Item:
    """A distinct defection for load and crash tests: a different named MP each time (so each is
    its own event), published a minute ago, its link and guid under `prefix`."""
    first = _SURNAMES[index % len(_SURNAMES)]
    last = f"{_SURNAMES[(index // len(_SURNAMES)) % len(_SURNAMES)]}{index}"
    return Item(
        f"Tory MP {first} {last} defects to Labour",
        f"https://news.example/{prefix}/{index}",
        guid=f"{prefix}-{index}",
        published=datetime.now(UTC) - timedelta(minutes=1),
    )
