"""[discord]: its plain keys, and shard_ids / shard_count (the shards this process connects)."""

from __future__ import annotations

from typing import Any

from bot.config.schema import Section
from bot.config.types import DISCORD, DiscordSettings
from bot.errors import ConfigError

SHARD_KEYS = ("shard_ids", "shard_count")
MAX_SHARD_COUNT = 100_000  # far beyond any bot's need; catches a typo'd extra digit or three


def read_discord(source: str, raw: dict[str, Any]) -> DiscordSettings:
    """[discord] as settings; without shard keys, one process runs every shard (automatic)."""
    section = Section(source, "discord", raw.get("discord", {}))
    section.reject_unknown([*(key.name for key in DISCORD.keys), *SHARD_KEYS])
    plain = {k: v for k, v in section.data.items() if k not in SHARD_KEYS}
    values = Section(source, "discord", plain).read(DISCORD)
    shard_ids, shard_count = read_shards(section)
    return DiscordSettings(**values, shard_ids=shard_ids, shard_count=shard_count)


def read_shards(section: Section) -> tuple[tuple[int, ...] | None, int | None]:
    """shard_ids and shard_count, both given or neither: (None, None) means automatic."""
    given = [key for key in SHARD_KEYS if key in section.data]
    if not given:
        return None, None
    if len(given) == 1:
        [missing] = [key for key in SHARD_KEYS if key not in given]
        raise ConfigError(
            f"{section.where(given[0])}: give shard_ids and shard_count together ({missing} is "
            "missing), or neither for automatic sharding in one process"
        )
    count = section.integer("shard_count", 1, limits=(1, MAX_SHARD_COUNT))
    return _shard_ids(section, count), count


def _shard_ids(section: Section, count: int) -> tuple[int, ...]:
    where = section.where("shard_ids")
    value = section.data["shard_ids"]
    if not isinstance(value, list) or not value:
        raise section.wrong_type("shard_ids", "a non-empty list of shard numbers", value)
    chosen: list[int] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int):
            raise ConfigError(f"{where}: shard numbers are whole numbers, got {item!r}")
        if not 0 <= item < count:
            raise ConfigError(
                f"{where}: shard {item} does not exist with shard_count = {count} "
                f"(shards are numbered 0 to {count - 1})"
            )
        if item in chosen:
            raise ConfigError(f"{where}: shard {item} is listed twice")
        chosen.append(item)
    return tuple(chosen)
