"""Masking of secrets (tokens, webhook URLs) wherever they could be printed or logged."""

from __future__ import annotations

from urllib.parse import urlsplit

MASK = "…"


def mask_url(url: str) -> str:
    """'https://discord.com/api/webhooks/123/…': scheme, host and a few leading path segments.

    Kept: at most three segments, never the last one (where tokens live), never a segment of 24+
    characters (token-like), never user info or the query string.
    """
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "…"
    if not parts.scheme or not host:
        return "…"
    segments = [s for s in parts.path.split("/") if s]
    kept: list[str] = []
    for segment in segments[:-1][:3]:
        if len(segment) >= 24:
            break
        kept.append(segment)
    host = f"[{host}]" if ":" in host else host  # IPv6
    masked = f"{parts.scheme}://{host}{port}"
    if kept:
        masked += "/" + "/".join(kept)
    if len(kept) < len(segments) or parts.query or parts.fragment or parts.username:
        masked += "/…"
    return masked


def mask_token(token: str | None) -> str:
    """'set (…xyz1)'-style hint that a token is present, without revealing it."""
    if not token:
        return "not set"
    return "set (" + MASK + ")"
