"""A loopback stand-in for Slack: the Web API, response_url, and the Socket Mode websocket.

    async with SlackApi() as slack:
        settings … api_base = slack.api_base
        slack.fail("C0GONE", Failure("channel_not_found"))
        slack.stall("C0SLOW", 2.0)        # the next post is accepted, answered 2 s late
        … slack.posts("C0POLITICS") → the chat.postMessage bodies accepted for that channel
        slack.fail("chat.update", Failure("cant_update_message"))   # script a method's calls
        … slack.updates("C0POLITICS") → the chat.update bodies accepted for that channel

or `slack = SlackApi.start_in_thread()` … `slack.stop()` beside a subprocess.

It checks the bearer token of every call (bot token, or the app token for
apps.connections.open), answers like Slack does (HTTP 200 with {"ok": false, "error": …} for
most errors, 429 with Retry-After when rate limited, an HTML 5xx when broken), and refuses
chat.postMessage bodies the real API would refuse (no text, over 50 blocks, a text over 3000).
chat.update edits only a message it posted (else message_not_found), by the same body rules;
`delete(channel, ts)` removes one, as a member deleting the alert would.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.support.slack_data import (
    APP_TOKEN,
    BOT_TOKEN,
    IDENTITY,
    USERS,
    Call,
    Failure,
    post_message_problem,
)
from tests.support.threaded import ThreadedServer


@dataclass
class _State:
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, deque[Failure]] = field(default_factory=lambda: defaultdict(deque))
    replies: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    acks: list[dict[str, Any]] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # token → error code
    stalls: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    posted: set[tuple[str, str]] = field(default_factory=set)  # (channel, ts) of live messages


def _json(
    data: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(data, status=status, headers=headers)


class SlackApi(ThreadedServer):
    """Slack's Web API and friends on 127.0.0.1, recording what arrives."""

    def __init__(self, bot_token: str = BOT_TOKEN, app_token: str = APP_TOKEN) -> None:
        self.bot_token, self.app_token = bot_token, app_token
        self._lock = threading.Lock()
        self._state = _State()
        self._sockets: list[web.WebSocketResponse] = []
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # --- addresses, scripting and inspection (safe from any thread) ---

    @property
    def api_base(self) -> str:
        """What `[slack] api_base` should be."""
        return f"http://127.0.0.1:{self._port}/api/"

    def response_url(self, name: str = "r1") -> str:
        """A response_url for a slash-command payload; replies are kept under `name`."""
        return f"http://127.0.0.1:{self._port}/response/{name}"

    def fail(self, target: str, *failures: Failure) -> None:
        """Answer the next calls to `target` (a channel's posts, or a method) with these."""
        with self._lock:
            self._state.failures[target].extend(failures)

    def stall(self, channel: str, *seconds: float) -> None:
        """Accept the next posts to a channel but answer each only after so many seconds."""
        with self._lock:
            self._state.stalls[channel].extend(seconds)

    def refuse(self, token: str, error: str = "invalid_auth") -> None:
        """Refuse every call made with `token` from now on."""
        with self._lock:
            self._state.refused[token] = error

    def accept(self, token: str) -> None:
        """Stop refusing `token`."""
        with self._lock:
            self._state.refused.pop(token, None)

    def calls(self, method: str | None = None) -> list[Call]:
        """Web API calls received (of one method), in order."""
        with self._lock:
            return [c for c in self._state.calls if method is None or c.method == method]

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Bodies of the chat.postMessage calls that succeeded (to one channel)."""
        return [
            c.params
            for c in self.calls("chat.postMessage")
            if c.status == 200 and not c.error and channel in (None, c.params.get("channel"))
        ]

    def updates(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Bodies of the chat.update calls that succeeded (in one channel)."""
        return [
            c.params
            for c in self.calls("chat.update")
            if c.status == 200 and not c.error and channel in (None, c.params.get("channel"))
        ]

    def delete(self, channel: str, ts: str) -> None:
        """Delete a posted message: later chat.update calls on it meet message_not_found."""
        with self._lock:
            self._state.posted.discard((channel, ts))

    def replies(self, name: str = "r1") -> list[dict[str, Any]]:
        """What was posted to response_url `name`."""
        with self._lock:
            return list(self._state.replies[name])

    def acks(self) -> list[dict[str, Any]]:
        """Socket Mode acknowledgements received."""
        with self._lock:
            return list(self._state.acks)

    async def wait_for(self, check: Callable[[], bool], within: float = 10.0) -> None:
        """Wait until check() is true; fail the test if it never is."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not check():
            if loop.time() > deadline:
                raise AssertionError("the Slack stand-in never saw what the test waited for")
            await asyncio.sleep(0.01)

    # --- Socket Mode ---

    @property
    def sockets_open(self) -> int:
        """Websockets currently connected."""
        return sum(not ws.closed for ws in self._sockets)

    async def send_envelope(self, kind: str, payload: dict[str, Any]) -> str:
        """Push an envelope (e.g. "slash_commands") down the newest websocket; its id."""
        envelope_id = str(uuid.uuid4())
        message = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind == "slash_commands",
        }
        await self._sockets[-1].send_str(json.dumps(message))
        return envelope_id

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()  # answers pings itself, as Slack does
        await ws.prepare(request)
        self._sockets.append(ws)
        hello = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0BELL"}}
        await ws.send_str(json.dumps(hello))
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                with self._lock:
                    self._state.acks.append(json.loads(message.data))
        return ws

    # --- the Web API ---

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(await request.post())
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        status, error, answer = self._answer(method, token, params)
        with self._lock:
            self._state.calls.append(Call(method, token, params, status, error))
            stalls = self._state.stalls[str(params.get("channel"))]
            posted = method == "chat.postMessage" and status == 200 and not error
            stall = stalls.popleft() if stalls and posted else 0.0
        if stall:
            await asyncio.sleep(stall)  # posted already: a client that gives up is too late
        return answer

    def _answer(
        self, method: str, token: str, params: dict[str, Any]
    ) -> tuple[int, str, web.StreamResponse]:
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        with self._lock:
            refused = self._state.refused.get(token)
        if refused or token != expected:
            error = refused or "invalid_auth"
            return 200, error, _json({"ok": False, "error": error})
        handlers: dict[str, Callable[[dict[str, Any]], tuple[int, str, web.StreamResponse]]] = {
            "auth.test": lambda _: (200, "", _json(IDENTITY)),
            "users.info": self._user_info,
            "apps.connections.open": lambda _: (200, "", _json({"ok": True, "url": self._ws_url})),
            "chat.postMessage": self._post_message,
            "chat.update": self._update_message,
        }
        if method not in handlers:
            return 200, "unknown_method", _json({"ok": False, "error": "unknown_method"})
        return self._scripted(method) or handlers[method](params)

    @property
    def _ws_url(self) -> str:
        return f"ws://127.0.0.1:{self._port}/socket"

    @staticmethod
    def _user_info(params: dict[str, Any]) -> tuple[int, str, web.StreamResponse]:
        user = USERS.get(str(params.get("user")))
        if user is None:
            return 200, "user_not_found", _json({"ok": False, "error": "user_not_found"})
        return 200, "", _json({"ok": True, "user": {"id": params["user"], **user}})

    def _scripted(self, target: str) -> tuple[int, str, web.StreamResponse] | None:
        """The next scripted failure for a method or channel, answered as Slack would."""
        with self._lock:
            queue = self._state.failures[target]
            failure = queue.popleft() if queue else None
        if failure is None:
            return None
        if failure.status >= 500:
            page = "<html><body>Server error</body></html>"
            return failure.status, "", web.Response(status=failure.status, text=page)
        headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
        answer = {"ok": False, "error": failure.error}
        return failure.status, failure.error, _json(answer, failure.status, headers)

    def _post_message(self, body: dict[str, Any]) -> tuple[int, str, web.StreamResponse]:
        channel = str(body.get("channel") or "")
        scripted = self._scripted(channel)
        if scripted is not None:
            return scripted
        problem = post_message_problem(body)
        if problem:
            return 200, problem, _json({"ok": False, "error": problem})
        ts = f"1700000000.{next(self._ts):06d}"
        with self._lock:
            self._state.posted.add((channel, ts))
        return 200, "", _json({"ok": True, "channel": channel, "ts": ts, "message": body})

    def _update_message(self, body: dict[str, Any]) -> tuple[int, str, web.StreamResponse]:
        channel, ts = str(body.get("channel") or ""), str(body.get("ts") or "")
        with self._lock:
            live = (channel, ts) in self._state.posted
        problem = "message_not_found" if not live else post_message_problem(body)
        if problem:
            return 200, problem, _json({"ok": False, "error": problem})
        return 200, "", _json({"ok": True, "channel": channel, "ts": ts, "text": body.get("text")})

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        with self._lock:
            self._state.replies[request.match_info["name"]].append(body)
        return web.Response(text="ok", content_type="text/plain")

    # --- serving ---

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{name}", self._response_url)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def close(self) -> None:
        """Close websockets, stop listening."""
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @classmethod
    def start_in_thread(cls) -> SlackApi:
        """Serve from a background thread (beside a subprocess); call stop() when done."""
        return cls().serve_in_thread()
