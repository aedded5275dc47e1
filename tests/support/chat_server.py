"""A loopback stand-in for Discord and Slack-format webhooks.

    async with ChatServer() as chat:
        chat.script("/discord/hook1", [429, 500, 200])
        await post_webhook(..., url=chat.url("/discord/hook1"), ...)
        assert len(chat.received("/discord/hook1")) == 1

or, for a CLI run in a subprocess, `chat = ChatServer.start_in_thread()` … `chat.stop()`.

A path is answered Discord-style (JSON message with an incrementing id when ?wait=true) unless it
starts with "/slack" or `chat.mode(path, "slack")` says so (plain-text "ok"). Scripted statuses are
answered in order, then 200s. A PATCH of "<hook>/messages/<id>" is a Discord webhook edit: it is
recorded under that path (script it there too; a 404 there is Unknown Message, 10008), and
`chat.edits(hook)` lists the accepted edits of a hook's messages. Replies follow TESTING.md:
JSON with Content-Type exactly application/json; a Discord 429 carries {"retry_after", "global"}
and a Via header.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

from tests.support.threaded import ThreadedServer

Mode = Literal["discord", "slack"]


@dataclass(frozen=True)
class Reply:
    """One scripted answer; body None means the platform's usual body for that status."""

    status: int = 200
    body: str | dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering, to make a client time out


@dataclass(frozen=True)
class Attempt:
    """One POST (or PATCH) as it arrived, with the status it was answered with."""

    path: str
    query: dict[str, str]
    body: Any  # parsed JSON, or None when the body was not JSON
    status: int
    method: str = "POST"


_DISCORD_ERRORS: dict[int, dict[str, Any]] = {
    400: {"message": "Invalid Form Body", "code": 50035},
    401: {"message": "401: Unauthorized", "code": 0},
    403: {"message": "Missing Permissions", "code": 50013},
    404: {"message": "Unknown Webhook", "code": 10015},
    429: {"message": "You are being rate limited.", "retry_after": 0.05, "global": False},
}
_SLACK_ERRORS = {
    400: "invalid_payload",
    403: "action_prohibited",
    404: "no_service",
    410: "channel_is_archived",
    429: "rate_limited",
    500: "rollup_error",
}


def _units(value: Any) -> int:
    return len(str(value).encode("utf-16-le")) // 2


def _problem(mode: Mode, body: Any) -> str | None:
    """Why the real API would reject this body (a few documented limits), or None."""
    if not isinstance(body, dict):
        return "invalid_payload" if mode == "slack" else "Invalid JSON body"
    return _slack_problem(body) if mode == "slack" else _discord_problem(body)


def _slack_problem(body: dict[str, Any]) -> str | None:
    blocks = body.get("blocks") or []
    if not body.get("text") and not blocks:
        return "no_text"
    texts = [b.get("text", {}).get("text", "") for b in blocks]
    texts += [e.get("text", "") for b in blocks for e in b.get("elements", [])]
    if len(blocks) > 50 or any(_units(t) > 3000 for t in texts):
        return "invalid_blocks"
    return None


def _discord_problem(body: dict[str, Any]) -> str | None:
    mentions = body.get("allowed_mentions", {})
    problems = []
    if "roles" in mentions.get("parse", []) and mentions.get("roles"):
        problems.append("allowed_mentions: parse and roles are mutually exclusive")
    embeds = body.get("embeds") or []
    if (not body.get("content") and not embeds) or _units(body.get("content", "")) > 2000:
        problems.append("content: empty or over 2000")
    for embed in embeds:
        fields = embed.get("fields", [])
        parts = [embed.get("title", ""), embed.get("description", "")]
        parts += [embed.get("footer", {}).get("text", "")]
        parts += [f["name"] for f in fields] + [f["value"] for f in fields]
        too_long = _units(parts[0]) > 256 or _units(parts[1]) > 4096 or len(fields) > 25
        if too_long or any(_units(f["value"]) > 1024 for f in fields):
            problems.append("embeds: a field is over its limit")
        if sum(_units(p) for p in parts) > 6000:
            problems.append("embeds: over 6000 characters in total")
    return "; ".join(problems) or None


def _json(status: int, data: Any, headers: dict[str, str] | None = None) -> web.Response:
    # Built by hand: json_response() appends "; charset=utf-8", which discord.py rejects.
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(status=status, body=json.dumps(data).encode(), headers=hdrs)


class ChatServer(ThreadedServer):
    """Receives webhook posts on 127.0.0.1 and records them per path."""

    def __init__(self, port: int = 0) -> None:
        self._lock = threading.Lock()
        self._attempts: dict[str, list[Attempt]] = defaultdict(list)
        self._scripts: dict[str, deque[Reply]] = defaultdict(deque)
        self._modes: dict[str, Mode] = {}
        self._ids = itertools.count(1_200_000_000_000_000_001)
        self._runner: web.AppRunner | None = None
        self._port = port  # 0: any free port; a fixed one lets a test bring a "down" host back
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # --- scripting and inspection (safe from any thread) ---

    def url(self, path: str) -> str:
        """The loopback URL for a path, e.g. url("/discord/hook1")."""
        return f"http://127.0.0.1:{self._port}{path}"

    def mode(self, path: str, mode: Mode) -> None:
        """Answer this path as a Discord or a Slack-format webhook."""
        with self._lock:
            self._modes[path] = mode

    def script(self, path: str, replies: list[int | Reply]) -> None:
        """Answer the next posts to path with these statuses (or Replies) in order, then 200s."""
        with self._lock:
            self._scripts[path].extend(r if isinstance(r, Reply) else Reply(r) for r in replies)

    def attempts(self, path: str) -> list[Attempt]:
        """Every post to path, answered successfully or not."""
        with self._lock:
            return list(self._attempts[path])

    def received(self, path: str) -> list[Any]:
        """JSON bodies of the posts to path that were answered 2xx."""
        return [a.body for a in self.attempts(path) if 200 <= a.status < 300]

    def edits(self, hook: str) -> list[Attempt]:
        """Accepted edits (PATCH) of any message of a webhook, in order."""
        prefix = hook.rstrip("/") + "/messages/"
        with self._lock:
            found = [
                a for path, got in self._attempts.items() if path.startswith(prefix) for a in got
            ]
        return [a for a in found if a.method == "PATCH" and 200 <= a.status < 300]

    # --- serving ---

    def _mode_of(self, path: str) -> Mode:
        with self._lock:
            return self._modes.get(path, "slack" if path.startswith("/slack") else "discord")

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path, query = request.path, dict(request.query)
        mode = self._mode_of(path)
        try:
            body: Any = json.loads(await request.read())
        except ValueError:  # includes UnicodeDecodeError
            body = None
        with self._lock:
            queue = self._scripts[path]
            reply = queue.popleft() if queue else Reply()
            problem = _problem(mode, body)
            if problem and reply.status < 300:  # refuse what the real API would refuse
                reply = Reply(400, body={"message": problem, "code": 50035})
                if mode == "slack":
                    reply = Reply(400, body=problem)
            self._attempts[path].append(Attempt(path, query, body, reply.status, request.method))
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if mode == "slack":
            return self._slack_reply(reply)
        if request.method == "PATCH":
            return self._discord_edit_reply(reply, body, path)
        return self._discord_reply(reply, body, query)

    def _discord_edit_reply(self, reply: Reply, body: Any, path: str) -> web.Response:
        """An edit: the message as edited, or Unknown Message for a scripted 404."""
        if reply.status == 404 and reply.body is None:
            return _json(404, {"message": "Unknown Message", "code": 10008})
        if reply.status >= 300:
            return self._discord_reply(reply, body, {})
        message = {"id": path.rsplit("/", 1)[-1], "type": 0, "embeds": body.get("embeds", [])}
        return _json(200, message, reply.headers)

    def _discord_reply(self, reply: Reply, body: Any, query: dict[str, str]) -> web.Response:
        if reply.status == 429:
            # Without Via, discord.py takes a 429 for a Cloudflare ban and gives up.
            headers = {"Via": "1.1 google", "Retry-After": "1", **reply.headers}
            limited = reply.body if reply.body is not None else _DISCORD_ERRORS[429]
            return _json(429, limited, headers)
        if reply.status >= 300:
            default = {"message": f"{reply.status}: error", "code": 0}
            error = reply.body if reply.body is not None else _DISCORD_ERRORS.get(reply.status)
            return _json(reply.status, error or default, reply.headers)
        if query.get("wait", "").lower() != "true":
            return web.Response(status=204, headers=reply.headers)
        message = {
            "id": str(next(self._ids)),
            "type": 0,
            "channel_id": query.get("thread_id", "1100000000000000001"),
            "content": body.get("content", "") if isinstance(body, dict) else "",
            "embeds": body.get("embeds", []) if isinstance(body, dict) else [],
        }
        if isinstance(reply.body, dict):
            message |= reply.body
        return _json(reply.status, message, reply.headers)

    @staticmethod
    def _slack_reply(reply: Reply) -> web.Response:
        if isinstance(reply.body, dict):
            return _json(reply.status, reply.body, reply.headers)
        text = reply.body
        if text is None:
            text = "ok" if reply.status < 300 else _SLACK_ERRORS.get(reply.status, "error")
        headers = {"Content-Type": "text/plain", **reply.headers}
        if reply.status == 429:
            headers.setdefault("Retry-After", "1")
        return web.Response(status=reply.status, text=text, headers=headers)

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_route("POST", "/{tail:.*}", self._handle)
        app.router.add_route("PATCH", "/{tail:.*}", self._handle)
        # handler_cancellation: a client that timed out must not leave a delayed reply pending,
        # or closing the server would wait for it.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", self._port))
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def close(self) -> None:
        """Stop listening and drop open connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- running beside a subprocess ---

    @classmethod
    def start_in_thread(cls, port: int = 0) -> ChatServer:
        """Serve from a background thread (beside a subprocess); call stop() when done."""
        return cls(port).serve_in_thread()
