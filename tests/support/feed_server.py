"""A loopback feed server for tests: serves feeds with validators, and misbehaves on request.

Async: `async with FeedServer() as server: server.url("/feed")`. From synchronous code (e.g. around
a `division-bell poll` subprocess): `with FeedServer.start_in_thread() as server: ...`.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import itertools
import re
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, NamedTuple

from aiohttp import web
from multidict import CIMultiDict

RSS_TYPE = "application/rss+xml; charset=utf-8"
_MIB = 1 << 20
MALFORMED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken</title><item><title>Un'
# cp1252 bytes (’ £ é) in a document that declares UTF-8: a real-world mislabelled feed.
WRONG_ENCODING = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Mislabelled</title>'
    "<item><title>Chancellor’s £5bn café plan</title><link>https://example.org/a</link></item>"
    "</channel></rss>"
).encode("cp1252")
_OPTIONS: dict[str, set[str]] = {
    "status": {"status", "retry_after", "body", "headers"},
    "slow": {"delay"},
    "trickle": {"interval", "body"},
    "malformed": {"body"},
    "endless": {"chunk_size"},
    "gzip_bomb": {"size"},
    "redirect_loop": {"status"},
    "redirect": {"to", "status"},
    "wrong_encoding": {"body"},
    "drop": set(),
    "churn": {"links"},  # the feed's own body with every GUID (and link) renamed per request
}


class RecordedRequest(NamedTuple):
    """One request as received; `headers` look-ups are case-insensitive."""

    method: str
    path: str
    headers: CIMultiDict[str]


@dataclass
class _Feed:
    body: bytes
    etag: str | None
    last_modified: datetime | None
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    gzip: bool = False


@functools.cache
def gzip_bomb(size: int = 512 * _MIB) -> bytes:
    """A valid gzip stream of `size` zero bytes (whole MiB), made without compressing them all.

    After a full flush the compressor's state is reset, so every 1 MiB block of zeros compresses to
    the same bytes: compress one, repeat it, and add the header, final block and CRC/length trailer.
    """
    blocks = max(size // _MIB, 1)
    zeros = bytes(_MIB)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(blocks):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = b"\x03\x00" + struct.pack("<II", crc, (blocks * _MIB) & 0xFFFFFFFF)
    return header + block * blocks + trailer


class FeedServer:
    """Serves feeds on 127.0.0.1 with ETag/Last-Modified, 304s and optional faults per path."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._feeds: dict[str, _Feed] = {}
        self._faults: dict[str, tuple[str, dict[str, Any]]] = {}
        self._runner: web.AppRunner | None = None
        self._port = 0

    async def __aenter__(self) -> FeedServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Bind a free port on 127.0.0.1 and start serving."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # A client that gives up (timeout, cap) must not leave a sleeping/endless handler behind.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def close(self) -> None:
        """Stop serving and close open connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def port(self) -> int:
        """The bound port (0 before start)."""
        return self._port

    def url(self, path: str = "/") -> str:
        """The full http://127.0.0.1:PORT URL of `path`."""
        return f"http://127.0.0.1:{self._port}{path}"

    def set_feed(
        self,
        path: str,
        body: bytes,
        *,
        etag: bool = True,
        last_modified: bool = True,
        content_type: str = RSS_TYPE,
        headers: dict[str, str] | None = None,
        gzip: bool = False,
    ) -> None:
        """Serve `body` at `path`; a new body gets a new ETag and a later Last-Modified."""
        old = self._feeds.get(path)
        stamp = datetime.now(UTC).replace(microsecond=0)
        if old is not None and old.body == body and old.last_modified is not None:
            stamp = old.last_modified
        elif old is not None and old.last_modified is not None and stamp <= old.last_modified:
            # HTTP-dates have 1 s resolution: a body changed within the same second must still
            # look newer, or a client's If-Modified-Since would wrongly get a 304.
            stamp = old.last_modified + timedelta(seconds=1)
        self._feeds[path] = _Feed(
            body=body,
            etag=f'"{hashlib.sha256(body).hexdigest()[:20]}"' if etag else None,
            last_modified=stamp if last_modified else None,
            content_type=content_type,
            headers=dict(headers or {}),
            gzip=gzip,
        )

    def set_fault(self, path: str, mode: str, **options: Any) -> None:
        """Make `path` misbehave; see _OPTIONS for the modes and the options each takes."""
        if mode not in _OPTIONS:
            raise ValueError(f"unknown fault mode {mode!r}")
        if unknown := set(options) - _OPTIONS[mode]:
            raise ValueError(f"fault {mode!r} takes no option(s) {sorted(unknown)}")
        if mode == "redirect" and "to" not in options:
            raise ValueError("fault 'redirect' needs to=PATH_OR_URL")
        self._faults[path] = (mode, options)

    def clear_fault(self, path: str) -> None:
        """Serve `path` normally again."""
        self._faults.pop(path, None)

    def requests_for(self, path: str) -> list[RecordedRequest]:
        """The recorded requests for one path, oldest first."""
        return [r for r in self.requests if r.path == path]

    @staticmethod
    def start_in_thread() -> FeedServerThread:
        """Start a server on its own event loop in a daemon thread, for synchronous tests."""
        return FeedServerThread()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        record = RecordedRequest(request.method, request.path, CIMultiDict(request.headers))
        self.requests.append(record)
        fault = self._faults.get(request.path)
        if fault is not None:
            mode, options = fault
            if mode == "slow":
                await asyncio.sleep(float(options.get("delay", 5.0)))
            elif mode == "churn":
                return self._churn(request, options)
            else:
                return await self._fault(request, mode, options)
        return self._serve(request)

    def _serve(self, request: web.Request) -> web.StreamResponse:
        feed = self._feeds.get(request.path)
        if feed is None:
            return web.Response(status=404, text="no feed here")
        headers = dict(feed.headers)
        if feed.etag:
            headers["ETag"] = feed.etag
        if feed.last_modified:
            headers["Last-Modified"] = format_datetime(feed.last_modified, usegmt=True)
        if _not_modified(request, feed):
            return web.Response(status=304, headers=headers)
        headers["Content-Type"] = feed.content_type
        response = web.Response(body=feed.body, headers=headers)
        if feed.gzip:
            response.enable_compression()
        return response

    def _churn(self, request: web.Request, options: dict[str, Any]) -> web.Response:
        feed = self._feeds.get(request.path)
        if feed is None:
            return web.Response(status=404, text="no feed here")
        body = _churned(feed.body, len(self.requests_for(request.path)), options)
        return web.Response(body=body, headers={"Content-Type": feed.content_type})

    async def _fault(
        self, request: web.Request, mode: str, options: dict[str, Any]
    ) -> web.StreamResponse:
        feed = self._feeds.get(request.path)
        body = options.get("body")
        if mode == "status":
            headers = dict(options.get("headers", {}))
            if options.get("retry_after") is not None:
                headers["Retry-After"] = str(options["retry_after"])
            status = int(options.get("status", 500))
            return web.Response(status=status, body=body or b"", headers=headers)
        if mode in ("redirect", "redirect_loop"):
            target = options.get("to", request.path)
            location = target if "://" in target else self.url(target)
            status = int(options.get("status", 302))
            return web.Response(status=status, headers={"Location": location})
        if mode in ("malformed", "wrong_encoding"):
            default = MALFORMED if mode == "malformed" else WRONG_ENCODING
            return web.Response(body=body or default, headers={"Content-Type": RSS_TYPE})
        if mode == "drop":
            if request.transport is not None:
                request.transport.abort()
            # Answering would only fail to write; ending as cancelled sends and logs nothing.
            raise asyncio.CancelledError
        stream = web.StreamResponse(headers={"Content-Type": RSS_TYPE})
        if mode == "gzip_bomb":
            data = await asyncio.to_thread(gzip_bomb, int(options.get("size", 512 * _MIB)))
            stream.headers["Content-Encoding"] = "gzip"
            stream.content_length = len(data)
            chunks: Iterator[bytes] = (data[i : i + 65536] for i in range(0, len(data), 65536))
        elif mode == "endless":
            size = int(options.get("chunk_size", 65536))
            chunks = itertools.repeat(b"<rss><channel>" + b" " * size)
            stream.enable_chunked_encoding()
        else:  # trickle
            payload = body or (feed.body if feed else b"<rss/>")
            chunks = (payload[i : i + 1] for i in range(len(payload)))
        await stream.prepare(request)
        interval = float(options.get("interval", 0.5))
        try:
            for chunk in chunks:
                await stream.write(chunk)
                if mode == "trickle":
                    await asyncio.sleep(interval)
            await stream.write_eof()
        except ConnectionError:
            pass  # the client stopped reading (cap or timeout): that is the point of the test
        return stream


def _churned(body: bytes, serial: int, options: dict[str, Any]) -> bytes:
    """Every <guid> (and with links=True every <link>) made new for request number `serial`."""
    tags = b"guid|link" if options.get("links") else b"guid"
    mark = f"-churn{serial}".encode()
    return re.sub(rb"(<(" + tags + rb")\b[^>]*>)([^<]*)(</\2>)", rb"\1\3" + mark + rb"\4", body)


def _not_modified(request: web.Request, feed: _Feed) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present; else If-Modified-Since."""
    inm = request.headers.get("If-None-Match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return feed.etag is not None and ("*" in tags or feed.etag in tags)
    ims = request.headers.get("If-Modified-Since")
    if ims is None or feed.last_modified is None:
        return False
    try:
        since = parsedate_to_datetime(ims)
    except (TypeError, ValueError):
        return False
    return since.tzinfo is not None and feed.last_modified <= since


class FeedServerThread(FeedServer):
    """A FeedServer on its own loop in a daemon thread; set_feed/set_fault are thread-safe."""

    def __init__(self) -> None:
        super().__init__()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.start(), self._loop).result(timeout=10)

    def __enter__(self) -> FeedServerThread:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop the server, then its loop and thread; safe to call twice."""
        if self._loop.is_closed():
            return
        asyncio.run_coroutine_threadsafe(self.close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
