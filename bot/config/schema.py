"""Typed readers for TOML values: each failure names the file, the key and what is wrong."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.errors import ConfigError


class Section:
    """One TOML table being read: remembers which keys were used so the rest can be rejected."""

    def __init__(self, source: str, name: str, data: object) -> None:
        if not isinstance(data, Mapping):
            raise ConfigError(f"{source}: [{name}] must be a table, got {_kind(data)}")
        self.source = source
        self.name = name
        self.data: Mapping[str, Any] = data

    def where(self, key: str) -> str:
        """The 'file: [section] key' prefix for a message."""
        return f"{self.source}: [{self.name}] {key}"

    def reject_unknown(self, allowed: Iterable[str]) -> None:
        """Raise for the first key that is not one of `allowed`."""
        known = set(allowed)
        for key in self.data:
            if key not in known:
                options = ", ".join(sorted(known))
                raise ConfigError(f"{self.where(key)}: unknown key (known keys: {options})")

    def number(self, key: str, default: float, *, minimum: float, maximum: float) -> float:
        """A number within [minimum, maximum]."""
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{self.where(key)}: expected a number, got {_kind(value)}")
        if not minimum <= value <= maximum:
            raise ConfigError(
                f"{self.where(key)}: {value} is out of range ({minimum:g} to {maximum:g})"
            )
        return float(value)

    def integer(self, key: str, default: int, *, minimum: int, maximum: int) -> int:
        """A whole number within [minimum, maximum]."""
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{self.where(key)}: expected a whole number, got {_kind(value)}")
        if not minimum <= value <= maximum:
            raise ConfigError(
                f"{self.where(key)}: {value} is out of range ({minimum} to {maximum})"
            )
        return value

    def string(self, key: str, default: str | None = None) -> str | None:
        """A string, or `default` when absent."""
        value = self.data.get(key, default)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{self.where(key)}: expected a string, got {_kind(value)}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        """true or false."""
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(f"{self.where(key)}: expected true or false, got {_kind(value)}")
        return value

    def string_list(self, key: str) -> tuple[str, ...] | None:
        """A list of strings (ids may be written as integers), or None when absent."""
        if key not in self.data:
            return None
        value = self.data[key]
        if not isinstance(value, list):
            raise ConfigError(f"{self.where(key)}: expected a list, got {_kind(value)}")
        items: list[str] = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, str | int):
                raise ConfigError(f"{self.where(key)}: list items must be strings, got {item!r}")
            items.append(str(item))
        return tuple(items)

    def url(self, key: str, default: str | None = None) -> str | None:
        """An absolute http(s) URL."""
        value = self.string(key, default)
        if value is not None:
            check_url(value, self.where(key))
        return value

    def path(self, key: str, base: Path | None) -> Path | None:
        """A path; relative ones are taken from the config file's folder."""
        value = self.string(key)
        if value is None:
            return None
        if not value.strip():
            raise ConfigError(f"{self.where(key)}: must not be empty")
        path = Path(value).expanduser()
        if not path.is_absolute() and base is not None:
            path = base / path
        return path


def check_url(value: str, where: str) -> None:
    """Raise unless `value` is an absolute http(s) URL with a host."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # Never echo the value: it may be a webhook URL, which is a secret.
        raise ConfigError(f"{where}: not an absolute http(s) URL")


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, str):
        return f"a string ({value[:40]!r})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a table"
    return type(value).__name__
