"""A loopback webhook receiver that timestamps every POST (Slack-format: it answers "ok").

With `delay`, every POST is answered that many seconds after it arrived: a chat API's round trip
(replica_delivery.py). A GET of any path is answered with an empty RSS feed, so a `run` that must
poll a feed can poll this.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import defaultdict

from aiohttp import web

EMPTY_FEED = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title>'
    "<link>http://127.0.0.1/</link><description>nothing</description></channel></rss>"
)


class Receiver:
    """Runs on its own loop in a daemon thread; `arrivals` holds (unix time, body text) and
    `by_path` each path's bodies in the order they arrived."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.arrivals: list[tuple[float, str]] = []
        self.by_path: dict[str, list[str]] = defaultdict(list)
        self.in_flight = 0
        self.most_in_flight = 0  # the most POSTs being answered at once
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.port: int = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)

    async def _start(self) -> int:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        app.router.add_get("/{tail:.*}", self._feed)
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
            self.by_path[request.path].append(text)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
        finally:
            with self._lock:
                self.in_flight -= 1
        return web.Response(text="ok")

    async def _feed(self, request: web.Request) -> web.Response:
        return web.Response(text=EMPTY_FEED, content_type="application/rss+xml")

    @property
    def url(self) -> str:
        """The webhook URL to configure."""
        return self.url_for("/slack/bench")

    def url_for(self, path: str) -> str:
        """The URL of another path on this receiver."""
        return f"http://127.0.0.1:{self.port}{path}"

    def first_containing(self, token: str) -> float | None:
        """When the first POST mentioning `token` arrived, if one has."""
        with self._lock:
            return next((at for at, text in self.arrivals if token in text), None)

    def reset(self) -> None:
        """Forget every POST so far."""
        with self._lock:
            self.arrivals.clear()
            self.by_path.clear()
            self.most_in_flight = self.in_flight

    def stop(self) -> None:
        """Stop serving and end the thread."""
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
