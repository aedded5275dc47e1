"""[storage]: the SQLite file (path) or a PostgreSQL database (url / url_env), and retention."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.config.schema import Section
from bot.config.types import STORAGE, StorageSettings
from bot.errors import ConfigError
from bot.store.urls import is_postgres_url

URL_KEYS = ("url", "url_env")


def read_storage(
    source: str,
    raw: dict[str, Any],
    base: Path | None,
    default_path: Path,
    environ: Mapping[str, str],
) -> StorageSettings:
    """[storage] as settings: the path defaults to `default_path`; a URL selects PostgreSQL."""
    data = raw.get("storage", {})
    section = Section(source, "storage", data)
    plain = {k: v for k, v in data.items() if k not in URL_KEYS} if isinstance(data, dict) else data
    values = Section(source, "storage", plain).read(STORAGE, base)
    values["path"] = values["path"] or default_path
    return StorageSettings(**values, url=database_url(section, environ))


def database_url(section: Section, environ: Mapping[str, str]) -> str | None:
    """The PostgreSQL URL from `url` or the variable `url_env` names; None for SQLite.

    A URL is never echoed in an error (it may carry a password). A url_env naming an unset
    variable is an error, not a quiet fall back to SQLite: replicas that each opened a file of
    their own would each alert.
    """
    inline, env_name = section.string("url"), section.string("url_env")
    if inline is not None and env_name is not None:
        raise ConfigError(f"{section.where('url')}: give url or url_env, not both")
    if env_name is not None:
        where = f"{section.where('url_env')} ({env_name})"
        value = environ.get(env_name, "").strip()
        if not value:
            raise ConfigError(
                f"{where}: the variable is unset or blank; set it to a postgresql:// URL, or "
                "remove url_env to keep the database in the SQLite file at [storage] path"
            )
    elif inline is not None:
        where, value = section.where("url"), inline.strip()
        if urlsplit(value).password is not None:
            raise ConfigError(
                f"{where}: a password does not belong in the config file; put the URL in an "
                "environment variable and name it with url_env (or set PGPASSWORD)"
            )
    else:
        return None
    if not is_postgres_url(value):
        raise ConfigError(f"{where}: not a postgresql:// URL")
    return value
