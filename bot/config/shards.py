"""[discord]: its plain keys, and shard_ids / shard_count (the shards this process connects).

Replicas usually share one config file, yet each needs shards of its own: the environment
variables below beat the file's two keys, as DIVISION_BELL_HTTP_LISTEN beats [http] listen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.config.schema import Section
from bot.config.types import DISCORD, DiscordSettings
from bot.errors import ConfigError

SHARD_KEYS = ("shard_ids", "shard_count")
SHARD_IDS_ENV = "DIVISION_BELL_DISCORD_SHARD_IDS"  # "0" or "0,1"
SHARD_COUNT_ENV = "DIVISION_BELL_DISCORD_SHARD_COUNT"  # "2"
MAX_SHARD_COUNT = 100_000  # far beyond any bot's need; catches a typo'd extra digit or three
_WHOLE = re.compile(r"-?[0-9]+")

Shards = tuple[tuple[int, ...] | None, int | None]


def read_discord(source: str, raw: dict[str, Any], environ: Mapping[str, str]) -> DiscordSettings:
    """[discord] as settings; without shard settings, one process runs every shard."""
    section = Section(source, "discord", raw.get("discord", {}))
    section.reject_unknown([*(key.name for key in DISCORD.keys), *SHARD_KEYS])
    plain = {k: v for k, v in section.data.items() if k not in SHARD_KEYS}
    values = Section(source, "discord", plain).read(DISCORD)
    # The file's shard keys are not read under an override, so a wrong one there cannot stop it.
    shard_ids, shard_count = shards_from_env(environ) or read_shards(section)
    return DiscordSettings(**values, shard_ids=shard_ids, shard_count=shard_count)


def read_shards(section: Section) -> Shards:
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
    value = section.data["shard_ids"]
    if not isinstance(value, list) or not value:
        raise section.wrong_type("shard_ids", "a non-empty list of shard numbers", value)
    return _checked_ids(value, count, section.where("shard_ids")), count


def shards_from_env(environ: Mapping[str, str]) -> Shards | None:
    """The shards the two environment variables choose; None when both are unset or blank."""
    ids_text = environ.get(SHARD_IDS_ENV, "").strip()
    count_text = environ.get(SHARD_COUNT_ENV, "").strip()
    if not ids_text and not count_text:
        return None
    if not ids_text or not count_text:
        given, missing = (
            (SHARD_IDS_ENV, SHARD_COUNT_ENV) if ids_text else (SHARD_COUNT_ENV, SHARD_IDS_ENV)
        )
        raise ConfigError(
            f"environment variable {given}: set it and {missing} together ({missing} is unset), "
            "or neither"
        )
    where = f"environment variable {SHARD_COUNT_ENV}"
    if not count_text.isdigit():
        raise ConfigError(f"{where}: expected a whole number, got {count_text!r}")
    count = int(count_text)
    if not 1 <= count <= MAX_SHARD_COUNT:
        raise ConfigError(f"{where}: {count} is out of range (1 to {MAX_SHARD_COUNT})")
    parts = [part.strip() for part in ids_text.split(",")]
    items: list[object] = [int(part) if _WHOLE.fullmatch(part) else part for part in parts]
    return _checked_ids(items, count, f"environment variable {SHARD_IDS_ENV}"), count


def _checked_ids(items: list[Any], count: int, where: str) -> tuple[int, ...]:
    """Whole numbers from 0 to count - 1, each once, in the order written."""
    chosen: list[int] = []
    for item in items:
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
