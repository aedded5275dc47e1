"""Configuration: defaults, validation messages naming file and key, secrets masked."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import default_feeds, find_config_path, load_settings
from bot.config.show import render_settings
from bot.errors import ConfigError
from tests.support.cli import run_cli

SECRET_HOOK = "https://discord.com/api/webhooks/123456/XYZZYtokenXYZZYtokenXYZZYtokenXYZZY"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "conf.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_config_gives_builtin_defaults(tmp_path: Path) -> None:
    settings = load_settings(None, env={"DIVISION_BELL_DATA": str(tmp_path)})
    assert settings.source is None
    assert settings.feeds == default_feeds()
    assert len(settings.feeds) >= 4
    assert settings.console is True
    assert settings.storage.path == tmp_path / "division-bell.sqlite3"
    assert set(settings.categories) >= {"defection", "letters", "pmqs", "inquiry"}
    assert settings.polling.interval == 300
    assert settings.polling.max_alerts_per_poll == 10


def test_config_path_order(tmp_path: Path) -> None:
    env = {"DIVISION_BELL_CONFIG": "/from/env.toml"}
    assert find_config_path("/from/cli.toml", env) == Path("/from/cli.toml")
    assert find_config_path(None, env) == Path("/from/env.toml")
    assert find_config_path(None, {}) is None


def test_relative_paths_are_relative_to_the_config_folder(tmp_path: Path) -> None:
    path = write(tmp_path, '[storage]\npath = "data/x.sqlite3"\n')
    assert load_settings(path).storage.path == tmp_path / "data" / "x.sqlite3"


def test_full_example_config_loads() -> None:
    example = Path(__file__).resolve().parents[2] / "config" / "division-bell.example.toml"
    settings = load_settings(example, env={"DESK_WEBHOOK": SECRET_HOOK})
    assert settings.feeds
    assert settings.webhooks


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[polling]\nintervl = 30\n", "[polling] intervl: unknown key"),
        ("[polling]\ninterval = 'often'\n", "[polling] interval: expected a number"),
        ("[polling]\ninterval = 1\n", "[polling] interval: 1 is out of range"),
        ("[polling]\njitter = true\n", "[polling] jitter: expected a number"),
        ("colour = 1\n", "[top level] colour: unknown key"),
        ("[[feeds]]\nname = 'x'\nurl = 'ftp://x/'\n", "[feeds #1] url: not an absolute http"),
        ("[[feeds]]\nname = 'x'\n", "[feeds #1] url: required"),
        (
            "[[feeds]]\nname='a'\nurl='http://a/'\n[[feeds]]\nname='a'\nurl='http://b/'\n",
            "[feeds #2] name: duplicate feed name",
        ),
        (
            "[[webhooks]]\nplatform='slack'\nurl='https://a/'\nname='desk'\n"
            "[[webhooks]]\nplatform='slack'\nurl='https://b/'\nname=' desk '\n",
            "[webhooks #2] name: duplicate webhook name 'desk'",
        ),
        (
            "[[webhooks]]\nplatform = 'slack'\nurl = 'https://x/'\ncategories = []\n",
            "[webhooks #1] categories: an empty list would send this webhook nothing; omit the key",
        ),
        (
            "[[webhooks]]\nplatform = 'teams'\nurl = 'https://x/'\n",
            "[webhooks #1] platform: must be one of",
        ),
        (
            "[[webhooks]]\nplatform = 'slack'\nurl = 'https://x/'\ncategories = ['gossip']\n",
            "[webhooks #1] categories: unknown category 'gossip'",
        ),
        ("[http]\nlisten = 'nowhere'\n", "[http] listen: expected HOST:PORT"),
        ("[polling\ninterval = 3\n", "not valid TOML"),
        ("[classifier]\nrules = 'missing.toml'\n", "missing.toml"),
    ],
)
def test_bad_values_name_the_file_and_key(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    message = str(caught.value)
    assert str(path) in message
    assert fragment in message


def test_a_named_webhook_is_known_by_its_name_and_an_unnamed_one_by_its_url(
    tmp_path: Path,
) -> None:
    hooks = "".join(
        f"[[webhooks]]\nplatform = 'discord'\nurl = '{url}'\n{extra}\n"
        for url, extra in [
            ("https://a.example/1", "name = 'Desk'"),
            ("https://a.example/2", ""),
            ("https://a.example/3", "name = '  '"),  # blank: as if unnamed
        ]
    )
    named, unnamed, blank = load_settings(write(tmp_path, hooks), env={}).webhooks
    assert (named.named, named.name, named.key) == (True, "Desk", "webhook:name:Desk")
    assert (unnamed.named, unnamed.name) == (False, "discord webhook #2")
    assert unnamed.key.startswith("webhook:")
    assert "a.example" not in unnamed.key
    assert (blank.named, blank.name) == (False, "discord webhook #3")
    moved = load_settings(write(tmp_path, hooks.replace("a.example/1", "b.example/9")), env={})
    assert moved.webhooks[0].key == named.key  # a new URL, the same destination
    assert moved.webhooks[0].address != named.address
    assert moved.webhooks[1].key == unnamed.key


@pytest.mark.parametrize("value", [None, "", "   "])
def test_an_unset_or_blank_url_env_turns_that_webhook_off_with_one_notice(
    tmp_path: Path, value: str | None
) -> None:
    text = (
        "[[webhooks]]\nname = 'desk'\nplatform = 'slack'\nurl_env = 'DESK_HOOK'\n"
        "[[webhooks]]\nplatform = 'discord'\nurl = 'https://a.example/hook'\n"
        "[ops]\nwebhook_url_env = 'OPS_HOOK'\n"
    )
    env = {} if value is None else {"DESK_HOOK": value, "OPS_HOOK": value}
    settings = load_settings(write(tmp_path, text), env=env)
    assert [h.name for h in settings.webhooks] == ["discord webhook #2"]
    assert settings.ops is None
    assert settings.notices == (
        f"{tmp_path / 'conf.toml'}: [webhooks #1] url_env: DESK_HOOK is unset or blank, "
        "so webhook 'desk' is off",
        f"{tmp_path / 'conf.toml'}: [ops] webhook_url_env: OPS_HOOK is unset or blank, "
        "so the ops webhook is off",
    )


def test_the_example_config_checks_as_shipped_with_its_webhook_off(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "config" / "division-bell.example.toml"
    env = {"DIVISION_BELL_DATA": str(tmp_path), "DESK_WEBHOOK": ""}  # as .env.example ships it
    result = run_cli(["--config", str(example), "check-config"], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("DESK_WEBHOOK is unset or blank") == 1
    assert "[[webhooks]]" not in result.stdout


@pytest.mark.parametrize(
    ("platform", "written", "stored"),
    [
        ("discord", "<@&123456789012345678>", "123456789012345678"),
        ("slack", "@here", "here"),
        ("slack", "<!here>", "here"),
        ("slack", "<!subteam^S0DESK|politics-desk>", "S0DESK"),
        ("discord", "@everyone", None),  # never: exit 2
        ("discord", "@here", None),
        ("slack", "<!channel>", None),
        ("slack", "<@&123>", None),  # the other platform's form
    ],
)
def test_a_webhook_may_ping_exactly_one_configured_mention(
    tmp_path: Path, platform: str, written: str, stored: str | None
) -> None:
    text = (
        f"[[webhooks]]\nname = 'desk'\nplatform = '{platform}'\nurl = 'https://a.example/h'\n"
        f"mention = '{written}'\n"
    )
    path = write(tmp_path, text)
    if stored is None:
        with pytest.raises(ConfigError, match=r"\[webhooks #1\] mention: expected"):
            load_settings(path, env={})
        return
    hook = load_settings(path, env={}).webhooks[0]
    assert hook.mention == stored
    shown = render_settings(load_settings(path, env={}))
    assert "mention = " in shown


def test_bad_webhook_url_is_not_echoed(tmp_path: Path) -> None:
    path = write(tmp_path, "[[webhooks]]\nplatform = 'discord'\nurl = 'discord.com/XYZZYtoken'\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert "XYZZYtoken" not in str(caught.value)


def test_check_config_masks_webhook_urls_and_tokens(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"[[webhooks]]\nplatform = 'discord'\nurl = '{SECRET_HOOK}'\n"
        "[[webhooks]]\nplatform = 'slack'\nurl_env = 'SLACK_HOOK'\ncategories = ['pmqs']\n",
    )
    settings = load_settings(
        path,
        env={
            "SLACK_HOOK": "https://hooks.slack.com/services/T000/B000/XXXXXYZZYXXXX",
            "DISCORD_TOKEN": "MTIzNDU2Nzg5.XYZZY.discordtoken",
        },
    )
    shown = render_settings(settings)
    assert "XYZZY" not in shown
    assert "https://discord.com/api/webhooks/123456/…" in shown
    assert "DISCORD_TOKEN: set" in shown
    assert 'categories = ["pmqs"]' in shown


def test_cli_config_errors_exit_2_without_traceback(tmp_path: Path) -> None:
    write(tmp_path, "[polling]\ninterval = 'often'\n")
    result = run_cli(["--config", "conf.toml", "check-config"], cwd=tmp_path)
    assert result.returncode == 2
    assert "conf.toml: [polling] interval" in result.stderr
    assert "Traceback" not in result.stderr
    missing = run_cli(["--config", "nope.toml", "poll"], cwd=tmp_path)
    assert missing.returncode == 2
    assert "nope.toml: config file not found" in missing.stderr


def test_cli_check_config_with_env_config(tmp_path: Path) -> None:
    write(tmp_path, f"[[webhooks]]\nplatform = 'discord'\nurl = '{SECRET_HOOK}'\n")
    result = run_cli(
        ["check-config"], cwd=tmp_path, env={"DIVISION_BELL_CONFIG": str(tmp_path / "conf.toml")}
    )
    assert result.returncode == 0, result.stderr
    assert "XYZZY" not in result.stdout + result.stderr
    assert "[[webhooks]]" in result.stdout
