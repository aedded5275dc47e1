"""Plain RSS 2.0 read without feedparser's SAX handlers, giving exactly what feedparser gives.

feedparser spends most of a parse in its Python handlers, one call per element. Most feeds the
bot polls are plain RSS 2.0 (the BBC's, the Guardian's): for those ElementTree (expat, in C)
reads the document, and the few fields parse.py uses are made by the steps feedparser applies
to them (strip, its URI join, its mis-decoded-UTF-8 repair, its cp1252 mapping, its link
repairs, its date parser). A document of any other shape (another format, an element or
attribute outside the lists below, a field given twice, markup inside a field) gets None, and
feedparser reads it as before; tests/pipeline/test_plain_rss.py holds the two readings equal.
"""

from __future__ import annotations

import contextlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from typing import Any

_DC = "{http://purl.org/dc/elements/1.1/}"
_MEDIA = "{http://search.yahoo.com/mrss/}"
_ATOM = "{http://www.w3.org/2005/Atom}"

# Fields read from an item (each at most once), and elements read by nobody, with the
# children they may have. feedparser lower-cases names and maps namespaces by URI, so only
# these exact names are taken: <Title>, <media:title> or an unknown namespace falls back.
_ITEM_FIELDS = frozenset({"title", "link", "description", "guid", "pubDate", f"{_DC}date"})
_ITEM_IGNORED: dict[str, frozenset[str]] = {
    "category": frozenset(),
    "comments": frozenset(),
    f"{_DC}creator": frozenset(),
    f"{_MEDIA}thumbnail": frozenset(),
    f"{_MEDIA}content": frozenset({f"{_MEDIA}credit"}),
}
_CHANNEL_FIELDS = frozenset({"title", "ttl"})
_IMAGE_PARTS = frozenset({"url", "title", "link", "width", "height", "description"})
_CHANNEL_IGNORED: dict[str, frozenset[str]] = {
    **dict.fromkeys(
        (
            "link",
            "description",
            "language",
            "copyright",
            "pubDate",
            "lastBuildDate",
            "generator",
            "docs",
            "managingEditor",
            "webMaster",
            "category",
            f"{_DC}date",
            f"{_DC}language",
            f"{_DC}rights",
            f"{_ATOM}link",
        ),
        frozenset(),
    ),
    "image": _IMAGE_PARTS,
}
_GUID_ATTRIBUTES = frozenset({"isPermaLink"})
# feedparser's repair of a link whose `&` it took for an entity.
_LINK_ENTITY = re.compile("&([A-Za-z0-9_]+);")

Entry = dict[str, Any]


class _NotPlain(Exception):
    """The document is not plain RSS 2.0 as this module reads it: feedparser reads it."""


def read_plain_rss(data: bytes) -> tuple[dict[str, str], list[Entry]] | None:
    """The feed fields (title, ttl) and entries feedparser would give for `data` (UTF-8, no
    DOCTYPE), or None when the document is not plain RSS 2.0 with at least one item."""
    try:
        root = ET.fromstring(data)  # noqa: S314 - defused: no DOCTYPE, so no entities
        return _read(root)
    except (ET.ParseError, _NotPlain):
        return None


def _read(root: ET.Element) -> tuple[dict[str, str], list[Entry]]:
    if root.tag != "rss" or root.attrib != {"version": "2.0"} or len(root) != 1:
        raise _NotPlain
    channel = root[0]
    if channel.tag != "channel" or channel.attrib:
        raise _NotPlain
    feed: dict[str, str] = {}
    entries: list[Entry] = []
    for child in channel:
        if child.tag == "item":
            entries.append(_entry(child))
        elif child.tag in _CHANNEL_FIELDS:
            if child.tag in feed:
                raise _NotPlain
            feed[child.tag] = _text(_field(child))
        else:
            _ignorable(child, _CHANNEL_IGNORED)
    if not entries:
        raise _NotPlain  # feedparser says whether an empty document is a feed
    return feed, entries


def _entry(item: ET.Element) -> Entry:
    if item.attrib:
        raise _NotPlain
    fields: dict[str, ET.Element] = {}
    for child in item:
        if child.tag in _ITEM_FIELDS:
            if child.tag in fields:
                raise _NotPlain
            fields[child.tag] = child
        else:
            _ignorable(child, _ITEM_IGNORED)
    entry: Entry = {}
    for tag, key in (("title", "title"), ("description", "summary")):
        if tag in fields:
            entry[key] = _text(_field(fields[tag]))
    for tag, key in (("pubDate", "published"), (f"{_DC}date", "updated")):
        if tag in fields:
            _dated(entry, key, _text(_field(fields[tag])))
    guid_link = _guid(entry, fields.get("guid"))
    if "link" in fields:
        entry["link"] = _link(_field(fields["link"]))
    elif guid_link is not None:
        # A permalink guid stands in for a missing <link>, as feedparser has it.
        entry["link"] = guid_link
    return entry


def _guid(entry: Entry, guid: ET.Element | None) -> str | None:
    """Store the guid as feedparser's `id`; the link it stands for, if it is a permalink."""
    if guid is None:
        return None
    if not guid.attrib.keys() <= _GUID_ATTRIBUTES or len(guid):
        raise _NotPlain
    permalink = guid.attrib.get("isPermaLink", "true") == "true"
    raw = (guid.text or "").strip()
    entry["id"] = _repaired(_joined(raw) if permalink and raw else raw)
    return entry["id"] if permalink else None


def _link(raw: str) -> str:
    stripped = raw.strip()
    output = _repaired(_joined(stripped) if stripped else stripped)
    return _LINK_ENTITY.sub(r"&\g<1>", output.replace("&amp;", "&"))


def _dated(entry: Entry, key: str, value: str) -> None:
    from feedparser.datetimes import _parse_date  # noqa: PLC0415 - as parse.py: workers only

    entry[key] = value
    entry[f"{key}_parsed"] = _parse_date(value)


def _field(element: ET.Element) -> str:
    """A field's text; attributes or child elements (markup, a type, base64) fall back."""
    if element.attrib or len(element):
        raise _NotPlain
    return element.text or ""


def _ignorable(element: ET.Element, allowed: dict[str, frozenset[str]]) -> None:
    """Raise unless the element, its attributes and children cannot change what is read."""
    parts = allowed.get(element.tag)
    if parts is None or _namespaced(element.attrib):
        raise _NotPlain
    for child in element:
        if child.tag not in parts or _namespaced(child.attrib) or len(child):
            raise _NotPlain


def _namespaced(attributes: Iterable[str]) -> bool:
    # xml:base would move the base links are resolved against; any other is unknown here.
    return any(name.startswith("{") for name in attributes)


def _text(value: str) -> str:
    """What feedparser makes of a field's text."""
    return _repaired(value.strip())


def _repaired(output: str) -> str:
    """feedparser's last steps for every field: mis-decoded UTF-8 repaired, C1 controls read
    as cp1252."""
    from feedparser.mixin import _cp1252  # noqa: PLC0415

    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        output = output.encode("iso-8859-1").decode("utf-8")
    return output.translate(_cp1252)


def _joined(uri: str) -> str:
    """feedparser's resolution of a link or permalink guid against its (empty) base."""
    from feedparser.urls import _urljoin  # noqa: PLC0415

    join: Callable[[str, str], str] = _urljoin
    return join("", uri)
