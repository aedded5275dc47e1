"""Helpers for the Slack tests: a hand-moved clock, a wired transport, signed slash commands."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.commands import Caller, Channel, Commands
from bot.config import Secrets, Settings, SlackSettings, StorageSettings
from bot.delivery.deliver import Deliverer
from bot.pipeline.classify import Classifier
from bot.store.opening import open_store
from bot.store.sql import Store
from bot.transports.base import TransportContext
from bot.transports.slack.app import SlackTransport
from tests.support.slack_api import SlackApi
from tests.support.slack_data import ADMIN, BOT_TOKEN, MANAGER, SIGNING_SECRET, TEAM_ID

START = datetime(2024, 3, 6, 12, 0, tzinfo=UTC)
POLITICS = Channel("C0POLITICS", "#politics")
ADMIN_CALLER = Caller("slack", TEAM_ID, ADMIN, "Ada", can_manage=True)
HttpClient = TestClient[web.Request, web.Application]


class Clock:
    """An injectable clock the tests move by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += timedelta(seconds=seconds)


@dataclass
class Rig:
    """A Slack transport wired to a real database and the stand-in, as the app would wire it."""

    slack: SlackApi
    db: Store
    clock: Clock
    commands: Commands
    http_app: web.Application
    transport: SlackTransport
    deliverer: Deliverer
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_response_url(self) -> tuple[str, str]:
        """A fresh response_url and the name its replies are kept under."""
        name = f"r{next(self._names)}"
        return self.slack.response_url(name), name


async def open_rig(
    folder: Path,
    slack: SlackApi,
    *,
    app_token: str | None = None,
    signing_secret: str | None = SIGNING_SECRET,
    url: str | None = None,
    **options: float,
) -> Rig:
    """A transport as open_runtime would build it, over a fresh database in `folder` (or, with
    `url`, the PostgreSQL database there).

    `options` go to SlackTransport (shorter timeouts and retry delays than production's).
    """
    classifier = Classifier.load()
    settings = Settings(
        source=None,
        storage=StorageSettings(folder / "db.sqlite3", url=url),
        slack=SlackSettings(api_base=slack.api_base, managers=(MANAGER,)),
        secrets=Secrets(
            slack_bot_token=BOT_TOKEN,
            slack_app_token=app_token,
            slack_signing_secret=signing_secret,
        ),
        categories=tuple(classifier.categories),
    )
    db = await open_store(settings.storage.path, settings.storage.url)
    clock = Clock()
    commands = Commands(db, classifier.categories, (), clock)
    http_app = web.Application()
    context = TransportContext(settings, db, commands, clock, http_app)
    transport = SlackTransport(context, **options)  # what build(context) makes, with options
    editors = {"slack": transport.editor} if transport.editor is not None else {}
    deliverer = Deliverer(db, {"slack": transport.sender}, editors=editors, clock=clock)
    return Rig(slack, db, clock, commands, http_app, transport, deliverer)


def signed_headers(body: str, *, secret: str = SIGNING_SECRET, age: float = 0) -> dict[str, str]:
    """Slack's request signature for `body`, made `age` seconds ago."""
    timestamp = str(int(time.time() - age))
    base = f"v0:{timestamp}:{body}".encode()
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def slash_payload(
    text: str,
    response_url: str,
    *,
    user: str = ADMIN,
    channel: str = "C0POLITICS",
    channel_name: str = "politics",
) -> dict[str, str]:
    """A /westminster payload as Slack sends it."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "team_domain": "westminster",
        "channel_id": channel,
        "channel_name": channel_name,
        "user_id": user,
        "user_name": user.lower(),
        "command": "/westminster",
        "text": text,
        "api_app_id": "A0BELL",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": "1.2.3",
    }


async def run_command(
    rig: Rig,
    client: HttpClient,
    text: str,
    **payload: Any,
) -> dict[str, Any]:
    """POST a signed /westminster through the service's HTTP app; the response_url reply."""
    url, name = rig.next_response_url()
    body = urlencode(slash_payload(text, url, **payload))
    answer = await client.post("/slack/events", data=body, headers=signed_headers(body))
    assert answer.status == 200, await answer.text()
    await rig.slack.wait_for(lambda: len(rig.slack.replies(name)) == 1)
    return rig.slack.replies(name)[0]
