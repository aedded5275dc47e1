"""Text and URL normalisers for the parse stage: HTML → plain text, link → canonical URL."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import quote, unquote_plus, urljoin, urlsplit

# Tracking parameters: they change per campaign, not per article, so they must not split identity.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid",
        "mc_cid", "mc_eid", "mkt_tok", "_ga", "_gl", "ocid", "cmpid", "cmp", "ito", "icid",
        "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname", "ns_fee",
        "__twitter_impression", "smid", "sr_share", "wt.mc_id", "xtor", "s_cid",
    }
)  # fmt: skip
_TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "hsa_")
_DEFAULT_PORTS = {"http": 80, "https": 443}

# Characters that hide or reorder text: zero-width, bidi embeddings/overrides/isolates, BOM.
_INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
# C0/C1 controls; tab and newlines become spaces first, so they survive as word breaks.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_TAG_LIKE = re.compile(r"<[A-Za-z/!?]")
_SKIP_CONTENT = frozenset({"script", "style", "template", "noscript", "iframe", "object"})
_BREAKS = frozenset({"br", "p", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6"})
# Markup per visible character varies a lot; this keeps a hostile 5 MB description cheap to clean.
_RAW_PER_CHAR = 50
_RAW_FLOOR = 20_000


class _TextExtractor(HTMLParser):
    """Collects the text a browser would show, dropping scripts, styles and markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_CONTENT:
            self._skipping += 1
        elif tag in _BREAKS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # A self-closed <script/> has no content to skip; only <br/> and friends matter.
        if tag in _BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_CONTENT:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def _strip_markup(raw: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(raw)
    extractor.close()
    return "".join(extractor.parts)


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    if limit <= 1:
        return "…"[:limit]
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    # Prefer a word boundary, unless the only one is so early that most of the text would go.
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + "…"


def plain_text(raw: str, limit: int) -> str:
    """HTML or plain text → one line of plain text, at most `limit` characters."""
    budget = max(limit * _RAW_PER_CHAR, _RAW_FLOOR)
    if len(raw) > budget:
        raw = raw[:budget]
        # A tag cut in half would otherwise come out as literal text.
        lt = raw.rfind("<")
        if lt > raw.rfind(">"):
            raw = raw[:lt]
    # Without a tag or an entity the parser would hand the text back unchanged.
    text = _strip_markup(raw) if "<" in raw or "&" in raw else raw
    # Double-escaped HTML (&amp;lt;b&amp;gt;) is common in feeds: one more pass removes those tags.
    if _TAG_LIKE.search(text):
        text = _strip_markup(text)
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    return _truncate(" ".join(text.split()), limit)


def _is_tracking(key: str) -> bool:
    name = unquote_plus(key).strip().lower()
    return name in _TRACKING_PARAMS or name.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str, base: str | None = None) -> str:
    """A link as one stable http(s) string: no tracking parameters, fragment or default port."""
    # Feeds wrap links over lines and pad them; browsers drop tabs and newlines anywhere in a URL.
    url = re.sub(r"[\t\r\n]", "", url).strip(" \x00\x0b\x0c")
    if not url:
        return ""
    try:
        if base:
            url = urljoin(base.strip(), url)
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        port = parts.port
    except ValueError:  # bad IPv6 literal or port
        return ""
    if scheme not in _DEFAULT_PORTS or not host:
        return ""
    host = host.rstrip(".")
    if ":" in host:  # IPv6 literal: urlsplit drops the brackets
        host = f"[{host}]"
    # Credentials never belong in a posted link, and they would split identity.
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    kept = [p for p in parts.query.split("&") if p and not _is_tracking(p.split("=", 1)[0])]
    query = quote("&".join(kept), safe="/%:@!$&'()*+,;=-._~?")
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")
