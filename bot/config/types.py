"""The validated settings the service runs with: what each part of the config means.

Each default is written once, as a dataclass field; the `Table`s at the end declare each plain
key's TOML name, type and range, and bot/config/load.py and bot/config/show.py both follow them.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config.ops import OpsSettings
from bot.config.schema import Key, Table
from bot.domain import ChannelControl, DestinationKey, FeedSource, digest

DISCORD_API_BASE = "https://discord.com/api/v10"
SLACK_API_BASE = "https://slack.com/api/"
MEMBERS_API_BASE = "https://members-api.parliament.uk"


@dataclass(frozen=True, slots=True)
class StorageSettings:
    """Where the database lives and how long it keeps headlines."""

    path: Path
    retention_days: int = 90
    url: str | None = None  # a postgresql:// URL: PostgreSQL instead of the file at `path`


@dataclass(frozen=True, slots=True)
class PollingSettings:
    """How often and how politely feeds are polled, and what may alert."""

    interval: float = 300.0
    jitter: float = 0.1
    timeout: float = 20.0
    max_bytes: int = 5_000_000
    backfill: float = 10_800.0
    max_age: float = 86_400.0
    max_alerts_per_poll: int = 10


@dataclass(frozen=True, slots=True)
class EventsSettings:
    """How reports group into events and how alerted events are kept up to date."""

    window: float = 36.0  # hours after an event's last report in which a new report joins it
    surge_outlets: int = 3  # this many outlets ...
    surge_minutes: float = 30.0  # ... within this many minutes of first sight: breaking
    edit_interval: float = 30.0  # seconds between edits of one message; 0 = one per poll


UPDATE_MODES = ("edit", "thread", "off")
# A webhook can edit what it posted but cannot start a thread: only bot channels can.
WEBHOOK_UPDATE_MODES = tuple(mode for mode in UPDATE_MODES if mode != "thread")


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """A destination that needs no bot: a Discord or Slack-format incoming webhook."""

    platform: str
    url: str  # secret: holds the webhook token
    categories: tuple[str, ...] | None  # None = every category
    name: str  # safe display name, used in logs instead of the URL
    named: bool = False  # the name was given in the config, so it is the identity
    mention: str | None = None  # a Discord role id, a Slack user-group id, or "here"
    recent: bool = False  # when first added: also send the last 24 hours' alerts
    updates: str = "edit"  # what later reports of an alerted event do: "edit" or "off"
    # quiet hours, digests, watchlist and noise floor (the config is their source; no mute)
    control: ChannelControl = field(default_factory=ChannelControl)

    @property
    def key(self) -> str:
        """The destination's identity: its name when given, else a digest of its URL."""
        if self.named:
            return DestinationKey.named_webhook(self.name)
        return DestinationKey.webhook(self.url)

    @property
    def address(self) -> str:
        """A fingerprint of where and how it posts: a change means "try this webhook again"."""
        return digest(f"{self.platform}\n{self.url}")


def registers_commands(shard_ids: Collection[int] | None) -> bool:
    """Whether a process running these shards registers the slash commands: the one running
    shard 0, or a process running every shard (no shard settings). Discord keeps one set of
    commands per bot, so one replica registering them is enough, and two would race."""
    return shard_ids is None or 0 in shard_ids


@dataclass(frozen=True, slots=True)
class DiscordSettings:
    """Discord REST endpoint, who besides Manage Channels may manage subscriptions, and which of
    the bot's shards this process connects."""

    api_base: str = DISCORD_API_BASE
    manager_roles: tuple[str, ...] = ()
    shard_ids: tuple[int, ...] | None = None  # None: every shard (discord.py's automatic sharding)
    shard_count: int | None = None  # the bot's shards in all; None: as many as Discord advises

    @property
    def registers_commands(self) -> bool:
        """This process registers the slash commands (see `registers_commands`)."""
        return registers_commands(self.shard_ids)


@dataclass(frozen=True, slots=True)
class SlackSettings:
    """Slack Web API endpoint and who besides admins may manage subscriptions."""

    api_base: str = SLACK_API_BASE
    managers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ParliamentSettings:
    """The UK Parliament Members API: `people refresh` reads current members from it, and
    defection alerts are checked against its party histories ("Confirmed by Parliament")."""

    members_api: str = MEMBERS_API_BASE
    enabled: bool = True
    timeout: float = 20.0


@dataclass(frozen=True, slots=True)
class DisplaySettings:
    """How times are shown to people: the console, `latest`, `status`, `why` (chat alerts show
    each reader their own time)."""

    timezone: str = "Europe/London"

    def when(self, moment: datetime, pattern: str = "%d %b %H:%M") -> str:
        """`moment` in the display time zone, with its abbreviation: "19 Jan 12:02 GMT"."""
        local = moment.astimezone(ZoneInfo(self.timezone))
        return f"{local.strftime(pattern)} {local.tzname()}"


@dataclass(frozen=True, slots=True)
class Secrets:
    """Tokens from the environment only; never printed."""

    discord_token: str | None = None
    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_signing_secret: str | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Secrets:
        """Read the documented variables; empty values count as unset."""
        source = os.environ if env is None else env
        return cls(
            discord_token=source.get("DISCORD_TOKEN") or None,
            slack_bot_token=source.get("SLACK_BOT_TOKEN") or None,
            slack_app_token=source.get("SLACK_APP_TOKEN") or None,
            slack_signing_secret=source.get("SLACK_SIGNING_SECRET") or None,
        )


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service needs, validated."""

    source: Path | None  # the config file read, None for built-in defaults
    storage: StorageSettings
    polling: PollingSettings = PollingSettings()
    rules: Path | None = None  # None = the packaged category rules
    feeds: tuple[FeedSource, ...] = ()
    webhooks: tuple[WebhookSettings, ...] = ()
    console: bool = True
    discord: DiscordSettings = DiscordSettings()
    slack: SlackSettings = SlackSettings()
    parliament: ParliamentSettings = ParliamentSettings()
    display: DisplaySettings = DisplaySettings()
    events: EventsSettings = EventsSettings()
    http_listen: str = "127.0.0.1:8080"
    secrets: Secrets = field(default_factory=Secrets)
    categories: tuple[str, ...] = ()  # the category names the rules define
    ops: OpsSettings | None = None  # [ops] webhook; None = no ops notices
    notices: tuple[str, ...] = ()  # what the config turns off on purpose, said once at start


# The plain keys of each config table, in the order `check-config` shows them. Adding one is a
# Key here and a field (with its default) in the settings class the table names.
INTERVAL = Key("interval", "number", (10, 86_400))  # [polling] and each [[feeds]]
STORAGE = Table(
    "storage",
    StorageSettings,
    (Key("path", "path"), Key("retention_days", "integer", (1, 36_500))),
)
POLLING = Table(
    "polling",
    PollingSettings,
    (
        INTERVAL,
        Key("jitter", "number", (0, 0.5)),
        Key("timeout", "number", (1, 300)),
        Key("max_bytes", "integer", (10_000, 500_000_000)),
        Key("backfill", "number", (0, 30 * 86_400)),
        Key("max_age", "number", (60, 365 * 86_400)),
        Key("max_alerts_per_poll", "integer", (1, 100)),
    ),
)
CONSOLE = Table("console", Settings, (Key("enabled", "boolean", field="console"),))
DISCORD = Table(
    "discord", DiscordSettings, (Key("api_base", "url"), Key("manager_roles", "strings"))
)
SLACK = Table("slack", SlackSettings, (Key("api_base", "url"), Key("managers", "strings")))
PARLIAMENT = Table(
    "parliament",
    ParliamentSettings,
    (
        Key("members_api", "url"),
        Key("enabled", "boolean"),
        Key("timeout", "number", (1, 300)),
    ),
)
EVENTS = Table(
    "events",
    EventsSettings,
    (
        Key("window", "number", (1, 720)),
        Key("surge_outlets", "integer", (2, 50)),
        Key("surge_minutes", "number", (1, 1440)),
        Key("edit_interval", "number", (0, 3600)),
    ),
)
DISPLAY = Table("display", DisplaySettings, (Key("timezone", "string"),))
HTTP = Table("http", Settings, (Key("listen", "string", field="http_listen"),))
