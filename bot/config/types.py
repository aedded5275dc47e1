"""The validated settings the service runs with: what each part of the config means.

bot/config/load.py reads them from the TOML file and the environment (DESIGN §2).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from bot.config.ops import OpsSettings
from bot.domain import DestinationKey, FeedSource

DISCORD_API_BASE = "https://discord.com/api/v10"
SLACK_API_BASE = "https://slack.com/api/"


@dataclass(frozen=True, slots=True)
class StorageSettings:
    """Where the database lives and how long it keeps headlines."""

    path: Path
    retention_days: int = 90


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
class WebhookSettings:
    """A destination that needs no bot: a Discord or Slack-format incoming webhook."""

    platform: str
    url: str  # secret: holds the webhook token
    categories: tuple[str, ...] | None  # None = every category
    name: str  # safe display name, used in logs instead of the URL

    @property
    def key(self) -> str:
        """A stable identity that does not reveal the URL."""
        return DestinationKey.webhook(self.url)


@dataclass(frozen=True, slots=True)
class DiscordSettings:
    """Discord REST endpoint and who besides Manage Channels may manage subscriptions."""

    api_base: str = DISCORD_API_BASE
    manager_roles: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SlackSettings:
    """Slack Web API endpoint and who besides admins may manage subscriptions."""

    api_base: str = SLACK_API_BASE
    managers: tuple[str, ...] = ()


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
    http_listen: str = "127.0.0.1:8080"
    secrets: Secrets = field(default_factory=Secrets)
    categories: tuple[str, ...] = ()  # the category names the rules define
    ops: OpsSettings | None = None  # [ops] webhook; None = no ops notices
