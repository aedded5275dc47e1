"""The service's HTTP endpoint on [http] listen: /healthz (and routes transports add)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

HealthCheck = Callable[[], Awaitable[tuple[bool, dict[str, Any]]]]


def create_app(health: HealthCheck) -> web.Application:
    """An aiohttp app serving /healthz from `health`; transports may add their own routes."""
    app = web.Application()

    async def healthz(_: web.Request) -> web.Response:
        healthy, details = await health()
        return web.json_response(
            {"status": "ok" if healthy else "unhealthy", **details}, status=200 if healthy else 503
        )

    app.router.add_get("/healthz", healthz)
    return app


async def start_site(app: web.Application, listen: str) -> web.AppRunner:
    """Serve `app` on HOST:PORT; the caller cleans the runner up."""
    host, _, port = listen.rpartition(":")
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host.strip("[]"), int(port))
    await site.start()
    log.info("serving /healthz on http://%s", listen)
    return runner
