"""config/slack-manifest.yml declares what the code relies on (checked without a YAML library)."""

from __future__ import annotations

import re

from bot.transports.slack.slash import COMMAND
from tests.conftest import PROJECT_ROOT

MANIFEST = (PROJECT_ROOT / "config" / "slack-manifest.yml").read_text(encoding="utf-8")


def _setting(key: str) -> list[str]:
    return re.findall(rf"^\s*-?\s*{re.escape(key)}:\s*(\S.*?)\s*$", MANIFEST, flags=re.MULTILINE)


def test_the_slash_command_sends_ids_not_names() -> None:
    assert _setting("command") == [COMMAND]
    assert _setting("should_escape") == ["true"]
    assert _setting("socket_mode_enabled") == ["true"]


def test_the_bot_asks_only_for_the_scopes_it_uses() -> None:
    scopes = MANIFEST.split("bot:\n", 1)[1].split("settings:", 1)[0]
    assert re.findall(r"^\s+- (\S+)$", scopes, flags=re.MULTILINE) == [
        "chat:write",
        "commands",
        "users:read",
    ]


def test_it_is_plain_spaces_and_no_tabs() -> None:
    assert "\t" not in MANIFEST
    assert all((len(line) - len(line.lstrip(" "))) % 2 == 0 for line in MANIFEST.splitlines())
