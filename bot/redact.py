"""Masking of secrets (tokens, webhook URLs) wherever they could be printed or logged."""

from __future__ import annotations

from urllib.parse import urlsplit

MASK = "…"


def mask_url(url: str) -> str:
    """Keep scheme, host and the first path segment; hide the rest (webhook URLs hold tokens)."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return MASK
    segments = [s for s in parts.path.split("/") if s]
    shown = f"/{segments[0]}" if segments else ""
    hidden = len(segments) > 1 or bool(parts.query) or bool(parts.fragment)
    return f"{parts.scheme}://{parts.hostname}{shown}{'/' + MASK if hidden else ''}"


def mask_token(token: str | None) -> str:
    """'set (…xyz1)'-style hint that a token is present, without revealing it."""
    if not token:
        return "not set"
    return "set (" + MASK + ")"
