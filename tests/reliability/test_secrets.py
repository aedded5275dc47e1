"""Tokens and webhook URLs are never printed: recognisable fake secrets through every command.

Every secret contains "XYZZY-SECRET". The real CLI runs `check-config`, `poll` (at DEBUG, with
failing and refused sends), `poll` with JSON logs and refused tokens, `subscriptions export`,
config errors, and `run` with the Discord gateway and Slack Socket Mode up; every byte of
stdout and stderr is searched for the marker.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.commands import Caller, Channel, Commands
from bot.pipeline.classify import Classifier
from bot.store.connection import Database
from tests.reliability import documents as docs
from tests.reliability.figures import Row, record
from tests.reliability.helpers import closed_port
from tests.support.chat_server import ChatServer
from tests.support.cli import toml_string, write_config
from tests.support.discord_api import DiscordAPI
from tests.support.feed_server import FeedServerThread
from tests.support.rss import rss_feed
from tests.support.slack_api import SlackApi

MARK = "XYZZY-SECRET"
ENV = {
    "DISCORD_TOKEN": f"{MARK}-discord.bot-token-0123456789",
    "SLACK_BOT_TOKEN": f"xoxb-{MARK}-bot-0123456789",
    "SLACK_APP_TOKEN": f"xapp-{MARK}-app-0123456789",
    "SLACK_SIGNING_SECRET": f"{MARK}-signing-0123456789abcdef",
}
# Shaped like the real thing: the token is the last path segment.
DISCORD_HOOK = f"/api/webhooks/123456789012345678/{MARK}-discord-hook-token"
SLACK_HOOK = f"/services/T0000/B0000/{MARK}-slack-hook-token"
OPS_HOOK = f"/api/webhooks/223456789012345678/{MARK}-ops-hook-token"
DISCORD_CHANNEL = "2000000000000000401"


@pytest.fixture
def stand_ins() -> Iterator[tuple[DiscordAPI, SlackApi]]:
    """Discord and Slack that accept exactly the fake tokens."""
    discord_api = DiscordAPI.start_in_thread()
    discord_api.token = ENV["DISCORD_TOKEN"]
    slack = SlackApi.start_in_thread()
    slack.bot_token, slack.app_token = ENV["SLACK_BOT_TOKEN"], ENV["SLACK_APP_TOKEN"]
    try:
        yield discord_api, slack
    finally:
        slack.stop()
        discord_api.stop()


async def subscribe_channels(path: Path) -> None:
    db = await Database.open(path)
    try:
        commands = Commands(db, Classifier.load().categories)
        for platform, scope, channel in (
            ("discord", "1000000000000000001", DISCORD_CHANNEL),
            ("slack", "T0WESTMIN", "C0SECRETS"),
        ):
            caller = Caller(platform, scope, "U0ADMIN", "Ada", can_manage=True)
            await commands.subscribe(caller, Channel(channel, "#desk"), None)
    finally:
        await db.close()


def environment(folder: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
    return (
        env
        | ENV
        | extra
        | {
            "DIVISION_BELL_DATA": str(folder / "data"),
            "NO_PROXY": "127.0.0.1,localhost",
            "DESK_SLACK_HOOK": extra.get("DESK_SLACK_HOOK", ""),
        }
    )


def cli(folder: Path, *args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"


def test_no_secret_is_ever_printed(
    tmp_path: Path,
    feeds: FeedServerThread,
    chat: ChatServer,
    stand_ins: tuple[DiscordAPI, SlackApi],
) -> None:
    discord_api, slack = stand_ins
    feeds.set_feed("/secrets.xml", rss_feed("Secrets", [docs.defection("secret", 0)]))
    chat.mode(SLACK_HOOK, "slack")
    chat.script(DISCORD_HOOK, [500])  # retried: a warning naming the hook, not its URL
    chat.script(SLACK_HOOK, [404])  # gone: an error naming the hook, not its URL
    port = closed_port()
    write_config(
        tmp_path,
        feeds={"Secrets": feeds.url("/secrets.xml")},
        webhooks=[
            {"platform": "discord", "url": chat.url(DISCORD_HOOK)},  # inline, no name
            {"platform": "slack", "url_env": "DESK_SLACK_HOOK", "name": "slack desk"},
        ],
        extra=(
            f"[discord]\napi_base = {toml_string(discord_api.api_base)}\n"
            f"[slack]\napi_base = {toml_string(slack.api_base)}\n"
            f"[ops]\nwebhook_url = {toml_string(chat.url(OPS_HOOK))}\n"
            f'[http]\nlisten = "127.0.0.1:{port}"\n'
            "[polling]\ninterval = 10\njitter = 0\n"
        ),
    )
    env = environment(tmp_path, DESK_SLACK_HOOK=chat.url(SLACK_HOOK))
    asyncio.run(subscribe_channels(tmp_path / "db.sqlite3"))
    outputs = {
        "check-config": cli(tmp_path, "--config", "division-bell.toml", "check-config", env=env),
        "poll (DEBUG)": cli(
            tmp_path, "--config", "division-bell.toml", "--log-level", "DEBUG", "poll", env=env
        ),
        "subscriptions export": cli(
            tmp_path, "--config", "division-bell.toml", "subscriptions", "export", env=env
        ),
    }
    assert "marked broken" in outputs["poll (DEBUG)"]  # the failures really were logged
    assert len(discord_api.messages(DISCORD_CHANNEL)) == 1
    assert len(slack.posts("C0SECRETS")) == 1

    # Tokens refused: the loud errors must not quote them either.
    discord_api.token = "another-token"
    slack.refuse(ENV["SLACK_BOT_TOKEN"])
    feeds.set_feed(
        "/secrets.xml", rss_feed("Secrets", [docs.defection("secret", n) for n in (0, 1)])
    )
    outputs["poll (JSON, tokens refused)"] = cli(
        tmp_path, "--config", "division-bell.toml", "--log-format", "json", "poll", env=env
    )
    assert "refused" in outputs["poll (JSON, tokens refused)"]
    discord_api.token = ENV["DISCORD_TOKEN"]
    slack.accept(ENV["SLACK_BOT_TOKEN"])
    # Those two wait out their retry delay; a new story goes out from `run` at once.
    latest = docs.defection("secret", 2)
    feeds.set_feed(
        "/secrets.xml", rss_feed("Secrets", [docs.defection("secret", n) for n in (0, 1, 2)])
    )

    def sent_by_run() -> bool:
        slack_texts = [str(post["text"]) for post in slack.posts("C0SECRETS")]
        discord_titles = [b["embeds"][0]["title"] for b in discord_api.messages(DISCORD_CHANNEL)]
        return any(latest.title in t for t in slack_texts) and any(
            latest.title in t for t in discord_titles
        )

    outputs["run"] = run_briefly(tmp_path, env, sent_by_run)

    broken = tmp_path / "broken"
    broken.mkdir()
    for name, text in {
        "config error (bad URL)": f'[[webhooks]]\nplatform = "discord"\nurl = "{MARK} not a url"\n',
        "config error (TOML syntax)": f'[[webhooks]]\nplatform = "discord"\nurl = "https://x/{MARK}\n',
        "config error (bad url_env)": '[[webhooks]]\nplatform = "slack"\nurl_env = "DESK_BAD"\n',
    }.items():
        (broken / "division-bell.toml").write_text(text, encoding="utf-8")
        bad_env = environment(broken, DESK_BAD=f"ftp://{MARK}/hook")
        outputs[name] = cli(broken, "--config", "division-bell.toml", "poll", env=bad_env)
        assert outputs[name].startswith("exit 2"), outputs[name]

    # Defence in depth (bot/logs.py) redacts what slips through; count how often it had to.
    redacted = sum(text.count("[redacted]") for text in outputs.values())
    leaks = {name: text for name, text in outputs.items() if MARK in text}
    assert leaks == {}
    record(
        Row(
            "secrets",
            "fake tokens and webhook URLs in env and config",
            0,
            note="never in stdout/stderr of: "
            + ", ".join(outputs)
            + f"; the log redactor had to act {redacted} times",
        )
    )


def run_briefly(folder: Path, env: dict[str, str], done: object) -> str:
    """`run` until `done()` holds (or 40 s), then SIGTERM; its stdout and stderr."""
    # Into files, not pipes: read only at the end, a pipe fills with DEBUG lines and blocks the
    # service's event loop on its next log line.
    out_path, err_path = folder / "run.out", folder / "run.err"
    with out_path.open("wb") as out_file, err_path.open("wb") as err_file:
        service = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot",
                "--config",
                "division-bell.toml",
                "--log-level",
                "DEBUG",
                "run",
            ],
            cwd=folder,
            env=env,
            stdout=out_file,
            stderr=err_file,
        )
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline and not (callable(done) and done()):
        time.sleep(0.1)
    time.sleep(0.5)
    service.send_signal(signal.SIGTERM)
    service.wait(timeout=30)
    out = out_path.read_text(encoding="utf-8", errors="replace")
    err = err_path.read_text(encoding="utf-8", errors="replace")
    assert callable(done), done
    assert done(), err[-3000:]
    return f"exit {service.returncode}\n{out}\n{err}"
