"""`demo`: bundled sample feeds served on loopback, through the real `poll` pipeline."""

from __future__ import annotations

import re
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from importlib import resources
from pathlib import Path
from typing import TextIO

from aiohttp import web

from bot.app import poll_once
from bot.config import Settings, StorageSettings
from bot.domain import FeedSource

DEMO_FEEDS = {
    "Westminster Wire": "westminster_wire.xml",
    "Lobby Gazette": "lobby_gazette.xml",
}
_PLACEHOLDER = re.compile(r"\{\{(minutes_ago|iso_minutes_ago):(\d+)\}\}")


def render_demo_feed(filename: str, now: datetime) -> bytes:
    """A bundled sample feed with its relative dates filled in, so its items are always recent."""
    text = resources.files("bot").joinpath(f"data/demo/{filename}").read_text(encoding="utf-8")

    def fill(match: re.Match[str]) -> str:
        moment = now - timedelta(minutes=int(match.group(2)))
        if match.group(1) == "minutes_ago":
            return format_datetime(moment, usegmt=True)
        return moment.isoformat().replace("+00:00", "Z")

    return _PLACEHOLDER.sub(fill, text).encode("utf-8")


@asynccontextmanager
async def serve_demo_feeds(now: datetime) -> AsyncIterator[dict[str, str]]:
    """Serve the sample feeds on 127.0.0.1; yields feed name → URL."""
    bodies = {f"/{name}": render_demo_feed(name, now) for name in DEMO_FEEDS.values()}

    async def handler(request: web.Request) -> web.Response:
        body = bodies.get(request.path)
        if body is None:
            raise web.HTTPNotFound
        return web.Response(body=body, content_type="application/xml")

    app = web.Application()
    app.router.add_get("/{name}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield {name: f"http://127.0.0.1:{port}/{file}" for name, file in DEMO_FEEDS.items()}
    finally:
        await runner.cleanup()


async def run_demo(settings: Settings, *, stdout: TextIO) -> int:
    """Replay the sample feeds through the real pipeline into the console, on a scratch database."""
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="division-bell-demo-") as tmp:
        async with serve_demo_feeds(now) as urls:
            demo = replace(
                settings,
                storage=StorageSettings(path=Path(tmp) / "demo.sqlite3"),
                feeds=tuple(FeedSource(name=n, url=u) for n, u in urls.items()),
                webhooks=(),
                console=True,
                # A demo stays on loopback: it never asks Parliament about a defection.
                parliament=replace(settings.parliament, enabled=False),
            )
            stdout.write(
                "Division Bell demo: two sample feeds (invented January 2022 headlines) served "
                "on loopback,\npolled once through the real pipeline. Alerts follow.\n\n"
            )
            stdout.flush()
            status = await poll_once(demo, stdout=stdout)
    stdout.write(
        "Demo done. Ordinary news and the letters page did not alert; the Wakeford story "
        "carried by both feeds alerted once.\n"
    )
    return status
