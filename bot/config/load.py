"""Reading the config: TOML file + environment → validated, immutable Settings."""

from __future__ import annotations

import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import platformdirs

from bot.config.ops import read_ops
from bot.config.schema import Section, check_url
from bot.config.types import (
    DISCORD_API_BASE,
    SLACK_API_BASE,
    DiscordSettings,
    PollingSettings,
    Secrets,
    Settings,
    SlackSettings,
    StorageSettings,
    WebhookSettings,
)
from bot.domain import FeedSource
from bot.errors import ConfigError

CONFIG_ENV = "DIVISION_BELL_CONFIG"
DATA_ENV = "DIVISION_BELL_DATA"
# Beats [http] listen: the Docker image sets it to 0.0.0.0:8080, even under a mounted config.
LISTEN_ENV = "DIVISION_BELL_HTTP_LISTEN"
DB_FILENAME = "division-bell.sqlite3"
PLATFORMS = ("discord", "slack")


def find_config_path(cli_path: str | None, env: dict[str, str] | None = None) -> Path | None:
    """--config, else $DIVISION_BELL_CONFIG, else None (built-in defaults)."""
    source = os.environ if env is None else env
    chosen = cli_path or source.get(CONFIG_ENV) or None
    return Path(chosen).expanduser() if chosen else None


def default_data_dir(env: dict[str, str] | None = None) -> Path:
    """$DIVISION_BELL_DATA, else the user's data directory."""
    source = os.environ if env is None else env
    chosen = source.get(DATA_ENV)
    if chosen:
        return Path(chosen).expanduser()
    return Path(platformdirs.user_data_dir("division-bell", appauthor=False))


def load_settings(path: Path | None, env: dict[str, str] | None = None) -> Settings:
    """Read and validate a config file (or the built-in defaults when `path` is None)."""
    raw: dict[str, Any] = {}
    source = "built-in defaults"
    base: Path | None = None
    if path is not None:
        source = str(path)
        base = path.resolve().parent
        raw = _read_toml(path)
    top = Section(source, "top level", raw)
    top.reject_unknown(
        [
            "storage",
            "polling",
            "classifier",
            "feeds",
            "webhooks",
            "console",
            "discord",
            "slack",
            "http",
            "ops",
        ]
    )
    rules = Section(source, "classifier", raw.get("classifier", {}))
    rules.reject_unknown(["rules"])
    rules_path = rules.path("rules", base)
    if rules_path is not None and not rules_path.is_file():
        raise ConfigError(f"{rules.where('rules')}: rules file not found: {rules_path}")
    categories = _category_names(rules_path)
    feeds = _read_feeds(source, raw) if "feeds" in raw else default_feeds()
    return Settings(
        source=path,
        storage=_read_storage(source, raw.get("storage", {}), base, env),
        polling=_read_polling(Section(source, "polling", raw.get("polling", {}))),
        rules=rules_path,
        feeds=feeds,
        webhooks=_read_webhooks(source, raw.get("webhooks", []), categories, env),
        console=_read_console(Section(source, "console", raw.get("console", {}))),
        discord=_read_discord(Section(source, "discord", raw.get("discord", {}))),
        slack=_read_slack(Section(source, "slack", raw.get("slack", {}))),
        http_listen=_read_http(Section(source, "http", raw.get("http", {})), env),
        secrets=Secrets.from_env(env),
        categories=categories,
        ops=read_ops(
            Section(source, "ops", raw.get("ops", {})), os.environ if env is None else env
        ),
    )


def default_feeds() -> tuple[FeedSource, ...]:
    """The packaged default UK politics feeds."""
    text = resources.files("bot").joinpath("data/feeds.toml").read_text(encoding="utf-8")
    return _read_feeds("built-in feeds", tomllib.loads(text))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a config file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _category_names(rules_path: Path | None) -> tuple[str, ...]:
    # Imported here so that reading config never pays for compiling rules twice at import time.
    from bot.pipeline.classify import Classifier  # noqa: PLC0415

    return tuple(Classifier.load(rules_path).categories)


def _read_storage(
    source: str, data: object, base: Path | None, env: dict[str, str] | None
) -> StorageSettings:
    section = Section(source, "storage", data)
    section.reject_unknown(["path", "retention_days"])
    path = section.path("path", base) or default_data_dir(env) / DB_FILENAME
    days = section.integer("retention_days", 90, minimum=1, maximum=36_500)
    return StorageSettings(path=path, retention_days=days)


def _read_polling(section: Section) -> PollingSettings:
    section.reject_unknown(
        ["interval", "jitter", "timeout", "max_bytes", "backfill", "max_age", "max_alerts_per_poll"]
    )
    return PollingSettings(
        interval=section.number("interval", 300, minimum=10, maximum=86_400),
        jitter=section.number("jitter", 0.1, minimum=0, maximum=0.5),
        timeout=section.number("timeout", 20, minimum=1, maximum=300),
        max_bytes=section.integer("max_bytes", 5_000_000, minimum=10_000, maximum=500_000_000),
        backfill=section.number("backfill", 10_800, minimum=0, maximum=30 * 86_400),
        max_age=section.number("max_age", 86_400, minimum=60, maximum=365 * 86_400),
        max_alerts_per_poll=section.integer("max_alerts_per_poll", 10, minimum=1, maximum=100),
    )


def _read_feeds(source: str, raw: dict[str, Any]) -> tuple[FeedSource, ...]:
    entries = raw.get("feeds", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{source}: [[feeds]] must be an array of tables")
    feeds: list[FeedSource] = []
    names: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        section = Section(source, f"feeds #{number}", entry)
        section.reject_unknown(["name", "url", "interval"])
        url = section.url("url")
        if url is None:
            raise ConfigError(f"{section.where('url')}: required")
        name = (section.string("name") or url).strip()
        if name in names:
            raise ConfigError(f"{section.where('name')}: duplicate feed name {name!r}")
        names.add(name)
        interval = None
        if "interval" in section.data:
            interval = section.number("interval", 300, minimum=10, maximum=86_400)
        feeds.append(FeedSource(name=name, url=url, interval=interval))
    return tuple(feeds)


def _read_webhooks(
    source: str, entries: object, categories: tuple[str, ...], env: dict[str, str] | None
) -> tuple[WebhookSettings, ...]:
    if not isinstance(entries, list):
        raise ConfigError(f"{source}: [[webhooks]] must be an array of tables")
    environ = os.environ if env is None else env
    hooks: list[WebhookSettings] = []
    for number, entry in enumerate(entries, start=1):
        section = Section(source, f"webhooks #{number}", entry)
        section.reject_unknown(["platform", "url", "url_env", "categories", "name"])
        platform = section.string("platform")
        if platform not in PLATFORMS:
            raise ConfigError(f"{section.where('platform')}: must be one of {', '.join(PLATFORMS)}")
        url = _webhook_url(section, environ)
        chosen = section.string_list("categories")
        for category in chosen or ():
            if category not in categories:
                raise ConfigError(
                    f"{section.where('categories')}: unknown category {category!r} "
                    f"(known: {', '.join(categories)})"
                )
        name = section.string("name") or f"{platform} webhook #{number}"
        hooks.append(WebhookSettings(platform, url, chosen, name))
    return tuple(hooks)


def _webhook_url(section: Section, environ: Any) -> str:
    inline = section.string("url")
    env_name = section.string("url_env")
    if (inline is None) == (env_name is None):
        raise ConfigError(f"{section.where('url')}: give exactly one of url or url_env")
    if env_name is not None:
        value = environ.get(env_name)
        if not value:
            raise ConfigError(
                f"{section.where('url_env')}: environment variable {env_name} is unset"
            )
        check_url(value, f"{section.where('url_env')} ({env_name})")
        return str(value)
    assert inline is not None  # noqa: S101 - narrowed by the exactly-one check above
    check_url(inline, section.where("url"))
    return inline


def _read_console(section: Section) -> bool:
    section.reject_unknown(["enabled"])
    return section.boolean("enabled", True)


def _read_discord(section: Section) -> DiscordSettings:
    section.reject_unknown(["api_base", "manager_roles"])
    return DiscordSettings(
        api_base=section.url("api_base", DISCORD_API_BASE) or DISCORD_API_BASE,
        manager_roles=section.string_list("manager_roles") or (),
    )


def _read_slack(section: Section) -> SlackSettings:
    section.reject_unknown(["api_base", "managers"])
    return SlackSettings(
        api_base=section.url("api_base", SLACK_API_BASE) or SLACK_API_BASE,
        managers=section.string_list("managers") or (),
    )


def _read_http(section: Section, env: dict[str, str] | None) -> str:
    section.reject_unknown(["listen"])
    override = (os.environ if env is None else env).get(LISTEN_ENV)
    listen = override or section.string("listen", "127.0.0.1:8080") or ""
    where = f"environment variable {LISTEN_ENV}" if override else section.where("listen")
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65_536:
        raise ConfigError(f"{where}: expected HOST:PORT, got {listen!r}")
    return listen
