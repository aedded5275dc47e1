"""Database URLs: which backend one names, and how to show one without its password.

Apart from bot/store/postgres.py so that reading and printing the config never imports asyncpg.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

POSTGRES_SCHEMES = ("postgresql", "postgres")


def is_postgres_url(url: str) -> bool:
    """Whether `url` names a PostgreSQL database (postgresql:// or postgres://)."""
    return urlsplit(url).scheme in POSTGRES_SCHEMES


def mask_password(url: str) -> str:
    """The URL with any password replaced by ***, for logs and messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))
