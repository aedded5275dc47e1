"""Configuration: one TOML file + the environment → validated, immutable settings.

`load` reads and checks the file, `types` holds what the settings mean (each default written
once, in the dataclass), `schema` the typed TOML readers shared with the rules file, `ops` the
optional [ops] section, and `show` prints the effective config with secrets masked.
"""

from bot.config.load import default_data_dir, default_feeds, find_config_path, load_settings
from bot.config.types import (
    DiscordSettings,
    DisplaySettings,
    EventsSettings,
    ParliamentSettings,
    PollingSettings,
    Secrets,
    Settings,
    SlackSettings,
    StorageSettings,
    WebhookSettings,
)

__all__ = [
    "DiscordSettings",
    "DisplaySettings",
    "EventsSettings",
    "ParliamentSettings",
    "PollingSettings",
    "Secrets",
    "Settings",
    "SlackSettings",
    "StorageSettings",
    "WebhookSettings",
    "default_data_dir",
    "default_feeds",
    "find_config_path",
    "load_settings",
]
