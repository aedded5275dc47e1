"""Stage 2: feed bytes → Headlines (plain text, canonical link, UTC time).

Pure and synchronous so the cycle can run it in a process pool: bytes and strings in, frozen
dataclasses out. feedparser does the format work; this module defuses the document first and
normalises what comes back.
"""

from __future__ import annotations

import hashlib
import math
import re
import xml.sax
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.domain import Headline, pickled_by_fields
from bot.errors import ParseError
from bot.pipeline.normalise import canonical_url, plain_text
from bot.pipeline.plain_rss import read_plain_rss

TITLE_LIMIT = 300
SUMMARY_LIMIT = 600
_WARNING_LIMIT = 200
_GUID_LIMIT = 1000

_FIRST_ELEMENT = re.compile(r"<[A-Za-z_]")
_ENTITY_DECL = re.compile(r"<!ENTITY", re.IGNORECASE)
_URL_GUID = re.compile(r"https?://", re.IGNORECASE)
# What feedparser is told of a document _defuse re-encoded as UTF-8.
_AS_UTF8 = {"content-type": "application/xml; charset=utf-8"}
_ENTRY_CLOSE = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\s*>", re.IGNORECASE)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """One parsed document: the feed's own title, its headlines in feed order, hints for polling."""

    title: str
    headlines: tuple[Headline, ...]
    ttl: float | None  # RSS <ttl>, in seconds
    warning: str | None  # why feedparser flagged a document it could still read


def _end_of_decl(text: str, start: int) -> int:
    """Index just past the `<!DOCTYPE …>` at `start`, honouring quotes and the internal subset."""
    depth, quote, i = 0, "", start + 2
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
        elif text.startswith("<!--", i):
            end = text.find("-->", i + 4)
            i = len(text) if end < 0 else end + 3
            continue
        elif ch in "\"'":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(0, depth - 1)
        elif ch == ">" and depth == 0:
            return i + 1
        i += 1
    return len(text)


def _strip_doctypes(text: str) -> tuple[str, bool]:
    """Drop every DOCTYPE in the prolog; return the text and whether one declared entities."""
    i = 3 if text.startswith("\xef\xbb\xbf") else 0  # a UTF-8 BOM, seen as latin-1
    declared = False
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if text.startswith("<?", i) or text.startswith("<!--", i):
            close = "?>" if text[i + 1] == "?" else "-->"
            end = text.find(close, i + 2)
            if end < 0:
                break
            i = end + len(close)
        elif text[i : i + 9].upper() == "<!DOCTYPE":
            end = _end_of_decl(text, i)
            declared = declared or bool(_ENTITY_DECL.search(text, i, end))
            text = text[:i] + text[end:]
        else:
            break
    return text, declared


def _has_head_entities(text: str) -> bool:
    """Whether entity declarations remain before the root element (a DOCTYPE we did not reach)."""
    root = _FIRST_ELEMENT.search(text)
    return bool(_ENTITY_DECL.search(text, 0, root.start() if root else len(text)))


@dataclass(frozen=True, slots=True)
class _Defused:
    data: bytes  # UTF-8 when `headers` says so, else the raw bytes
    headers: dict[str, str]  # what feedparser should be told about `data`
    encoding_issue: Any  # feedparser's complaint about the declared encoding, if any
    had_entities: bool  # a DOCTYPE declaring entities was removed


def _defuse(feed_name: str, body: bytes, content_type: str | None) -> _Defused:
    """Decode as feedparser would, then drop DOCTYPEs so no entity is ever expanded or fetched."""
    # Scanning raw bytes would miss a DOCTYPE written in UTF-16 or UTF-7, which feedparser honours.
    # Imported here and in _run_feedparser, not at the top: the main process imports this module
    # only to name parse_feed in the jobs it sends the workers, and feedparser is slow to import.
    from feedparser.encodings import convert_to_utf8  # noqa: PLC0415

    headers = {"content-type": content_type} if content_type else {}
    info: dict[str, Any] = {}
    try:
        data = convert_to_utf8(headers, body, info)
    except Exception as exc:  # hostile input must never kill the cycle with a library bug
        raise ParseError(feed_name, f"undecodable: {type(exc).__name__}") from exc
    if info.get("encoding"):
        headers = dict(_AS_UTF8)
    # latin-1 maps bytes 1:1, so this works on UTF-8 and on undecodable raw bytes alike.
    text, declared = _strip_doctypes(data.decode("latin-1"))
    if _has_head_entities(text):
        raise ParseError(feed_name, "entity declarations outside a DOCTYPE")
    return _Defused(text.encode("latin-1"), headers, info.get("bozo_exception"), declared)


def _reason(exc: object) -> str:
    """feedparser's bozo exception as one short line."""
    if isinstance(exc, xml.sax.SAXParseException):
        text = f"not well-formed XML (line {exc.getLineNumber()}): {exc.getMessage()}"
    elif isinstance(exc, str):
        text = exc
    else:
        text = f"{type(exc).__name__}: {exc}"
    text = " ".join(text.split())
    return text if len(text) <= _WARNING_LIMIT else text[: _WARNING_LIMIT - 1] + "…"


def _published(entry: Any) -> datetime | None:
    # Plain dict access: FeedParserDict maps updated→published with a DeprecationWarning.
    for key in ("published_parsed", "updated_parsed"):
        value = dict.get(entry, key)
        if value is None:
            continue
        try:
            year, month, day, hour, minute, second = value[:6]
            # feedparser has already converted to UTC; a leap second (60) is not a datetime.
            return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
        except (TypeError, ValueError, OverflowError):
            continue
    return None


def _ttl(feed: Any) -> float | None:
    try:
        minutes = float(str(feed.get("ttl", "")).strip())
    except ValueError:
        return None
    return minutes * 60 if math.isfinite(minutes) and minutes > 0 else None


def _guid(entry: Any) -> str:
    guid = str(entry.get("id") or "").strip()
    # BBC's "#0"/"#1" suffix changes between polls; only URL guids have fragments to drop.
    if _URL_GUID.match(guid):
        guid = guid.split("#", 1)[0]
    if len(guid) > _GUID_LIMIT:
        guid = "sha256:" + hashlib.sha256(guid.encode("utf-8", "replace")).hexdigest()
    return guid


def _hash_key(title: str, summary: str, published: datetime | None, raw_date: str) -> str:
    date = published.isoformat() if published else raw_date.strip()
    basis = f"{(title or summary).casefold()}\n{date}"
    return "hash:" + hashlib.sha256(basis.encode("utf-8", "replace")).hexdigest()


@dataclass(slots=True)
class _Item:
    guid: str
    link: str
    fallback: str  # the key without a guid: link, else hash


def _keys(items: list[_Item]) -> list[str]:
    """entry_key for each item, applying the per-document guid rules in FEEDS.md."""
    counts = Counter(item.guid for item in items if item.guid)
    bad = sum(1 for item in items if not item.guid or counts[item.guid] > 1)
    if items and bad * 2 > len(items):
        return [item.fallback for item in items]
    links: dict[str, set[str]] = {}
    for item in items:
        links.setdefault(item.guid, set()).add(item.link)
    keys: list[str] = []
    for item in items:
        if not item.guid:
            keys.append(item.fallback)
        elif len(links[item.guid]) > 1:  # one guid reused for different items
            keys.append(f"guid:{item.guid}|{item.link or item.fallback}")
        else:
            keys.append(f"guid:{item.guid}")
    return keys


def _complete(body: bytes, entries: list[Any], bozo: object) -> list[Any]:
    """Drop trailing entries a broken document never closed: a cut-off title must not alert."""
    if not isinstance(bozo, xml.sax.SAXException):
        return entries
    closed = len(_ENTRY_CLOSE.findall(body))
    return entries[:closed] if closed < len(entries) else entries


def _summary(entry: Any) -> str:
    summary = entry.get("summary")
    if not summary:
        content = entry.get("content") or []
        summary = content[0].get("value", "") if content else ""
    return str(summary or "")


def parse_feed(
    feed_name: str,
    body: bytes,
    *,
    content_type: str | None = None,
    base_url: str | None = None,
    outlet: str | None = None,
) -> ParsedFeed:
    """Parse one fetched document into Headlines; raise ParseError when it is not a usable feed."""
    if not body.strip():
        raise ParseError(feed_name, "empty document")
    defused = _defuse(feed_name, body, content_type)
    plain = read_plain_rss(defused.data) if _plain_candidate(defused) else None
    if plain is not None:
        feed, entries, bozo = plain[0], plain[1], None
    else:
        result = _run_feedparser(feed_name, defused)
        bozo = result.get("bozo_exception") if result.get("bozo") else defused.encoding_issue
        entries = _complete(defused.data, result.get("entries") or [], bozo)
        if not entries:
            _refuse_if_unusable(feed_name, body, result, bozo)
        feed = result.get("feed") or {}
    feed_title = plain_text(str(feed.get("title") or ""), TITLE_LIMIT)
    shown_outlet = outlet or feed_title or feed_name
    headlines = _headlines(feed_name, entries, base_url, shown_outlet)
    return ParsedFeed(feed_title, headlines, _ttl(feed), _warning(bozo, defused.had_entities))


def _plain_candidate(defused: _Defused) -> bool:
    """Whether plain_rss may read the document: UTF-8 now, with nothing feedparser complained
    about or that _defuse removed (those keep feedparser's own reading and warnings)."""
    return (
        defused.headers == _AS_UTF8 and defused.encoding_issue is None and not defused.had_entities
    )


def load_feedparser() -> None:
    """Import feedparser now (slow to import: see _defuse), in a parse worker warming up."""
    import feedparser  # noqa: F401, PLC0415


def _run_feedparser(feed_name: str, defused: _Defused) -> Any:
    """feedparser's reading of the defused document; its own failures become ParseError."""
    import feedparser  # noqa: PLC0415 - see _defuse

    try:
        # We strip HTML ourselves, so feedparser's sanitiser and URI rewriting are wasted work.
        # No content-location: feedparser would resolve non-URL guids against it, and identity
        # would then depend on where the feed was fetched from. We resolve links ourselves.
        return feedparser.parse(
            defused.data,
            response_headers=defused.headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:  # hostile input must never kill the cycle with a library bug
        raise ParseError(feed_name, f"feedparser failed: {type(exc).__name__}") from exc


def _refuse_if_unusable(feed_name: str, body: bytes, result: Any, bozo: object) -> None:
    """An entry-less document: raise ParseError unless it is a well-formed feed listing nothing."""
    if not result.get("version"):
        head = body[:1024].lower()
        if b"<html" in head or b"<!doctype html" in head:
            raise ParseError(feed_name, "an HTML page, not a feed")
        raise ParseError(feed_name, _reason(bozo) if bozo else "not an RSS or Atom feed")
    if isinstance(bozo, xml.sax.SAXException):
        raise ParseError(feed_name, _reason(bozo))


def _headlines(
    feed_name: str, entries: list[Any], base_url: str | None, outlet: str
) -> tuple[Headline, ...]:
    """The entries as Headlines in feed order, each with its entry_key."""
    items: list[_Item] = []
    drafts: list[tuple[str, str, str, datetime | None]] = []
    for entry in entries:
        title = plain_text(str(entry.get("title") or ""), TITLE_LIMIT)
        summary = plain_text(_summary(entry), SUMMARY_LIMIT)
        link = canonical_url(str(entry.get("link") or ""), base_url)
        published = _published(entry)
        raw_date = str(entry.get("published") or dict.get(entry, "updated") or "")
        fallback = f"link:{link}" if link else _hash_key(title, summary, published, raw_date)
        items.append(_Item(_guid(entry), link, fallback))
        drafts.append((link, title, summary, published))
    return tuple(
        Headline(feed_name, key, link, title, summary, published, outlet)
        for key, (link, title, summary, published) in zip(_keys(items), drafts, strict=True)
    )


def _warning(bozo: object, had_entities: bool) -> str | None:
    """Why a readable document was still flagged, for the log; None when it was clean."""
    warning = _reason(bozo) if bozo is not None else None
    if had_entities:  # the cause of any "undefined entity" complaint, so it goes first
        warning = _reason(
            "DOCTYPE with entity declarations removed" + (f"; {warning}" if warning else "")
        )
    return warning
