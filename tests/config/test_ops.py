"""Self-hosting settings: the [ops] webhook and the DIVISION_BELL_HTTP_LISTEN override."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_settings
from bot.config.show import render_settings
from bot.errors import ConfigError

OPS_HOOK = "https://discord.com/api/webhooks/987654/OPSTOKENOPSTOKENOPSTOKENOPSTOKEN"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "conf.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_ops_section_means_no_ops_notices(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, ""), env={}).ops is None
    assert load_settings(write(tmp_path, "[ops]\nwebhook_platform = 'slack'\n"), env={}).ops is None


def test_ops_webhook_inline_or_from_the_environment(tmp_path: Path) -> None:
    inline = load_settings(write(tmp_path, f"[ops]\nwebhook_url = '{OPS_HOOK}'\n"), env={})
    assert inline.ops is not None
    assert (inline.ops.platform, inline.ops.url) == ("discord", OPS_HOOK)
    from_env = load_settings(
        write(tmp_path, "[ops]\nwebhook_platform = 'slack'\nwebhook_url_env = 'OPS_HOOK'\n"),
        env={"OPS_HOOK": OPS_HOOK},
    )
    assert from_env.ops is not None
    assert (from_env.ops.platform, from_env.ops.url) == ("slack", OPS_HOOK)
    shown = render_settings(from_env)
    assert "[ops]" in shown
    assert "OPSTOKEN" not in shown


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[ops]\nwebhook_platform = 'irc'\n", "[ops] webhook_platform: must be one of"),
        ("[ops]\nwebhook = 'x'\n", "[ops] webhook: unknown key"),
        (
            f"[ops]\nwebhook_url = '{OPS_HOOK}'\nwebhook_url_env = 'X'\n",
            "[ops] webhook_url: give webhook_url or webhook_url_env, not both",
        ),
        ("[ops]\nwebhook_url = 'ftp://x/y'\n", "[ops] webhook_url: not an absolute http(s) URL"),
        ("ops = 3\n", "[ops] must be a table"),
    ],
)
def test_bad_ops_settings_name_the_file_and_key(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert str(caught.value).startswith(str(path))
    assert fragment in str(caught.value)


def test_listen_from_the_environment_overrides_the_config_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[http]\nlisten = '127.0.0.1:9000'\n")
    assert load_settings(path, env={}).http_listen == "127.0.0.1:9000"
    env = {"DIVISION_BELL_HTTP_LISTEN": "0.0.0.0:8080"}
    assert load_settings(path, env=env).http_listen == "0.0.0.0:8080"
    assert load_settings(None, env=env).http_listen == "0.0.0.0:8080"


def test_a_bad_listen_override_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match="environment variable DIVISION_BELL_HTTP_LISTEN: expected"
    ):
        load_settings(None, env={"DIVISION_BELL_HTTP_LISTEN": "8080"})
