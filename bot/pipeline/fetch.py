"""Stage 1: FeedSource + stored validators → body bytes or not-modified.

The deciding helpers (Cache-Control, backoff, next poll; Retry-After is read by bot.retry) are
pure; `fetch_feed` is the one function that does I/O, and it turns every aiohttp failure into a
`FetchError` naming the feed.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp

from bot import USER_AGENT
from bot.domain import FeedSource
from bot.errors import FetchError
from bot.retry import MAX_RETRY_AFTER_S, parse_retry_after

_CHUNK = 64 * 1024
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
)


@dataclass(frozen=True, slots=True)
class Validators:
    """What we remember about a feed's last response, to ask "has it changed?"."""

    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """Bounds on one fetch: seconds, decoded bytes and redirects."""

    timeout: float = 20.0
    connect_timeout: float = 10.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome of one successful fetch; `body` is None when the feed has not changed."""

    modified: bool
    body: bytes | None
    validators: Validators
    final_url: str
    content_type: str | None
    max_age: float | None
    status: int


def make_session(*, limits: FetchLimits) -> aiohttp.ClientSession:
    """A session for polling feeds: our User-Agent, no cookies, a few connections per host."""
    # Several default feeds share a host (feeds.bbci.co.uk); a small per-host limit keeps us polite
    # without serialising them. No cookie jar: a feed server has no business tracking us.
    connector = aiohttp.TCPConnector(limit=32, limit_per_host=4, ttl_dns_cache=300)
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=_client_timeout(limits),
        headers={
            "User-Agent": USER_AGENT,
            "Accept": _ACCEPT,
            # Only what the stdlib decodes; the body cap below applies to the decoded bytes anyway.
            "Accept-Encoding": "gzip, deflate",
        },
    )


def _client_timeout(limits: FetchLimits) -> aiohttp.ClientTimeout:
    # sock_connect, not connect: `connect` also counts time queued for the per-host pool, which
    # would turn a busy host into spurious "connect" timeouts; the total still bounds the queue.
    return aiohttp.ClientTimeout(total=limits.timeout, sock_connect=limits.connect_timeout)


async def fetch_feed(
    session: aiohttp.ClientSession,
    feed: FeedSource,
    previous: Validators,
    limits: FetchLimits,
) -> FetchResult:
    """Conditionally GET one feed within `limits`; raise FetchError on any failure."""
    headers: dict[str, str] = {}
    if previous.etag:
        headers["If-None-Match"] = previous.etag
    if previous.last_modified:
        headers["If-Modified-Since"] = previous.last_modified
    try:
        async with session.get(
            feed.url,
            headers=headers,
            timeout=_client_timeout(limits),
            # aiohttp raises when the count *reaches* its limit, so N allowed redirects need N + 1;
            # and 0 there would mean "unlimited", which +1 also avoids.
            max_redirects=limits.max_redirects + 1,
        ) as resp:
            return await _read_response(resp, feed, previous, limits)
    except FetchError:
        raise
    except TimeoutError as exc:
        if isinstance(exc, aiohttp.ConnectionTimeoutError):
            raise FetchError(
                feed.name, f"timed out after {limits.connect_timeout:g}s connecting"
            ) from None
        raise FetchError(
            feed.name, f"timed out after {limits.timeout:g}s (total time limit for one fetch)"
        ) from None
    except aiohttp.ClientError as exc:
        raise FetchError(feed.name, _describe(exc, limits)) from None


async def _read_response(
    resp: aiohttp.ClientResponse, feed: FeedSource, previous: Validators, limits: FetchLimits
) -> FetchResult:
    """Check the status, then stream the decoded body under the cap."""
    max_age = parse_max_age(resp.headers.get("Cache-Control"))
    if resp.status == 304:
        return FetchResult(
            modified=False,
            body=None,
            validators=previous,
            final_url=str(resp.url),
            content_type=resp.headers.get("Content-Type"),
            max_age=max_age,
            status=304,
        )
    _check_status(resp, feed)

    # Without Content-Encoding the declared length is the decoded length: refuse before reading.
    length = resp.content_length
    if "Content-Encoding" not in resp.headers and length is not None and length > limits.max_bytes:
        raise FetchError(feed.name, f"body larger than {limits.max_bytes} bytes (cap)")
    digest = hashlib.sha256()
    parts: list[bytes] = []
    total = 0
    # resp.content yields bytes after gzip/deflate decoding, so the cap bounds memory even for a
    # compression bomb; we stop at the first chunk past the cap instead of reading to the end.
    async for chunk in resp.content.iter_chunked(_CHUNK):
        total += len(chunk)
        if total > limits.max_bytes:
            raise FetchError(feed.name, f"body larger than {limits.max_bytes} bytes (cap)")
        digest.update(chunk)
        parts.append(chunk)

    body_hash = digest.hexdigest()
    validators = Validators(
        etag=resp.headers.get("ETag"),
        last_modified=resp.headers.get("Last-Modified"),
        body_hash=body_hash,
    )
    unchanged = previous.body_hash is not None and previous.body_hash == body_hash
    return FetchResult(
        modified=not unchanged,
        body=None if unchanged else b"".join(parts),
        validators=validators,
        final_url=str(resp.url),
        content_type=resp.headers.get("Content-Type"),
        max_age=max_age,
        status=resp.status,
    )


def _check_status(resp: aiohttp.ClientResponse, feed: FeedSource) -> None:
    """Raise FetchError for anything but a 2xx, with Retry-After where the server gave one."""
    if 200 <= resp.status < 300:
        return
    reason = f"HTTP {resp.status} {resp.reason or ''}".rstrip()
    if resp.status in (429, 503):
        retry_after = parse_retry_after(resp.headers.get("Retry-After"), datetime.now(UTC))
        raise FetchError(feed.name, reason, retry_after=retry_after)
    if 300 <= resp.status < 400:
        reason += " (redirect without a usable Location)"
    raise FetchError(feed.name, reason)


def _describe(exc: aiohttp.ClientError, limits: FetchLimits) -> str:
    """A one-line reason for a client error: no traceback, no URL query string."""
    reason = f"request failed ({type(exc).__name__})"
    if isinstance(exc, aiohttp.TooManyRedirects):
        urls = [str(r.url) for r in exc.history]
        looped = len(set(urls)) < len(urls)
        reason = (
            f"redirect loop (stopped after {limits.max_redirects} redirects)"
            if looped
            else f"more than {limits.max_redirects} redirects"
        )
    elif isinstance(exc, aiohttp.RedirectClientError):
        reason = "redirected to an invalid or non-HTTP URL"
    elif isinstance(exc, aiohttp.ClientConnectorDNSError):
        reason = f"DNS lookup failed for {exc.host}"
    elif isinstance(exc, aiohttp.ClientSSLError):
        reason = f"TLS error connecting to {exc.host}:{exc.port}"
    elif isinstance(exc, aiohttp.ClientConnectorError):
        reason = f"cannot connect to {exc.host}:{exc.port} ({exc.strerror or 'connection failed'})"
    elif isinstance(exc, aiohttp.ServerDisconnectedError):
        reason = "server closed the connection without a complete response"
    elif isinstance(exc, aiohttp.ClientPayloadError):
        reason = "response body was cut off or badly encoded"
    elif isinstance(exc, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        reason = "invalid or non-HTTP feed URL"
    elif isinstance(exc, aiohttp.ClientResponseError):
        reason = f"invalid HTTP response ({exc.message[:200]})"
    return reason


def parse_max_age(cache_control: str | None) -> float | None:
    """The max-age of a Cache-Control header in seconds, or None when absent or malformed."""
    if not cache_control:
        return None
    for directive in cache_control.split(","):
        name, sep, raw = directive.partition("=")
        if name.strip().lower() != "max-age" or not sep:
            continue
        text = raw.strip().strip('"')
        return float(text) if text.isascii() and text.isdigit() else None
    return None


def backoff_delay(
    failures: int, *, base: float, cap: float = 3600.0, retry_after: float | None = None
) -> float:
    """Seconds to wait after `failures` consecutive failures: base, 2×base, 4×base … up to cap."""
    if failures < 1 or base <= 0:
        raise ValueError("backoff_delay needs failures >= 1 and base > 0")
    # The first failure waits one normal interval (a blip should not slow polling); a cap below
    # the feed's own interval would poll a failing feed *more* often than a healthy one.
    ceiling = max(cap, base)
    delay = min(base * 2.0 ** min(failures - 1, 64), ceiling)
    if retry_after is not None:
        # The server's own wait wins, even past the cap, but a feed is never parked beyond a day.
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER_S))
    return delay


def next_poll_delay(
    interval: float,
    *,
    jitter: float,
    rng: random.Random,
    ttl: float | None,
    max_age: float | None,
) -> float:
    """Seconds until the next poll: the interval ± jitter, with the feed's hints as a floor.

    `ttl` (RSS <ttl> converted to seconds) and `max_age` (Cache-Control) may lengthen the delay up
    to the configured interval, never beyond it (as [polling] interval promises), and never
    shorten it: a server allowing faster polling does not make us poll faster. So their only
    effect is that a feed asking for at least the interval is not polled early by the downward
    half of the jitter.
    """
    if interval <= 0 or not 0 <= jitter < 1:
        raise ValueError("next_poll_delay needs interval > 0 and 0 <= jitter < 1")
    delay = interval * (1.0 + rng.uniform(-jitter, jitter))
    hints = [h for h in (ttl, max_age) if h is not None and h > 0]
    if hints:
        delay = max(delay, min(max(hints), interval))
    return delay
