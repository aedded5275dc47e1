"""A loopback stand-in for Discord's HTTP API (and a minimal gateway), for the real discord.py.

    async with DiscordAPI() as api:
        settings api_base = api.api_base            # http://127.0.0.1:PORT/api/v10
        api.fail("555", 403)                         # the next post to channel 555 gets a 403
    api.stall("555", 2.0)                        # the next post is created, answered 2 s late
        ... discord.py logs in, syncs, posts, answers interactions ...
        api.messages("555")                          # JSON bodies of the messages it accepted
        api.fail_edit("555", 404, (400, 30046))      # the next edits in 555: gone, edit cap
        api.edits("555")                             # JSON bodies of the edits it accepted
        api.threads()                                # threads started: message id → name

or `DiscordAPI.start_in_thread()` … `stop()` beside a subprocess. Replies follow TESTING.md:
Content-Type exactly application/json; a 429 carries {"retry_after", "global"} and a Via header.
Messages with `enforce_nonce` are deduplicated per channel the way Discord does: a repeat nonce
answers with the first message and creates nothing. Edits (PATCH) and thread starts apply only
to messages it created: any other is Unknown Message (10008); a second thread on one message is
160004; a post into a message's id is Unknown Channel until a thread was started on it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.support.discord_gateway import Gateway
from tests.support.threaded import ThreadedServer

TOKEN = "test-bot-token.NOT-A-SECRET"
APP_ID = "900000000000000001"
BOT_ID = "900000000000000002"
BOT_USER = {
    "id": BOT_ID,
    "username": "Division Bell",
    "global_name": None,
    "discriminator": "0",
    "avatar": None,
    "bot": True,
}
_CODES: dict[int, str] = {
    10008: "Unknown Message",
    30046: "Maximum number of edits to messages older than 1 hour reached. Try again later",
    160004: "A thread has already been created for this message",
}
Fault = int | tuple[int, int]  # an HTTP status, or (status, Discord JSON error code)
_ERRORS: dict[int, dict[str, Any]] = {
    401: {"message": "401: Unauthorized", "code": 0},
    403: {"message": "Missing Permissions", "code": 50013},
    404: {"message": "Unknown Channel", "code": 10003},
    400: {"message": "Invalid Form Body", "code": 50035},
    500: {"message": "500: Internal Server Error", "code": 0},
    503: {"message": "upstream connect error", "code": 0},
}


@dataclass(frozen=True)
class Call:
    """One request as received: method, path below /api/v10, query and JSON body."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int
    created: bool = False  # a message was created (not refused, not a repeated nonce)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # By hand: json_response() appends "; charset=utf-8", which discord.py does not accept.
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(status=status, body=json.dumps(data).encode(), headers=hdrs)


def _error(fault: Fault, retry_after: float = 0.05) -> web.Response:
    if isinstance(fault, tuple):
        status, code = fault
        return _json({"message": _CODES.get(code, "error"), "code": code}, status)
    status = fault
    if status == 429:  # without Via, discord.py takes a 429 for a Cloudflare ban and gives up
        body = {"message": "You are being rate limited.", "retry_after": retry_after}
        return _json(body | {"global": False}, 429, {"Via": "1.1 google", "Retry-After": "1"})
    return _json(_ERRORS.get(status, {"message": f"{status}: error", "code": 0}), status)


class DiscordAPI(ThreadedServer):
    """Discord's REST endpoints that discord.py uses here, recording what it sends."""

    def __init__(self, token: str = TOKEN, shards: int = 1) -> None:
        self.token = token
        self.shards = shards
        self.gateway = Gateway(BOT_USER, APP_ID)
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._created: set[tuple[str, str]] = set()  # (channel, message id) of live messages
        self._threads: dict[str, str] = {}  # message id → thread name
        self._stalls: dict[str, deque[float]] = defaultdict(deque)
        self._nonces: dict[tuple[str, str], dict[str, Any]] = {}
        self._ids = itertools.count(1_300_000_000_000_000_001)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # --- scripting and inspection (safe from any thread) ---

    @property
    def api_base(self) -> str:
        """What `[discord] api_base` should be."""
        return f"http://127.0.0.1:{self.port}/api/v10"

    def fail(self, channel: str, *statuses: int) -> None:
        """Answer the next posts to a channel with these statuses (429s ask for 0.05 s)."""
        with self._lock:
            self._faults[channel].extend(statuses)

    def fail_edit(self, channel: str, *faults: Fault) -> None:
        """Answer the next edits of messages in a channel with these (404: Unknown Message)."""
        with self._lock:
            self._faults[f"edit:{channel}"].extend(
                (404, 10008) if fault == 404 else fault for fault in faults
            )

    def delete(self, channel: str, message_id: str) -> None:
        """Delete a message, as a moderator would: later edits and threads meet 10008."""
        with self._lock:
            self._created.discard((channel, message_id))

    def delete_thread(self, message_id: str) -> None:
        """Delete the thread started on a message: posts into it meet Unknown Channel."""
        with self._lock:
            self._threads.pop(message_id, None)

    def edits(self, channel: str) -> list[Any]:
        """JSON bodies of the edits of messages in a channel that were accepted."""
        prefix = f"/channels/{channel}/messages/"
        return [c.body for c in self.calls("PATCH", prefix) if c.status == 200]

    def threads(self) -> dict[str, str]:
        """Threads started from messages: message (= thread) id → thread name."""
        with self._lock:
            return dict(self._threads)

    def stall(self, channel: str, *seconds: float) -> None:
        """Create the next posts to a channel but answer each only after so many seconds.

        A client that gives up first has still posted: the case a nonce exists for.
        """
        with self._lock:
            self._stalls[channel].extend(seconds)

    def calls(self, method: str | None = None, prefix: str = "") -> list[Call]:
        """Requests received, optionally filtered by method and path prefix."""
        with self._lock:
            found = list(self._calls)
        return [c for c in found if (method in (None, c.method)) and c.path.startswith(prefix)]

    def messages(self, channel: str) -> list[Any]:
        """JSON bodies of the messages created in a channel (not refused, not deduplicated)."""
        return [c.body for c in self.calls("POST", f"/channels/{channel}/messages") if c.created]

    def responses(self) -> list[Any]:
        """Interaction callbacks and follow-ups, in order: each a message body with "flags"."""
        found = []
        for call in self.calls("POST"):
            if call.path.startswith("/interactions/"):
                found.append(call.body.get("data") or {"type": call.body["type"]})
            elif call.path.startswith("/webhooks/"):
                found.append(call.body)
        return found

    def synced(self) -> list[Any]:
        """The command schemas of the last PUT of application commands."""
        puts = self.calls("PUT", f"/applications/{APP_ID}/")
        return puts[-1].body if puts else []

    # --- serving ---

    def _record(self, request: web.Request, body: Any, status: int, created: bool = False) -> None:
        path = request.path.removeprefix("/api/v10")
        call = Call(request.method, path, dict(request.query), body, status, created)
        with self._lock:
            self._calls.append(call)

    def _message(self, channel: str, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(next(self._ids)),
            "channel_id": channel,
            "type": 0,
            "author": BOT_USER,
            "content": body.get("content") or "",
            "embeds": body.get("embeds", []),
            "nonce": body.get("nonce"),
            "timestamp": "2024-01-01T00:00:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "pinned": False,
            "flags": body.get("flags", 0),
        }

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body: Any = json.loads(raw) if raw else None
        path = request.path.removeprefix("/api/v10")
        if request.headers.get("Authorization") != f"Bot {self.token}" and not path.startswith(
            ("/interactions/", "/webhooks/")
        ):
            self._record(request, body, 401)
            return _error(401)
        parts = path.strip("/").split("/")
        stall = 0.0
        if request.method == "POST" and parts[0] == "channels" and parts[-1] == "messages":
            reply, created = self._create_message(parts[1], body)
            with self._lock:
                stalls = self._stalls[parts[1]]
                stall = stalls.popleft() if stalls else 0.0
        elif parts[0] == "channels" and len(parts) >= 4 and parts[2] == "messages":
            reply, created = self._update(request.method, parts, body), False
        else:
            reply, created = self._route(request.method, parts, body), False
        self._record(request, body, reply.status, created)
        if stall:
            await asyncio.sleep(stall)
        return reply

    def _route(self, method: str, parts: list[str], body: Any) -> web.Response:
        data: Any
        match method, parts:
            case "GET", ["users", "@me"]:
                data = BOT_USER
            case "GET", ["oauth2", "applications", "@me"]:
                data = self._app_info()
            case "GET", ["gateway", "bot"]:
                limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
                url = f"ws://127.0.0.1:{self.port}/gateway"
                data = {"url": url, "shards": self.shards, "session_start_limit": limit}
            case "PUT", ["applications", _, *_, "commands"]:
                extra = {"application_id": APP_ID, "version": "1"}
                data = [c | extra | {"id": str(next(self._ids))} for c in body]
            case "POST", ["interactions", interaction_id, _, "callback"]:
                data = self._callback(interaction_id, body)
            case "POST" | "PATCH", ["webhooks", _, _, *_]:
                data = self._message("0", body)
            case _:
                return _json({"message": "404: Not Found", "code": 0}, 404)
        return _json(data)

    def _update(self, method: str, parts: list[str], body: Any) -> web.Response:
        """PATCH …/messages/{id} (an edit) or POST …/messages/{id}/threads (a thread)."""
        channel, message_id = parts[1], parts[3]
        with self._lock:
            faults = self._faults[f"edit:{channel}"] if method == "PATCH" else deque()
            fault = faults.popleft() if faults else None
            live = (channel, message_id) in self._created
            threaded = message_id in self._threads
        if fault is not None:
            return _error(fault)
        if not live:
            return _error((404, 10008))
        if method == "PATCH" and len(parts) == 4:
            return _json(self._message(channel, body) | {"id": message_id})
        if method == "POST" and parts[4:] == ["threads"]:
            if threaded:
                return _error((400, 160004))
            with self._lock:
                self._threads[message_id] = body.get("name", "")
            thread = {"id": message_id, "type": 11, "parent_id": channel, "name": body["name"]}
            return _json(thread | {"guild_id": "1", "owner_id": BOT_ID})
        return _json({"message": "405: Method Not Allowed", "code": 0}, 405)

    def _create_message(self, channel: str, body: dict[str, Any]) -> tuple[web.Response, bool]:
        with self._lock:
            faults = self._faults[channel]
            fault = faults.popleft() if faults else None
            is_message = any(message_id == channel for _, message_id in self._created)
            if fault is None and is_message and channel not in self._threads:
                fault = 404  # a message's id is a channel only once a thread is started on it
            if fault is None and body.get("enforce_nonce") and body.get("nonce"):
                earlier = self._nonces.get((channel, body["nonce"]))
                if earlier is not None:
                    return _json(earlier), False
        if fault is not None:
            return _error(fault), False
        message = self._message(channel, body)
        with self._lock:
            self._created.add((channel, message["id"]))
            if body.get("nonce"):
                self._nonces[(channel, body["nonce"])] = message
        return _json(message), True

    @staticmethod
    def _callback(interaction_id: str, body: dict[str, Any]) -> dict[str, Any]:
        flags = (body.get("data") or {}).get("flags", 0)
        about = {
            "id": interaction_id,
            "type": 2,
            "response_message_loading": body["type"] == 5,
            "response_message_ephemeral": bool(flags & 64),
        }
        return {"interaction": about, "resource": {"type": body["type"]}}

    @staticmethod
    def _app_info() -> dict[str, Any]:
        return {
            "id": APP_ID,
            "name": "Division Bell",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": BOT_USER | {"id": "900000000000000003", "bot": False},
            "verify_key": "00",
            "flags": 0,
        }

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def close(self) -> None:
        """Close gateway sockets, stop listening."""
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @classmethod
    def start_in_thread(cls) -> DiscordAPI:
        """Serve from a background thread (beside a subprocess); call stop() when done."""
        return cls().serve_in_thread()
