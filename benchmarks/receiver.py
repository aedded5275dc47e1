"""A loopback webhook receiver that timestamps every POST (Slack-format: it answers "ok")."""

from __future__ import annotations

import asyncio
import threading
import time

from aiohttp import web


class Receiver:
    """Runs on its own loop in a daemon thread; `arrivals` holds (unix time, body text)."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.port: int = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)

    async def _start(self) -> int:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port: int = self._runner.addresses[0][1]
        return port

    async def _handle(self, request: web.Request) -> web.Response:
        text = await request.text()
        with self._lock:
            self.arrivals.append((time.time(), text))
        return web.Response(text="ok")

    @property
    def url(self) -> str:
        """The webhook URL to configure."""
        return f"http://127.0.0.1:{self.port}/slack/bench"

    def first_containing(self, token: str) -> float | None:
        """When the first POST mentioning `token` arrived, if one has."""
        with self._lock:
            return next((at for at, text in self.arrivals if token in text), None)

    def stop(self) -> None:
        """Stop serving and end the thread."""
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
