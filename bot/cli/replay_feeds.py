"""`replay`'s loopback feed server: each archived feed as RSS 2.0, as it stood at a virtual time."""

from __future__ import annotations

import bisect
import re
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

from aiohttp import web

from bot.cli.replay_input import ArchivedEntry, ArchivedFeed

# A real feed rolls: it lists its newest entries, and drops what is a day old.
FEED_ITEMS = 100
FEED_SPAN = timedelta(hours=24)
# Characters XML 1.0 cannot carry at all, even escaped: a real feed with them is unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return escape(_NOT_XML.sub("", text))


def render_item(entry: ArchivedEntry) -> str:
    """One `<item>`: title, link, guid, pubDate and the summary's HTML as escaped text."""
    permalink = "" if entry.guid == entry.link else ' isPermaLink="false"'
    parts = [
        "<item>",
        f"<title>{_xml_text(entry.title)}</title>",
        f"<link>{_xml_text(entry.link)}</link>",
        f"<guid{permalink}>{_xml_text(entry.guid)}</guid>",
        f"<pubDate>{format_datetime(entry.published.astimezone(UTC), usegmt=True)}</pubDate>",
    ]
    if entry.summary:
        parts.append(f"<description>{_xml_text(entry.summary)}</description>")
    parts.append("</item>")
    return "".join(parts)


class RollingFeed:
    """One archived feed; `document(now)` is what it served at `now`."""

    def __init__(self, feed: ArchivedFeed) -> None:
        self.feed = feed
        self.times = [e.published for e in feed.entries]  # oldest first
        self.items = [render_item(e) for e in feed.entries]
        self.head = (
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>{_xml_text(feed.name)}</title>"
            f"<description>{_xml_text(feed.outlet)}, replayed</description>"
        )

    def published_by(self, now: datetime) -> int:
        """How many of its entries are published at or before `now`."""
        return bisect.bisect_right(self.times, now)

    def document(self, now: datetime) -> bytes:
        """RSS 2.0 of the newest entries published by `now`, newest first, none a day old."""
        end = self.published_by(now)
        start = max(bisect.bisect_right(self.times, now - FEED_SPAN), end - FEED_ITEMS)
        items = "".join(reversed(self.items[start:end]))
        return f"{self.head}{items}</channel></rss>\n".encode()


@asynccontextmanager
async def serve_archive(
    feeds: Sequence[RollingFeed], clock: Callable[[], datetime]
) -> AsyncIterator[list[str]]:
    """Serve each feed on 127.0.0.1 as it stands at `clock()`; yields their URLs, in order."""

    async def handler(request: web.Request) -> web.Response:
        index = int(request.match_info["index"])
        if index >= len(feeds):
            raise web.HTTPNotFound
        body = feeds[index].document(clock())
        return web.Response(body=body, content_type="application/rss+xml", charset="utf-8")

    app = web.Application()
    app.router.add_get(r"/feeds/{index:\d+}.xml", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield [f"http://127.0.0.1:{port}/feeds/{index}.xml" for index in range(len(feeds))]
    finally:
        await runner.cleanup()
