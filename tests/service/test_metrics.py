"""/metrics: real polls and sends counted in a registry of the service's own, served over HTTP."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.app import open_runtime
from bot.config import PollingSettings, Settings, WebhookSettings, load_settings
from bot.domain import FeedSource
from bot.pipeline.poller import PollOutcome
from bot.service.http_server import METRICS_CONTENT_TYPE, create_app, start_site
from bot.service.metrics import Metrics
from tests.pipeline.test_poller import DEFECTION
from tests.support.chat_server import ChatServer
from tests.support.feed_server import FeedServerThread
from tests.support.rss import rss_feed


def settings_for(tmp_path: Path, feeds: FeedServerThread, chat: ChatServer) -> Settings:
    base = load_settings(None, env={"DIVISION_BELL_DATA": str(tmp_path)})
    return replace(
        base,
        feeds=(FeedSource("BBC", feeds.url("/bbc.xml")), FeedSource("Down", feeds.url("/down"))),
        webhooks=(
            WebhookSettings("discord", chat.url("/discord/ok"), None, "desk"),
            WebhookSettings("discord", chat.url("/discord/gone"), None, "old desk"),
        ),
        console=False,
        polling=PollingSettings(timeout=2, max_bytes=200_000),
    )


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample as (name, labels) → value."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[sample.name, frozenset(sample.labels.items())] = sample.value
    return found


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return found[name, frozenset(labels.items())]


async def test_polls_and_sends_are_counted_and_served(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    feeds.set_feed("/bbc.xml", rss_feed("BBC", [DEFECTION]))
    feeds.set_fault("/down", "status", status=500)
    chat.script("/discord/gone", [404])
    metrics = Metrics()
    settings = settings_for(tmp_path, feeds, chat)
    async with open_runtime(
        settings, on_poll=metrics.polled, on_send=metrics.sent, parse_workers=1
    ) as runtime:
        await runtime.poller.poll_all(settings.feeds)
        await runtime.poller.poll_all(settings.feeds[:1])  # unchanged: not modified
        await runtime.deliverer.deliver_due()
        runner = await start_site(
            create_app(_ok, lambda: metrics.render(runtime.db)),
            "127.0.0.1:0",
        )
        try:
            port = runner.addresses[0][1]
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"http://127.0.0.1:{port}/metrics") as reply,
            ):
                assert reply.status == 200
                assert reply.headers["Content-Type"] == METRICS_CONTENT_TYPE
                text = await reply.text()
        finally:
            await runner.cleanup()
    found = samples(text)
    assert value(found, "division_bell_polls_total", feed="BBC", outcome="changed") == 1
    assert value(found, "division_bell_polls_total", feed="BBC", outcome="not_modified") == 1
    assert value(found, "division_bell_polls_total", feed="Down", outcome="failed") == 1
    assert value(found, "division_bell_fetch_errors_total", feed="Down") == 1
    assert value(found, "division_bell_not_modified_total", feed="BBC") == 1
    assert value(found, "division_bell_headlines_seen_total", feed="BBC") == 1
    assert value(found, "division_bell_alerts_total", category="defection") == 1
    assert value(found, "division_bell_sends_total", destination="desk", outcome="sent") == 1
    assert value(found, "division_bell_sends_total", destination="old desk", outcome="failed") == 1
    assert value(found, "division_bell_send_seconds_count", kind="webhook:discord") == 2
    assert value(found, "division_bell_outbox_depth") == 1  # held for the broken "old desk"
    assert value(found, "division_bell_last_poll_timestamp_seconds") > 0


async def _ok() -> tuple[bool, dict[str, object]]:
    return True, {}


def test_breaking_events_are_counted() -> None:
    metrics = Metrics()
    metrics.polled(PollOutcome("BBC", "changed", new=3, breaking=1))
    metrics.polled(PollOutcome("Sky", "changed", new=1))
    assert value(samples(_text(metrics)), "division_bell_events_breaking_total") == 1


def test_leadership_is_shown_and_each_time_this_process_took_it_counted() -> None:
    metrics = Metrics()
    metrics.role_changed(False)  # started as a replica
    assert value(samples(_text(metrics)), "division_bell_leader") == 0
    assert value(samples(_text(metrics)), "division_bell_leader_changes_total") == 0
    metrics.role_changed(True)  # the leader died: took over
    metrics.role_changed(False)  # lost its lock connection
    metrics.role_changed(True)
    assert value(samples(_text(metrics)), "division_bell_leader") == 1
    assert value(samples(_text(metrics)), "division_bell_leader_changes_total") == 2


def test_each_service_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.alerts.labels(category="pmqs").inc()
    first.know_feeds(["BBC"])
    assert value(samples(_text(first)), "division_bell_alerts_total", category="pmqs") == 1
    assert value(samples(_text(first)), "division_bell_fetch_errors_total", feed="BBC") == 0
    assert ("division_bell_alerts_total", frozenset({("category", "pmqs")})) not in samples(
        _text(second)
    )


def _text(metrics: Metrics) -> str:
    return asyncio.run(metrics.render(None)).decode()


async def test_event_loop_lag_is_measured_when_code_blocks_the_loop() -> None:
    metrics = Metrics()
    watcher = asyncio.create_task(metrics.watch_loop_lag(tick=0.01))
    await asyncio.sleep(0)  # let the watcher start its timer
    time.sleep(0.05)  # noqa: ASYNC251 - blocking the loop on purpose
    await asyncio.sleep(0.02)
    watcher.cancel()
    found = samples((await metrics.render(None)).decode())
    assert value(found, "division_bell_event_loop_lag_seconds_count") >= 1
    # The blocked timer fired at least 40 ms late (the block lasted 50 ms; the tick was 10 ms).
    assert value(found, "division_bell_event_loop_lag_seconds_sum") >= 0.03
