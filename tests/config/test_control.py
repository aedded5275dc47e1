"""[[webhooks]] channel control keys: good values, each bad value's message, defaults, display."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import sync_config
from bot.config import load_settings
from bot.config.control import CONTROL_KEYS
from bot.config.show import render_settings
from bot.domain import ChannelControl
from bot.errors import ConfigError
from bot.store import destinations as dest_store
from bot.store.sql import Store
from tests.support.cli import run_cli

HOOK = "[[webhooks]]\nplatform = 'discord'\nurl = 'https://hooks.example/a'\n"
SECOND = "[[webhooks]]\nplatform = 'slack'\nurl = 'https://hooks.example/b'\n"
EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "division-bell.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "conf.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_webhook_without_control_keys_gets_the_defaults(tmp_path: Path) -> None:
    [hook] = load_settings(write(tmp_path, HOOK), env={}).webhooks
    assert hook.control == ChannelControl()


def test_every_control_key_is_read(tmp_path: Path) -> None:
    text = HOOK + (
        "quiet_hours = '22:00-7:00'\nquiet_except = ['Defection']\ntimezone = 'America/New_York'\n"
        "digest = ['18:00', '08:00', '08:00']\ndigest_except = ['breaking', 'pmqs']\n"
        "watch = ['Angela  Rayner', 'Reform UK', 'angela rayner']\nmin_reports = 2\n"
    )
    [hook] = load_settings(write(tmp_path, text), env={}).webhooks
    assert hook.control == ChannelControl(
        quiet_hours="22:00-07:00",
        quiet_except=("defection",),
        timezone="America/New_York",
        digest=("08:00", "18:00"),
        digest_except=("breaking", "pmqs"),
        watch=("Angela Rayner", "Reform UK"),
        min_reports=2,
    )


@pytest.mark.parametrize(
    ("digest", "expected"),
    [("'hourly'", ("hourly",)), ("'off'", ()), ("'08:00, 18:00'", ("08:00", "18:00"))],
)
def test_digest_may_be_a_word_or_times(
    tmp_path: Path, digest: str, expected: tuple[str, ...]
) -> None:
    [hook] = load_settings(write(tmp_path, HOOK + f"digest = {digest}\n"), env={}).webhooks
    assert hook.control.digest == expected


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "quiet_hours = '22:00-25:00'",
            "[webhooks #2] quiet_hours: expected a time like 07:00 (24-hour HH:MM), got '25:00'",
        ),
        (
            "quiet_hours = '22:00'",
            '[webhooks #2] quiet_hours: expected quiet hours like "22:00-07:00" (start-end)',
        ),
        ("quiet_hours = 22", "[webhooks #2] quiet_hours: expected a string, got a number (22)"),
        (
            "quiet_hours = '22:00-07:00'\nquiet_except = ['defection', 'gossip']",
            "[webhooks #2] quiet_except: unknown category 'gossip' (known: defection, inquiry,",
        ),
        (
            "quiet_hours = '22:00-07:00'\nquiet_except = ['breaking']",
            "[webhooks #2] quiet_except: unknown category 'breaking'",
        ),
        ("timezone = 'Mars/Olympus'", "[webhooks #2] timezone: unknown time zone 'Mars/Olympus'"),
        (
            "digest = 'daily'",
            '[webhooks #2] digest: expected "off", "hourly" or times like 08:00; expected a time',
        ),
        ("digest = 8", '[webhooks #2] digest: expected "off", "hourly" or a list of times, got'),
        (
            "digest = 'hourly'\ndigest_except = ['urgent']",
            "[webhooks #2] digest_except: unknown category 'urgent' (known: breaking, defection,",
        ),
        ("watch = ['x']", "[webhooks #2] watch: a term needs at least 2 characters, got 'x'"),
        ("watch = 'Rayner'", "[webhooks #2] watch: expected a list, got a string"),
        ("min_reports = 0", "[webhooks #2] min_reports: expected 1 to 20 outlets, got 0"),
        ("min_reports = 21", "[webhooks #2] min_reports: expected 1 to 20 outlets, got 21"),
        ("min_reports = '2'", "[webhooks #2] min_reports: expected a whole number of outlets"),
        ("min_reports = true", "[webhooks #2] min_reports: expected a whole number of outlets"),
        ("quiet_houres = '22:00-07:00'", "[webhooks #2] quiet_houres: unknown key"),
        ("quiet_except = ['pmqs']", "[webhooks #2] quiet_except: needs quiet_hours to except"),
        (
            "digest = 'off'\ndigest_except = ['pmqs']",
            "[webhooks #2] digest_except: needs a digest to except from",
        ),
    ],
)
def test_a_bad_value_names_the_webhook_and_key(tmp_path: Path, line: str, message: str) -> None:
    path = write(tmp_path, HOOK + SECOND + line + "\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert str(caught.value).startswith(f"{path}: {message}")


def test_too_many_watch_terms(tmp_path: Path) -> None:
    terms = ", ".join(f"'term {n}'" for n in range(51))
    with pytest.raises(ConfigError, match=r"\[webhooks #1\] watch: at most 50 terms, got 51"):
        load_settings(write(tmp_path, HOOK + f"watch = [{terms}]\n"), env={})


def test_check_config_shows_each_webhooks_control(tmp_path: Path) -> None:
    text = (
        "[display]\ntimezone = 'Europe/Dublin'\n"
        + HOOK
        + "quiet_hours = '23:00-06:30'\nquiet_except = ['defection']\ndigest = 'hourly'\n"
        + "watch = ['Reform UK']\nmin_reports = 3\n"
        + SECOND
        + "timezone = 'Asia/Tokyo'\ndigest = ['07:30']\ndigest_except = ['breaking']\n"
    )
    path = write(tmp_path, text)
    shown = render_settings(load_settings(path, env={}))
    first, second = shown.split("[[webhooks]]")[1:]
    assert [line for line in first.splitlines() if _control_line(line)] == [
        'quiet_hours = "23:00-06:30"',
        'quiet_except = ["defection"]',
        'timezone = "Europe/Dublin"',
        'digest = "hourly"',
        "digest_except = []",
        'watch = ["Reform UK"]',
        "min_reports = 3",
    ]
    assert [line for line in second.splitlines() if _control_line(line)] == [
        'quiet_hours = "off"',
        "quiet_except = []",
        'timezone = "Asia/Tokyo"',
        'digest = ["07:30"]',
        'digest_except = ["breaking"]',
        "watch = []",
        "min_reports = 1",
    ]
    result = run_cli(["--config", str(path), "check-config"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert 'quiet_hours = "23:00-06:30"' in result.stdout
    assert 'digest = ["07:30"]' in result.stdout


def test_a_bad_control_value_fails_check_config_plainly(tmp_path: Path) -> None:
    write(tmp_path, HOOK + "min_reports = 0\n")
    result = run_cli(["--config", "conf.toml", "check-config"], cwd=tmp_path)
    assert result.returncode == 2
    assert "conf.toml: [webhooks #1] min_reports: expected 1 to 20 outlets, got 0" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_example_documents_every_key_and_its_examples_load(tmp_path: Path) -> None:
    example = EXAMPLE.read_text(encoding="utf-8")
    commented = re.findall(r"^# (\w+) = (.+?)(?:  #.*)?$", example, flags=re.MULTILINE)
    written = dict(commented)
    keys = ("quiet_hours", "quiet_except", "timezone", "digest", "digest_except", "watch")
    for key in (*keys, "min_reports"):
        assert key in written, f"{key} is not documented in the example config"
        assert re.search(rf"^# {key} = .*\bdefault\b", example, flags=re.MULTILINE), key
    body = HOOK + "".join(f"{key} = {written[key]}\n" for key in (*keys, "min_reports"))
    [hook] = load_settings(write(tmp_path, body), env={}).webhooks
    assert hook.control.quiet_hours == "22:00-07:00"
    assert hook.control.digest == ("08:00", "18:00")
    assert hook.control.min_reports == 2
    assert hook.control.watch == ("Angela Rayner", "Reform UK", "Rwanda bill")


async def test_a_webhooks_control_follows_the_config_at_each_start(
    tmp_path: Path, db: Store
) -> None:
    now = datetime(2024, 5, 8, 12, 0, tzinfo=UTC)
    for extra in ("quiet_hours = '22:00-07:00'\nwatch = ['Reform UK']\n", "min_reports = 2\n", ""):
        settings = load_settings(write(tmp_path, HOOK + extra), env={})
        await sync_config(db, settings, now)
        [hook] = settings.webhooks
        destination = await dest_store.find_destination(db.conn, hook.key)
        assert destination is not None
        # Whole: a key taken out of the config is back to its default, not left as it was.
        assert destination.control == hook.control
    assert destination.control == ChannelControl()


def _control_line(line: str) -> bool:
    return line.split(" = ", maxsplit=1)[0] in CONTROL_KEYS
