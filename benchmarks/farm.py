"""The loopback feed farm: N feeds × 50 items of realistic size, served from 127.0.0.1 only.

Run as its own process (`python -m benchmarks.farm --feeds 500`) so serving never shares a CPU
with the event loop being measured; `Farm` is the handle the other benchmarks use to start it,
point tools at it and change it between rounds.

The mix, by feed number i:
- style: i % 10 < 5 BBC-style RSS (CDATA, fragment GUIDs, tracking links, thumbnails, ~30 KB),
  5–7 Guardian-style RSS (escaped HTML, categories, media:content, ~120 KB), 8–9 GOV.UK-style
  Atom (~25 KB);
- validators ("mixed" mode): i % 5 in (0, 1) ETag + Last-Modified, 2 Last-Modified only,
  3 none at all, 4 ETag only. Mode "all" gives every feed both; "none" gives none and ignores
  conditional requests, so every poll is a 200 with the same body;
- gzip: every third feed, when the client accepts it;
- hosts: feeds are spread over several ports of 127.0.0.1, since a real feed list spans many
  hosts and HTTP clients limit connections per host.

Rounds: at round r, a fixed 10% of feeds (a different 10% each round) have 5 new items on top.
The state is a pure function of (round, mode) plus any injected items, so `reset` replays the
same feeds byte for byte to a second tool.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import hashlib
import json
import math
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from aiohttp import web

from benchmarks.corpus import CORPORA
from benchmarks.farm_client import ITEMS, FarmClient

NEW_PER_CHANGE = 5
CHANGED_SHARE = 0.10
HOSTS = 25  # ports on 127.0.0.1 standing in for distinct feed hosts
ROUND_SPACING = timedelta(minutes=1)
BASELINE_SPACING = timedelta(minutes=55)  # 50 items span ~2 days, so a few are "recent"
MODES = ("mixed", "all", "none")
ROOT = Path(__file__).resolve().parent.parent


def style_of(feed: int) -> str:
    """'bbc', 'guardian' or 'atom'."""
    slot = feed % 10
    return "bbc" if slot < 5 else "guardian" if slot < 8 else "atom"


def validators_of(feed: int, mode: str) -> tuple[bool, bool]:
    """(sends ETag, sends Last-Modified) for this feed in this mode."""
    if mode == "all":
        return True, True
    if mode == "none":
        return False, False
    slot = feed % 5
    return slot in (0, 1, 4), slot in (0, 1, 2)


def changes_in_round(feeds: int, round_no: int) -> set[int]:
    """The feeds that gain NEW_PER_CHANGE items at this round (none at round 0)."""
    if round_no <= 0:
        return set()
    count = max(1, math.floor(feeds * CHANGED_SHARE))
    # i ↦ 7919·i mod N is a permutation (7919 is prime), so exactly `count` feeds, a new set
    # each round.
    return {i for i in range(feeds) if (i * 7919 + round_no * 104729) % feeds < count}


@dataclass
class _Injected:
    title: str
    summary: str
    published: datetime
    ident: str


@dataclass
class _Body:
    raw: bytes
    gz: bytes | None
    etag: str
    last_modified: datetime


@dataclass
class FarmState:
    """Everything the farm serves, as a function of round, mode and injections."""

    feeds: int
    epoch: datetime
    round_no: int = 0
    mode: str = "mixed"
    change_rounds: dict[int, list[int]] = field(default_factory=dict)
    injected: dict[int, list[_Injected]] = field(default_factory=dict)
    cache: dict[int, tuple[tuple[int, int], _Body]] = field(default_factory=dict)
    corpus: str = "everyday"  # which benchmarks.corpus headlines: "everyday" or "event-day"

    def set_round(self, round_no: int) -> list[int]:
        """Move to `round_no` (forwards or back); returns the feeds whose items differ."""
        before = {i: self.offset(i) for i in range(self.feeds)}
        self.change_rounds = {}
        for r in range(1, round_no + 1):
            for i in changes_in_round(self.feeds, r):
                self.change_rounds.setdefault(i, []).append(r)
        self.round_no = round_no
        return [i for i in range(self.feeds) if self.offset(i) != before[i]]

    def offset(self, feed: int) -> int:
        """Sequence number of the oldest item shown."""
        return NEW_PER_CHANGE * len(self.change_rounds.get(feed, ()))

    def published(self, feed: int, seq: int) -> datetime:
        """When item `seq` of `feed` appeared: the baseline spans two days before the epoch."""
        if seq < ITEMS:
            return self.epoch - (ITEMS - seq) * BASELINE_SPACING
        change = (seq - ITEMS) // NEW_PER_CHANGE
        round_no = self.change_rounds[feed][change]
        return self.epoch + round_no * ROUND_SPACING + timedelta(seconds=seq % NEW_PER_CHANGE)

    def body(self, feed: int) -> _Body:
        """The current document for `feed`, rendered once per version."""
        version = (self.offset(feed), len(self.injected.get(feed, ())))
        hit = self.cache.get(feed)
        if hit is not None and hit[0] == version:
            return hit[1]
        raw, newest = self._render(feed)
        body = _Body(
            raw=raw,
            gz=gzip.compress(raw, 6) if feed % 3 == 0 else None,
            etag='"' + hashlib.sha1(raw, usedforsecurity=False).hexdigest()[:20] + '"',
            last_modified=newest,
        )
        self.cache[feed] = (version, body)
        return body

    def _render(self, feed: int) -> tuple[bytes, datetime]:
        start = self.offset(feed)
        extra = list(reversed(self.injected.get(feed, [])))
        seqs = list(range(start + ITEMS - 1, start - 1, -1))[: ITEMS - len(extra)]
        entries: list[tuple[str, str, str, str, datetime, str]] = []
        for item in extra:
            entries.append((item.title, item.summary, item.summary, item.ident, item.published, ""))
        headline = CORPORA[self.corpus]
        for seq in seqs:
            h = headline(feed, seq)
            entries.append(
                (h.title, h.standfirst, h.body, h.slug, self.published(feed, seq), h.label or "")
            )
        newest = max(e[4] for e in entries)
        style = style_of(feed)
        render = _render_bbc if style == "bbc" else _render_guardian
        if style == "atom":
            return _render_atom(feed, entries, newest), newest
        return render(feed, entries, newest), newest


def _digest(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _render_bbc(feed: int, entries: list[Any], newest: datetime) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<?xml-stylesheet title="XSL_formatting" '
        'type="text/xsl" href="/shared/bsp/xsl/rss/nolsol.xsl"?>\n<rss xmlns:dc="http://purl.org/'
        'dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:atom='
        '"http://www.w3.org/2005/Atom" version="2.0" xmlns:media="http://search.yahoo.com/mrss/">'
        f"\n<channel>\n<title><![CDATA[BBC News - Politics {feed}]]></title>\n<description>"
        f"<![CDATA[BBC News - Politics {feed}]]></description>\n<link>https://www.bbc.co.uk/news/"
        "politics</link>\n<image><url>https://news.bbcimg.co.uk/nol/shared/img/bbc_news_120x60.gif"
        f"</url><title>BBC News - Politics {feed}</title><link>https://www.bbc.co.uk/news/politics"
        "</link></image>\n<generator>RSS for Node</generator>\n<lastBuildDate>"
        f"{format_datetime(newest, usegmt=True)}</lastBuildDate>\n<copyright><![CDATA[Copyright: "
        "(C) British Broadcasting Corporation, see https://www.bbc.co.uk/usingthebbc/terms-of-use/"
        "#15metadataandrssfeeds for terms and conditions of reuse.]]></copyright>\n<language>"
        "<![CDATA[en-gb]]></language>\n<ttl>15</ttl>\n"
    ]
    for title, standfirst, _body, slug, published, _label in entries:
        ident = "c" + _digest(slug)[:11]
        parts.append(
            f"<item>\n<title><![CDATA[{title}]]></title>\n<description><![CDATA[{standfirst}]]>"
            f"</description>\n<link>https://www.bbc.co.uk/news/articles/{ident}?at_medium=RSS"
            f'&amp;at_campaign=rss</link>\n<guid isPermaLink="false">https://www.bbc.co.uk/news/'
            f"articles/{ident}#0</guid>\n<pubDate>{format_datetime(published, usegmt=True)}"
            '</pubDate>\n<media:thumbnail width="240" height="135" url="https://ichef.bbci.co.uk/'
            f'ace/standard/240/cpsprodpb/{_digest(ident)[:4]}/live/{_digest(slug)}.jpg"/>\n'
            "</item>\n"
        )
    parts.append("</channel>\n</rss>\n")
    return "".join(parts).encode()


def _render_guardian(feed: int, entries: list[Any], newest: datetime) -> bytes:
    stamp = format_datetime(newest, usegmt=True)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:media="http://search.yahoo.com/mrss/" version="2.0"><channel>'
        f"<title>Politics {feed} | The Guardian</title><link>https://www.theguardian.com/politics"
        "</link><description>Latest politics news, comment and analysis from the Guardian, the "
        "world's leading liberal voice</description><language>en-gb</language><copyright>"
        "Guardian News &amp; Media Limited or its affiliated companies. All rights reserved. "
        "2024</copyright>"
        f"<pubDate>{stamp}</pubDate><dc:date>{newest:%Y-%m-%dT%H:%M:%SZ}</dc:date><dc:language>"
        "en-gb</dc:language><dc:rights>Guardian News &amp; Media Limited or its affiliated "
        "companies. All rights reserved. 2024</dc:rights><image><title>The Guardian</title><url>"
        "https://assets.guim.co.uk/images/guardian-logo-rss.c45beb1bafa34b347ac333af2e6fe23f.png"
        "</url><link>https://www.theguardian.com</link></image>"
    ]
    for title, standfirst, body, slug, published, label in entries:
        link = f"https://www.theguardian.com/politics/{published:%Y/%b/%d}/{slug}".lower()
        html = (
            f'<p>{escape(standfirst)}</p><p>{escape(body)} <a href="{link}">Continue reading...'
            "</a></p>"
        )
        cats = [
            "Politics",
            "UK news",
            "Conservatives",
            "Labour",
            label.title() or "House of Commons",
        ]
        image = _digest(slug) + _digest(title)[:8]
        parts.append(
            f"<item><title>{escape(title)}</title><link>{link}</link><description>"
            f"{escape(html)}</description>"
            + "".join(
                f'<category domain="https://www.theguardian.com/politics/'
                f'{c.lower().replace(" ", "-")}">{escape(c)}</category>'
                for c in cats
            )
            + f"<pubDate>{format_datetime(published, usegmt=True)}</pubDate><guid>{link}</guid>"
            + "".join(
                f'<media:content width="{w}" url="https://i.guim.co.uk/img/media/{image}/'
                f"0_0_5000_3000/master/5000.jpg?width={w}&amp;quality=85&amp;auto=format&amp;"
                f'fit=max&amp;s={_digest(image + str(w))}"><media:credit scheme="urn:ebu">'
                "Photograph: Stefan Rousseau/PA</media:credit></media:content>"
                for w in (140, 460)
            )
            + f"<dc:creator>Political correspondent {feed}</dc:creator>"
            f"<dc:date>{published:%Y-%m-%dT%H:%M:%SZ}</dc:date></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def _render_atom(feed: int, entries: list[Any], newest: datetime) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        'xml:lang="en">\n<id>https://www.gov.uk/search/news-and-communications</id>\n<link '
        'rel="self" type="application/atom+xml" href="https://www.gov.uk/search/news-and-'
        'communications.atom"/>\n<link rel="alternate" type="text/html" href="https://www.gov.uk/'
        f'search/news-and-communications"/>\n<title>News and communications {feed}</title>\n'
        f"<updated>{newest:%Y-%m-%dT%H:%M:%S+00:00}</updated>\n"
    ]
    for title, standfirst, _body, slug, published, _label in entries:
        url = f"https://www.gov.uk/government/news/{slug}"
        parts.append(
            f"<entry>\n<id>{url}</id>\n<updated>{published:%Y-%m-%dT%H:%M:%S+00:00}</updated>\n"
            f'<link rel="alternate" type="text/html" href="{url}"/>\n<title>{escape(title)}</title>'
            f'\n<summary type="html">{escape(standfirst)}</summary>\n</entry>\n'
        )
    parts.append("</feed>\n")
    return "".join(parts).encode()


class FarmServer:
    """The aiohttp side: feeds on several ports, plus /_farm/* control endpoints."""

    def __init__(self, feeds: int, hosts: int, corpus: str = "everyday") -> None:
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        self.state = FarmState(feeds=feeds, epoch=now, corpus=corpus)
        self.hosts = max(1, min(hosts, feeds))
        self.ports: list[int] = []
        self.stats: dict[str, int] = {}
        self.runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Bind `hosts` free ports on 127.0.0.1."""
        app = web.Application()
        app.router.add_get("/feed/{num}.xml", self.serve_feed)
        app.router.add_post("/_farm/state", self.set_state)
        app.router.add_post("/_farm/inject", self.inject)
        app.router.add_get("/_farm/stats", self.get_stats)
        app.router.add_post("/_farm/reset_stats", self.reset_stats)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self.runner.setup()
        for _ in range(self.hosts):
            site = web.TCPSite(self.runner, "127.0.0.1", 0, backlog=1024)
            await site.start()
        self.ports = [addr[1] for addr in self.runner.addresses]

    async def serve_feed(self, request: web.Request) -> web.StreamResponse:
        """One feed, honouring validators as its mode says."""
        feed = int(request.match_info["num"])
        if not 0 <= feed < self.state.feeds:
            raise web.HTTPNotFound
        body = self.state.body(feed)
        etag_on, lm_on = validators_of(feed, self.state.mode)
        headers = {"Cache-Control": "max-age=60"} if style_of(feed) == "bbc" else {}
        if etag_on:
            headers["ETag"] = body.etag
        if lm_on:
            headers["Last-Modified"] = format_datetime(body.last_modified, usegmt=True)
        if _not_modified(request, body, etag_on, lm_on):
            self._count("304", 0)
            return web.Response(status=304, headers=headers)
        style = style_of(feed)
        headers["Content-Type"] = (
            "application/atom+xml; charset=utf-8"
            if style == "atom"
            else "text/xml; charset=UTF-8"
            if style == "guardian"
            else "application/rss+xml"
        )
        payload = body.raw
        if body.gz is not None and "gzip" in request.headers.get("Accept-Encoding", ""):
            headers["Content-Encoding"] = "gzip"
            headers["Vary"] = "Accept-Encoding"
            payload = body.gz
        self._count("200", len(payload))
        return web.Response(body=payload, headers=headers)

    def _count(self, status: str, size: int) -> None:
        self.stats[status] = self.stats.get(status, 0) + 1
        self.stats["requests"] = self.stats.get("requests", 0) + 1
        self.stats["bytes"] = self.stats.get("bytes", 0) + size

    async def set_state(self, request: web.Request) -> web.Response:
        """{"round": r, "mode": m, "clear_injected": bool} → {"changed": [...]}."""
        data = await request.json()
        mode = data.get("mode", self.state.mode)
        if mode not in MODES:
            raise web.HTTPBadRequest(text=f"mode must be one of {MODES}")
        self.state.mode = mode
        if data.get("clear_injected"):
            self.state.injected.clear()
        changed = self.state.set_round(int(data.get("round", self.state.round_no)))
        return web.json_response({"changed": changed})

    async def inject(self, request: web.Request) -> web.Response:
        """Add one new item on top of a feed now: {"feed", "title", "summary"} → {"at": unix}."""
        data = await request.json()
        feed = int(data["feed"])
        now = datetime.now(UTC)
        ident = f"injected-{feed}-{len(self.state.injected.get(feed, ()))}-{_digest(data['title'])}"
        item = _Injected(data["title"], data.get("summary", ""), now, ident)
        self.state.injected.setdefault(feed, []).append(item)
        self.state.body(feed)  # render now, so the change is visible to the very next request
        return web.json_response({"at": time.time()})

    async def get_stats(self, _request: web.Request) -> web.Response:
        """Request counts by status since the last reset."""
        return web.json_response(self.stats)

    async def reset_stats(self, _request: web.Request) -> web.Response:
        """Zero the counters."""
        self.stats = {}
        return web.json_response({})


def _not_modified(request: web.Request, body: _Body, etag_on: bool, lm_on: bool) -> bool:
    inm = request.headers.get("If-None-Match")
    if etag_on and inm is not None:
        return body.etag in {t.strip().removeprefix("W/") for t in inm.split(",")}
    ims = request.headers.get("If-Modified-Since")
    if lm_on and ims is not None:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        return since.tzinfo is not None and body.last_modified <= since
    return False


async def _serve(feeds: int, hosts: int, corpus: str) -> None:
    server = FarmServer(feeds, hosts, corpus)
    await server.start()
    # Render everything before announcing readiness, so no tool pays for the first render.
    for i in range(feeds):
        server.state.body(i)
    print(json.dumps({"ports": server.ports}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    if server.runner is not None:
        await server.runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    """`python -m benchmarks.farm --feeds N`: serve until SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--hosts", type=int, default=HOSTS)
    parser.add_argument("--corpus", choices=sorted(CORPORA), default="everyday")
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.feeds, args.hosts, args.corpus))


class Farm(FarmClient):
    """A farm in its own process, started here and stopped on exit."""

    def __init__(self, feeds: int, hosts: int = HOSTS, corpus: str = "everyday") -> None:
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "benchmarks.farm", "--feeds", str(feeds)),
                *("--hosts", str(hosts), "--corpus", corpus),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("feed farm failed to start")
        super().__init__(feeds, json.loads(line)["ports"])

    def __enter__(self) -> Farm:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop the farm process."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


if __name__ == "__main__":
    main()
