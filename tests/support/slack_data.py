"""What the Slack stand-in knows: tokens, users, the bot's identity, and chat.postMessage rules."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

BOT_TOKEN = "xoxb-0000-test-bot-token"
APP_TOKEN = "xapp-1-test-app-token"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM_ID = "T0WESTMIN"
BOT_USER = "U0BOT"
ADMIN, OWNER, MEMBER, MANAGER = "U0ADMIN", "U0OWNER", "U0MEMBER", "U0MANAGER"
USERS: dict[str, dict[str, Any]] = {
    ADMIN: {"name": "ada", "is_admin": True, "profile": {"display_name": "Ada"}},
    OWNER: {"name": "olu", "is_owner": True, "is_primary_owner": True, "profile": {}},
    MEMBER: {"name": "bob", "profile": {"display_name": "Bob"}},
    MANAGER: {"name": "meg", "profile": {"real_name": "Meg Manager"}},
}


IDENTITY: dict[str, Any] = {
    "ok": True,
    "url": "https://westminster.slack.com/",
    "team": "Westminster",
    "user": "division_bell",
    "team_id": TEAM_ID,
    "user_id": BOT_USER,
    "bot_id": "B0BELL",
    "is_enterprise_install": False,
}


@dataclass(frozen=True)
class Failure:
    """A scripted answer: a Slack error code, an HTTP status, a Retry-After."""

    error: str = ""
    status: int = 200
    retry_after: int | None = None


def ratelimited(retry_after: int) -> Failure:
    """Slack's 429 for chat.postMessage."""
    return Failure("ratelimited", 429, retry_after)


@dataclass(frozen=True)
class Call:
    """One Web API call as received."""

    method: str
    token: str
    params: dict[str, Any]
    status: int
    error: str = ""


def _units(text: Any) -> int:
    return len(str(text).encode("utf-16-le")) // 2


def post_message_problem(body: dict[str, Any]) -> str | None:
    """The error the real chat.postMessage would give for this body, if any."""
    if not body.get("channel"):
        return "channel_not_found"
    blocks = body.get("blocks") or []
    if isinstance(blocks, str):  # form-encoded calls send blocks as a JSON string
        blocks = json.loads(blocks)
    if not body.get("text") and not blocks:
        return "no_text"
    texts = [b.get("text", {}).get("text", "") for b in blocks]
    texts += [e.get("text", "") for b in blocks for e in b.get("elements", [])]
    if len(blocks) > 50 or any(_units(t) > 3000 for t in texts):
        return "invalid_blocks"
    return None
