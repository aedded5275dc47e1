"""Reading the config: TOML file + environment → validated, immutable Settings."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from bot.config.control import CONTROL_KEYS, read_control
from bot.config.ops import read_ops
from bot.config.schema import EnvUnset, Section, Table, TomlKind, load_toml
from bot.config.shards import read_discord
from bot.config.storage import read_storage
from bot.config.types import (
    CONSOLE,
    DISPLAY,
    EVENTS,
    HTTP,
    INTERVAL,
    PARLIAMENT,
    POLLING,
    SLACK,
    WEBHOOK_UPDATE_MODES,
    DisplaySettings,
    EventsSettings,
    ParliamentSettings,
    PollingSettings,
    Secrets,
    Settings,
    SlackSettings,
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
TOP_LEVEL_KEYS = (
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
    "parliament",
    "display",
    "events",
)
WEBHOOK_KEYS = (
    "platform",
    "url",
    "url_env",
    "categories",
    "name",
    "mention",
    "recent",
    "updates",
    *CONTROL_KEYS,
)
CONFIG_FILE = TomlKind("config file", missing="config file not found", invalid="not valid TOML")


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
        raw = load_toml(path, CONFIG_FILE)
    environ = os.environ if env is None else env
    top = Section(source, "top level", raw)
    top.reject_unknown(TOP_LEVEL_KEYS)
    rules = Section(source, "classifier", raw.get("classifier", {}))
    rules.reject_unknown(["rules"])
    rules_path = rules.path("rules", base)
    if rules_path is not None and not rules_path.is_file():
        raise ConfigError(f"{rules.where('rules')}: rules file not found: {rules_path}")
    categories = _category_names(rules_path)
    feeds = _read_feeds(source, raw) if "feeds" in raw else default_feeds()
    storage = read_storage(source, raw, base, default_data_dir(env) / DB_FILENAME, environ)
    notices: list[str] = []  # webhooks turned off by a blank variable: said, never an error
    webhooks = _read_webhooks(source, raw.get("webhooks", []), categories, environ, notices)
    ops = read_ops(Section(source, "ops", raw.get("ops", {})), environ, notices)
    return Settings(
        source=path,
        storage=storage,
        polling=PollingSettings(**_read_table(source, raw, POLLING)),
        rules=rules_path,
        feeds=feeds,
        webhooks=webhooks,
        console=_read_table(source, raw, CONSOLE)["console"],
        discord=read_discord(source, raw, environ),
        slack=SlackSettings(**_read_table(source, raw, SLACK)),
        parliament=ParliamentSettings(**_read_table(source, raw, PARLIAMENT)),
        display=_read_display(source, raw),
        events=EventsSettings(**_read_table(source, raw, EVENTS)),
        http_listen=_read_http(Section(source, "http", raw.get("http", {})), environ),
        secrets=Secrets.from_env(env),
        categories=categories,
        ops=ops,
        notices=tuple(notices),
    )


def default_feeds() -> tuple[FeedSource, ...]:
    """The packaged default UK politics feeds."""
    text = resources.files("bot").joinpath("data/feeds.toml").read_text(encoding="utf-8")
    return _read_feeds("built-in feeds", tomllib.loads(text))


def _category_names(rules_path: Path | None) -> tuple[str, ...]:
    # Imported here so that reading config never pays for compiling rules twice at import time.
    from bot.pipeline.classify import Classifier  # noqa: PLC0415

    return tuple(Classifier.load(rules_path).categories)


def _read_table(
    source: str, raw: dict[str, Any], table: Table, base: Path | None = None
) -> dict[str, Any]:
    return Section(source, table.name, raw.get(table.name, {})).read(table, base)


def _read_feeds(source: str, raw: dict[str, Any]) -> tuple[FeedSource, ...]:
    entries = raw.get("feeds", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{source}: [[feeds]] must be an array of tables")
    feeds: list[FeedSource] = []
    names: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        section = Section(source, f"feeds #{number}", entry)
        section.reject_unknown(["name", "url", "interval", "outlet"])
        url = section.url("url")
        if url is None:
            raise ConfigError(f"{section.where('url')}: required")
        name = (section.string("name") or url).strip()
        if name in names:
            raise ConfigError(f"{section.where('name')}: duplicate feed name {name!r}")
        names.add(name)
        interval = None
        if INTERVAL.name in section.data:
            interval = section.number(INTERVAL.name, limits=INTERVAL.limits)
        # An outlet groups feeds: two BBC feeds that both say "BBC News" count as one outlet.
        outlet = section.line("outlet").strip() if "outlet" in section.data else ""
        feeds.append(FeedSource(name=name, url=url, interval=interval, outlet=outlet))
    return tuple(feeds)


def _read_webhooks(
    source: str,
    entries: object,
    categories: tuple[str, ...],
    environ: Mapping[str, str],
    notices: list[str],
) -> tuple[WebhookSettings, ...]:
    if not isinstance(entries, list):
        raise ConfigError(f"{source}: [[webhooks]] must be an array of tables")
    hooks: list[WebhookSettings] = []
    names: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        section = Section(source, f"webhooks #{number}", entry)
        section.reject_unknown(WEBHOOK_KEYS)
        platform = section.string("platform")
        if platform not in PLATFORMS:
            raise ConfigError(f"{section.where('platform')}: must be one of {', '.join(PLATFORMS)}")
        url = section.url_or_env("url", "url_env", environ)
        if url is None:
            raise ConfigError(f"{section.where('url')}: give exactly one of url or url_env")
        if isinstance(url, EnvUnset):
            label = section.string("name") or f"{platform} webhook #{number}"
            notices.append(url.notice(f"webhook {label!r}"))
            continue
        chosen = section.string_list("categories")
        if chosen == ():
            raise ConfigError(
                f"{section.where('categories')}: an empty list would send this webhook nothing; "
                "omit the key for every category"
            )
        for category in chosen or ():
            if category not in categories:
                raise ConfigError(
                    f"{section.where('categories')}: unknown category {category!r} "
                    f"(known: {', '.join(categories)})"
                )
        name = _webhook_name(section, names)
        hooks.append(
            WebhookSettings(
                platform,
                url,
                chosen,
                name or f"{platform} webhook #{number}",
                named=name is not None,
                mention=_webhook_mention(section, platform),
                recent=section.boolean("recent", False),
                updates=_webhook_updates(section),
                control=read_control(section, categories),
            )
        )
    return tuple(hooks)


# The one ping a webhook's alerts may carry, as the config writes it. Never @everyone, and never
# anything from feed text: the formatters neutralise every other mention.
_DISCORD_ROLE = re.compile(r"<@&([0-9]{1,25})>")
_SLACK_GROUP = re.compile(r"<!subteam\^(S[A-Z0-9]{2,30})(?:\|[^>]*)?>")
_SLACK_HERE = ("@here", "<!here>")


def _webhook_mention(section: Section, platform: str) -> str | None:
    written = section.string("mention")
    if written is None or not written.strip():
        return None
    written = written.strip()
    if platform == "discord" and (role := _DISCORD_ROLE.fullmatch(written)):
        return role.group(1)
    if platform == "slack" and written in _SLACK_HERE:
        return "here"
    if platform == "slack" and (group := _SLACK_GROUP.fullmatch(written)):
        return group.group(1)
    expected = '"<@&ROLE_ID>"' if platform == "discord" else '"@here" or "<!subteam^ID>"'
    raise ConfigError(f"{section.where('mention')}: expected {expected} for a {platform} webhook")


def _webhook_updates(section: Section) -> str:
    # What later reports of an event this webhook alerted do: edit the alert, or nothing.
    mode = section.string("updates", "edit") or ""
    if mode == "thread":
        raise ConfigError(
            f'{section.where("updates")} = "thread" needs a bot channel: webhooks cannot '
            'start threads; use "edit" or "off"'
        )
    if mode not in WEBHOOK_UPDATE_MODES:
        choices = " or ".join(f'"{choice}"' for choice in WEBHOOK_UPDATE_MODES)
        raise ConfigError(f"{section.where('updates')}: expected {choices}, got {mode!r}")
    return mode


def webhook_mention_text(hook: WebhookSettings) -> str | None:
    """A webhook's mention as the config writes it (for `check-config`)."""
    if hook.mention is None:
        return None
    if hook.platform == "discord":
        return f"<@&{hook.mention}>"
    return "@here" if hook.mention == "here" else f"<!subteam^{hook.mention}>"


def _webhook_name(section: Section, taken: set[str]) -> str | None:
    # A given name is the webhook's identity (its subscriptions and queue survive a new URL),
    # so two webhooks may not share one.
    name = (section.string("name") or "").strip()
    if not name:
        return None
    if name in taken:
        raise ConfigError(f"{section.where('name')}: duplicate webhook name {name!r}")
    taken.add(name)
    return name


def _read_http(section: Section, environ: Mapping[str, str]) -> str:
    override = environ.get(LISTEN_ENV)
    if override:  # the file's value is not read, so a wrong one there cannot stop the override
        section.reject_unknown(key.name for key in HTTP.keys)
    listen: str = override or section.read(HTTP)["http_listen"] or ""
    where = f"environment variable {LISTEN_ENV}" if override else section.where("listen")
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65_536:
        raise ConfigError(f"{where}: expected HOST:PORT, got {listen!r}")
    return listen


def _read_display(source: str, raw: dict[str, Any]) -> DisplaySettings:
    display = DisplaySettings(**_read_table(source, raw, DISPLAY))
    try:
        ZoneInfo(display.timezone)
    except (ValueError, ZoneInfoNotFoundError):
        where = Section(source, "display", raw.get("display", {})).where("timezone")
        raise ConfigError(
            f"{where}: unknown time zone {display.timezone!r} (an IANA name such as "
            "Europe/London or UTC)"
        ) from None
    return display
