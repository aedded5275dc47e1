"""The service's HTTP endpoint on [http] listen: /healthz, /metrics (and routes transports add)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.errors import ConfigError

log = logging.getLogger(__name__)

HealthCheck = Callable[[], Awaitable[tuple[bool, dict[str, Any]]]]
MetricsSource = Callable[[], Awaitable[bytes]]
# The classic Prometheus text format, which every Prometheus version and scraper reads.
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def create_app(health: HealthCheck, metrics: MetricsSource | None = None) -> web.Application:
    """An aiohttp app serving /healthz from `health` and /metrics from `metrics`.

    Transports may add their own routes (Slack HTTP mode adds /slack/events).
    """
    app = web.Application()

    async def healthz(_: web.Request) -> web.Response:
        healthy, details = await health()
        return web.json_response(
            {"status": "ok" if healthy else "unhealthy", **details}, status=200 if healthy else 503
        )

    app.router.add_get("/healthz", healthz)
    if metrics is not None:
        render = metrics

        async def metrics_page(_: web.Request) -> web.Response:
            body = await render()
            return web.Response(body=body, headers={"Content-Type": METRICS_CONTENT_TYPE})

        app.router.add_get("/metrics", metrics_page)
    return app


async def start_site(app: web.Application, listen: str) -> web.AppRunner:
    """Serve `app` on HOST:PORT (port 0: any free port); the caller cleans the runner up."""
    host, _, port = listen.rpartition(":")
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host.strip("[]"), int(port))
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise ConfigError(listen_advice(listen, exc)) from None
    log.info("serving /healthz and /metrics on http://%s", listen)
    return runner


def listen_advice(listen: str, exc: OSError) -> str:
    """One line: why `run` cannot serve on `listen`, and which setting to change."""
    return (
        f"[http] listen {listen}: cannot listen there ({exc.strerror or exc}). Choose a free "
        "HOST:PORT in [http] listen (or DIVISION_BELL_HTTP_LISTEN), or stop what is using it"
    )
