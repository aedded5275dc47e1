"""Typed readers for TOML files and values: each failure names the file, the key and what is wrong.

The config file and the category rules file are both read with these, so a value is checked the
same way wherever it is written. A `Table` declares the plain keys of one config table; its
defaults are the fields of the settings dataclass it fills, so each is written once.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from bot.errors import ConfigError


@dataclass(frozen=True, slots=True)
class TomlKind:
    """What messages call one kind of TOML file."""

    noun: str  # "config file"
    missing: str  # said of a file that does not exist
    invalid: str  # said of a file whose TOML does not parse


def read_toml_text(path: Path, kind: TomlKind) -> str:
    """The text of a TOML file; a file that cannot be read is a ConfigError naming it."""
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: {kind.missing}") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a {kind.noun}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {kind.noun} ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: cannot read {kind.noun} (not UTF-8: {exc.reason})") from None


def parse_toml(source: str, text: str, kind: TomlKind) -> dict[str, Any]:
    """`text` parsed as TOML; a syntax error is a ConfigError naming `source`."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message carries the line and column
        raise ConfigError(f"{source}: {kind.invalid}: {exc}") from None


def load_toml(path: Path, kind: TomlKind) -> dict[str, Any]:
    """Read and parse a TOML file, any failure a ConfigError naming it."""
    return parse_toml(str(path), read_toml_text(path, kind), kind)


Kind = Literal["number", "integer", "boolean", "string", "url", "strings", "path"]


@dataclass(frozen=True, slots=True)
class Key:
    """One plain key of a table: its TOML name, its type and, for numbers, its range."""

    name: str
    kind: Kind
    limits: tuple[float, float] | None = None  # inclusive
    field: str = ""  # the settings field it fills, when not named like the key

    @property
    def attribute(self) -> str:
        """The settings field this key fills."""
        return self.field or self.name


@dataclass(frozen=True, slots=True)
class Table:
    """A TOML table of plain keys, and the settings dataclass whose field defaults they take."""

    name: str
    owner: Any  # a dataclass type
    keys: tuple[Key, ...]

    def defaults(self) -> dict[str, Any]:
        """Each key's default, by settings field; None for a field without one."""
        values = {f.name: None if f.default is MISSING else f.default for f in fields(self.owner)}
        return {key.attribute: values[key.attribute] for key in self.keys}


@dataclass(frozen=True, slots=True)
class EnvUnset:
    """A URL to be read from an environment variable that is unset or blank: that URL is off."""

    where: str  # "file: [webhooks #1] url_env", for the notice
    variable: str

    def notice(self, what: str) -> str:
        """The one line that says so."""
        return f"{self.where}: {self.variable} is unset or blank, so {what} is off"


class Section:
    """One TOML table being read: remembers which keys were used so the rest can be rejected."""

    def __init__(self, source: str, name: str, data: object, *, label: str = "") -> None:
        self.source = source
        self.name = name
        self.label = label or f"[{name}]"  # how messages name the table
        if not isinstance(data, Mapping):
            raise self.not_a_table(data)
        self.data: Mapping[str, Any] = data

    def where(self, key: str) -> str:
        """The 'file: [section] key' prefix for a message."""
        return f"{self.source}: {self.label} {key}"

    def not_a_table(self, value: object) -> ConfigError:
        """The error for a table written as some other value."""
        return ConfigError(f"{self.source}: {self.label} must be a table, got {_kind(value)}")

    def unknown_key(self, key: str, known: set[str]) -> ConfigError:
        """The error for a key this table does not have."""
        options = ", ".join(sorted(known))
        return ConfigError(f"{self.where(key)}: unknown key (known keys: {options})")

    def wrong_type(self, key: str, expected: str, value: object) -> ConfigError:
        """The error for a value of the wrong type."""
        return ConfigError(f"{self.where(key)}: expected {expected}, got {_kind(value)}")

    def reject_unknown(self, allowed: Iterable[str]) -> None:
        """Raise for the first key that is not one of `allowed`."""
        known = set(allowed)
        for key in self.data:
            if key not in known:
                raise self.unknown_key(key, known)

    def read(self, table: Table, base: Path | None = None) -> dict[str, Any]:
        """Every key of `table` (its default when absent), by the settings field it fills."""
        self.reject_unknown(key.name for key in table.keys)
        defaults = table.defaults()
        return {
            key.attribute: _READERS[key.kind](self, key, defaults[key.attribute], base)
            for key in table.keys
        }

    def number(
        self, key: str, default: float | None = None, *, limits: tuple[float, float] | None = None
    ) -> float:
        """A number, within `limits` when they are given."""
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.wrong_type(key, "a number", value)
        if limits is not None and not limits[0] <= value <= limits[1]:
            raise ConfigError(
                f"{self.where(key)}: {value} is out of range ({limits[0]:g} to {limits[1]:g})"
            )
        return float(value)

    def integer(self, key: str, default: int, *, limits: tuple[int, int]) -> int:
        """A whole number within `limits`."""
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.wrong_type(key, "a whole number", value)
        if not limits[0] <= value <= limits[1]:
            raise ConfigError(
                f"{self.where(key)}: {value} is out of range ({limits[0]} to {limits[1]})"
            )
        return value

    def string(self, key: str, default: str | None = None) -> str | None:
        """A string, or `default` when absent."""
        value = self.data.get(key, default)
        if value is not None and not isinstance(value, str):
            raise self.wrong_type(key, "a string", value)
        return value

    def line(self, key: str, value: object = None) -> str:
        """A non-empty one-line string: `value` when given, else the key's."""
        if value is None:
            value = self.data.get(key)
        if not isinstance(value, str) or not value.strip() or "\n" in value:
            raise self.wrong_type(key, "a non-empty one-line string", value)
        return value

    def lines(self, key: str, default: list[str] | None = None) -> list[str]:
        """A non-empty list of non-empty one-line strings."""
        value = self.data.get(key, default)
        if not isinstance(value, list) or not value:
            raise self.wrong_type(key, "a non-empty list of strings", value)
        return [self.line(f"{key}[{i}]", item) for i, item in enumerate(value)]

    def boolean(self, key: str, default: bool) -> bool:
        """true or false."""
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self.wrong_type(key, "true or false", value)
        return value

    def string_list(self, key: str) -> tuple[str, ...] | None:
        """A list of strings (ids may be written as integers), or None when absent."""
        if key not in self.data:
            return None
        value = self.data[key]
        if not isinstance(value, list):
            raise self.wrong_type(key, "a list", value)
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

    def url_or_env(
        self, key: str, env_key: str, environ: Mapping[str, str]
    ) -> str | EnvUnset | None:
        """A URL written under `key` or read from the variable named under `env_key`; None when
        neither key is given, EnvUnset when the variable is unset or blank (that URL is off)."""
        inline = self.string(key)
        env_name = self.string(env_key)
        if inline is not None and env_name is not None:
            raise ConfigError(f"{self.where(key)}: give {key} or {env_key}, not both")
        if env_name is None:
            return self.url(key)
        value = environ.get(env_name, "").strip()
        if not value:
            # .env files ship such variables blank on purpose: blank means "not wanted yet".
            return EnvUnset(self.where(env_key), env_name)
        check_url(value, f"{self.where(env_key)} ({env_name})")
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


# How each kind of plain key is read: (section, key, default, the config file's folder) → value.
_READERS: dict[Kind, Callable[[Section, Key, Any, Path | None], Any]] = {
    "number": lambda s, k, default, _: s.number(k.name, default, limits=k.limits),
    "integer": lambda s, k, default, _: s.integer(k.name, default, limits=_whole(k.limits)),
    "boolean": lambda s, k, default, _: s.boolean(k.name, default),
    "string": lambda s, k, default, _: s.string(k.name, default),
    "url": lambda s, k, default, _: s.url(k.name, default),
    "strings": lambda s, k, default, _: _or_default(s.string_list(k.name), default),
    "path": lambda s, k, _, base: s.path(k.name, base),
}


def _whole(limits: tuple[float, float] | None) -> tuple[int, int]:
    assert limits is not None  # noqa: S101 - every integer key declares its range
    return int(limits[0]), int(limits[1])


def _or_default(value: Any, default: Any) -> Any:
    return default if value is None else value


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
