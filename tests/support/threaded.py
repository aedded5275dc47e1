"""One way to run an async loopback stand-in beside a subprocess: its own loop in a thread."""

from __future__ import annotations

import asyncio
import threading
from typing import Self


class ThreadedServer:
    """Base for stand-ins with async start()/close(): `async with`, or a thread and stop()."""

    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None

    async def start(self) -> None:
        """Begin listening on 127.0.0.1."""
        raise NotImplementedError

    async def close(self) -> None:
        """Stop listening and release everything."""
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def serve_in_thread(self) -> Self:
        """Serve from a daemon thread with its own event loop; call stop() when done."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.start(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        """Stop a server started with serve_in_thread(); safe to call twice."""
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self.close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._loop = self._thread = None
