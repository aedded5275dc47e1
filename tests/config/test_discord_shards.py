"""[discord] shard_ids / shard_count (or their environment variables): both or neither, checked,
shown by check-config."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.config.show import render_settings
from bot.errors import ConfigError


def load(tmp_path: Path, discord: str, env: dict[str, str] | None = None) -> Settings:
    path = tmp_path / "conf.toml"
    path.write_text(f"[discord]\n{discord}\n", encoding="utf-8")
    return load_settings(path, env={"DIVISION_BELL_DATA": str(tmp_path), **(env or {})})


def test_without_shard_keys_one_process_runs_every_shard_and_registers_commands(
    tmp_path: Path,
) -> None:
    discord = load(tmp_path, "").discord
    assert (discord.shard_ids, discord.shard_count) == (None, None)
    assert discord.registers_commands
    shown = render_settings(load(tmp_path, ""))
    assert "# shard_ids, shard_count: not set (this process runs every shard" in shown
    assert "# slash commands: registered by this process" in shown


@pytest.mark.parametrize(
    ("keys", "ids", "registers"),
    [
        ("shard_ids = [0, 1]\nshard_count = 4", (0, 1), True),
        ("shard_ids = [3, 2]\nshard_count = 4", (3, 2), False),
        ("shard_ids = [0]\nshard_count = 1", (0,), True),
    ],
)
def test_shard_keys_choose_this_processs_shards_and_whether_it_registers_commands(
    tmp_path: Path, keys: str, ids: tuple[int, ...], registers: bool
) -> None:
    settings = load(tmp_path, keys)
    assert settings.discord.shard_ids == ids
    assert settings.discord.registers_commands is registers
    shown = render_settings(settings)
    count = settings.discord.shard_count
    assert f"shard_ids = [{', '.join(map(str, ids))}]\nshard_count = {count}\n" in shown
    who = "this process" if registers else "the replica running shard 0, not this one"
    assert f"# slash commands: registered by {who}" in shown


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ("shard_ids = [0]", "[discord] shard_ids: give shard_ids and shard_count together"),
        ("shard_count = 2", "[discord] shard_count: give shard_ids and shard_count together"),
        ("shard_ids = [0]\nshard_count = 0", "[discord] shard_count: 0 is out of range"),
        ("shard_ids = [0]\nshard_count = 1.5", "[discord] shard_count: expected a whole number"),
        ("shard_ids = [0]\nshard_count = '2'", "[discord] shard_count: expected a whole number"),
        ("shard_ids = []\nshard_count = 2", "[discord] shard_ids: expected a non-empty list"),
        ("shard_ids = 0\nshard_count = 2", "[discord] shard_ids: expected a non-empty list"),
        ("shard_ids = ['0']\nshard_count = 2", "[discord] shard_ids: shard numbers are whole"),
        ("shard_ids = [true]\nshard_count = 2", "[discord] shard_ids: shard numbers are whole"),
        (
            "shard_ids = [0, 2]\nshard_count = 2",
            "[discord] shard_ids: shard 2 does not exist with shard_count = 2 (shards are "
            "numbered 0 to 1)",
        ),
        ("shard_ids = [-1]\nshard_count = 2", "[discord] shard_ids: shard -1 does not exist"),
        ("shard_ids = [1, 1]\nshard_count = 2", "[discord] shard_ids: shard 1 is listed twice"),
        (
            "shards = 2",
            "[discord] shards: unknown key (known keys: api_base, manager_roles, "
            "shard_count, shard_ids)",
        ),
    ],
    ids=[
        "ids alone",
        "count alone",
        "count zero",
        "count fraction",
        "count string",
        "ids empty",
        "ids not a list",
        "id string",
        "id boolean",
        "id too high",
        "id negative",
        "id twice",
        "typo",
    ],
)
def test_bad_shard_settings_name_the_file_and_key(tmp_path: Path, keys: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, keys)
    assert str(tmp_path / "conf.toml") in str(caught.value)
    assert message in str(caught.value)


def test_the_example_config_documents_the_shard_keys_and_its_values_load(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "config" / "division-bell.example.toml"
    written = dict(
        re.findall(r"^# (shard_\w+) = (.+?)  +#.*\bdefault\b", example.read_text(), re.M)
    )
    assert set(written) == {"shard_ids", "shard_count"}
    discord = load(tmp_path, "".join(f"{k} = {v}\n" for k, v in written.items())).discord
    assert (discord.shard_ids, discord.shard_count) == ((0, 1), 4)


def test_the_environment_beats_the_files_shard_keys(tmp_path: Path) -> None:
    # One config file shared by replicas: each replica's shards come from its environment.
    path = tmp_path / "conf.toml"
    path.write_text("[discord]\nshard_ids = [0]\nshard_count = 'not read'\n", encoding="utf-8")
    env = {"DIVISION_BELL_DISCORD_SHARD_IDS": " 1, 3 ", "DIVISION_BELL_DISCORD_SHARD_COUNT": "4"}
    discord = load_settings(path, env=env).discord
    assert (discord.shard_ids, discord.shard_count) == ((1, 3), 4)
    assert not discord.registers_commands
    blank = {"DIVISION_BELL_DISCORD_SHARD_IDS": " ", "DIVISION_BELL_DISCORD_SHARD_COUNT": ""}
    assert load(tmp_path, "", blank).discord.shard_ids is None  # blank counts as unset


@pytest.mark.parametrize(
    ("ids", "count", "message"),
    [
        ("0", "", "DIVISION_BELL_DISCORD_SHARD_IDS: set it and DIVISION_BELL_DISCORD_SHARD_COUNT"),
        ("", "2", "DIVISION_BELL_DISCORD_SHARD_COUNT: set it and DIVISION_BELL_DISCORD_SHARD_IDS"),
        ("0", "two", "DIVISION_BELL_DISCORD_SHARD_COUNT: expected a whole number, got 'two'"),
        ("0", "0", "DIVISION_BELL_DISCORD_SHARD_COUNT: 0 is out of range"),
        ("0,x", "2", "DIVISION_BELL_DISCORD_SHARD_IDS: shard numbers are whole numbers, got 'x'"),
        ("0,", "2", "DIVISION_BELL_DISCORD_SHARD_IDS: shard numbers are whole numbers, got ''"),
        ("2", "2", "DIVISION_BELL_DISCORD_SHARD_IDS: shard 2 does not exist"),
        ("-1", "2", "DIVISION_BELL_DISCORD_SHARD_IDS: shard -1 does not exist"),
        ("1,1", "2", "DIVISION_BELL_DISCORD_SHARD_IDS: shard 1 is listed twice"),
    ],
)
def test_bad_shard_variables_name_the_variable(
    tmp_path: Path, ids: str, count: str, message: str
) -> None:
    env = {"DIVISION_BELL_DISCORD_SHARD_IDS": ids, "DIVISION_BELL_DISCORD_SHARD_COUNT": count}
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "", env)
    assert f"environment variable {message}" in str(caught.value)
