"""Composition root: builds the store, HTTP sessions, parse pool, senders; start and stop order."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import Executor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

import aiohttp

from bot import USER_AGENT
from bot.commands import Commands
from bot.config import Settings, WebhookSettings
from bot.delivery.confirm import Confirmer
from bot.delivery.deliver import Deliverer, Editor, Sender, SendObserver
from bot.delivery.holding import release_held
from bot.delivery.recent import queue_recent
from bot.domain import CategoryInfo, DestinationKey
from bot.errors import StorageError
from bot.pipeline.classify import Classifier
from bot.pipeline.fetch import FetchLimits, make_session
from bot.pipeline.poller import Poller, PollObserver
from bot.pipeline.workers import make_parse_executor
from bot.store import destinations as dest_store
from bot.store import feeds as feed_store
from bot.store import outbox
from bot.store.connection import BUSY_TIMEOUT_S
from bot.store.opening import open_store
from bot.store.sql import Conn, Store
from bot.transports.base import Transport, TransportContext
from bot.transports.console import ConsoleSender
from bot.transports.webhooks import WebhookSender

if TYPE_CHECKING:  # aiohttp.web is slow to import, and `poll` serves nothing
    from aiohttp import web

log = logging.getLogger(__name__)

# The `poll` contract: each send tried at most 3 times within about 20 s, the rest left queued.
POLL_SEND_TRIES = 3
EXIT_NO_FEED_FETCHED = 3  # `poll`: every feed failed or was backing off (after delivering)
POLL_SEND_WINDOW_S = 20.0


def utcnow() -> datetime:
    """The real clock, UTC-aware."""
    return datetime.now(UTC)


@dataclass(slots=True)
class Runtime:
    """Everything a poll or the service needs, opened and ready."""

    settings: Settings
    db: Store
    classifier: Classifier
    poller: Poller
    deliverer: Deliverer
    commands: Commands
    transports: list[Transport] = field(default_factory=list)
    confirmer: Confirmer | None = None  # None when [parliament] enabled = false


def build_transports(context: TransportContext) -> list[Transport]:
    """The chat transports whose secrets are present in the environment."""
    secrets = context.settings.secrets
    found: list[Transport] = []
    # Imported only when enabled: discord.py and slack-bolt are slow to import.
    if secrets.discord_token:
        from bot.transports.discord.transport import build as build_discord  # noqa: PLC0415

        found.append(build_discord(context))
    if secrets.slack_bot_token:
        from bot.transports.slack.app import build as build_slack  # noqa: PLC0415

        found.append(build_slack(context))
    return found


async def sync_config(
    db: Store,
    settings: Settings,
    now: datetime,
    categories: Mapping[str, CategoryInfo] | None = None,
) -> None:
    """Make the store agree with the config: feeds, the console and webhook destinations.

    `categories` (the rules' categories) lets a new webhook with `recent = true` catch up.
    """
    async with db.transaction() as conn:
        await feed_store.sync_feeds(conn, [(f.name, f.url) for f in settings.feeds])
        keep: list[int] = []
        if settings.console:
            dest_id = await dest_store.upsert_destination(
                conn, key=DestinationKey.CONSOLE, kind="console", label="console", now=now
            )
            await dest_store.set_subscriptions(conn, dest_id, settings.categories, now=now)
            keep.append(dest_id)
        for hook in settings.webhooks:
            keep.append(await _sync_webhook(conn, hook, settings, categories, now))
        await dest_store.deactivate_config_destinations(conn, keep)


async def _sync_webhook(
    conn: Conn,
    hook: WebhookSettings,
    settings: Settings,
    categories: Mapping[str, CategoryInfo] | None,
    now: datetime,
) -> int:
    # A named webhook is its name: a database from before names were identities, or a new
    # URL or platform, keeps the same row, so its subscriptions and held alerts carry over.
    if hook.named and await dest_store.claim_key(
        conn, key=hook.key, former_key=DestinationKey.webhook(hook.url), label=hook.name
    ):
        log.info("webhook %s: now known by its name", hook.name)
    is_new = await dest_store.destination_id(conn, hook.key) is None
    dest_id = await dest_store.upsert_destination(
        conn, key=hook.key, kind=f"webhook:{hook.platform}", label=hook.name, now=now
    )
    if await dest_store.set_address(conn, dest_id, hook.address):
        log.info("webhook %s: its URL or platform changed; trying it again", hook.name)
    chosen = hook.categories if hook.categories is not None else settings.categories
    await dest_store.set_subscriptions(conn, dest_id, chosen, now=now, mention=hook.mention)
    # The config is the source of a webhook's updates mode, as of its categories.
    await dest_store.set_updates(conn, dest_id, hook.updates)
    # So is its channel control, whole: a key removed from the config is back to its default.
    await dest_store.set_control(conn, dest_id, hook.control)
    if is_new and hook.recent and categories is not None:
        count = await queue_recent(
            conn, dest_id, wanted=chosen, mention=hook.mention, categories=categories, now=now
        )
        log.info("webhook %s: new; alerts from the last 24 hours queued: %d", hook.name, count)
    return dest_id


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
    stdout: TextIO | None = None,
    parse_workers: int = 2,
    parse_executor: Executor | None = None,
    http_app: web.Application | None = None,
    on_poll: PollObserver | None = None,
    on_send: SendObserver | None = None,
    long_running: bool = False,
    busy_timeout: float = BUSY_TIMEOUT_S,
) -> AsyncIterator[Runtime]:
    """Open the database, sessions, parse pool and transports; close them in reverse order.

    Transports are built but not connected: `poll` opens them for REST, `run` starts them.
    `on_poll` and `on_send` hear of every poll and send (the service's metrics).
    `long_running` (`run`): build the classifier's index now, off the loop, so the first cold
    cycle does not stall on it; a one-off `poll` builds it in a thread beside its first fetches
    (Poller.prepare_in_background).
    `busy_timeout`: seconds a write waits for another process's lock on the database.
    `parse_executor`: a parse pool the caller made (and shuts down); else one of
    `parse_workers` is made here.
    """
    classifier = Classifier.load(settings.rules)
    db = await open_store(settings.storage.path, settings.storage.url, busy_timeout=busy_timeout)
    executor = parse_executor or make_parse_executor(parse_workers)
    polling = settings.polling
    fetch_session = make_session(
        limits=FetchLimits(timeout=polling.timeout, max_bytes=polling.max_bytes)
    )
    send_session = aiohttp.ClientSession(headers={"User-Agent": USER_AGENT})
    transports: list[Transport] = []
    try:
        await sync_config(db, settings, clock(), classifier.categories)
        commands = Commands(
            db, classifier.categories, settings.feeds, clock, settings.polling, settings.display
        )
        context = TransportContext(settings, db, commands, clock, http_app)
        transports = build_transports(context)
        senders, editors = _senders(settings, send_session, stdout, transports)
        poller = Poller(
            settings, db, classifier, fetch_session, executor, clock=clock, on_poll=on_poll
        )
        zone = settings.display.timezone
        deliverer = Deliverer(db, senders, editors=editors, clock=clock, on_send=on_send, zone=zone)
        if long_running:
            await poller.prepare_for_service()
        confirmer = None
        if settings.parliament.enabled:
            confirmer = Confirmer(db, settings.parliament, clock=clock)
        yield Runtime(settings, db, classifier, poller, deliverer, commands, transports, confirmer)
    finally:
        for transport in transports:
            await transport.stop()
        await send_session.close()
        await fetch_session.close()
        if executor is not parse_executor:
            executor.shutdown(wait=True, cancel_futures=True)
        await db.close()


def _senders(
    settings: Settings,
    session: aiohttp.ClientSession,
    stdout: TextIO | None,
    transports: list[Transport],
) -> tuple[dict[str, Sender], dict[str, Editor]]:
    """Who sends, and who edits, each kind of destination."""
    webhooks = WebhookSender(session, settings.webhooks)
    console = ConsoleSender(stdout, settings.display)
    senders: dict[str, Sender] = {
        "console": console,
        "webhook:discord": webhooks,
        "webhook:slack": webhooks,
    }
    # Slack-format webhooks cannot edit: their events grow by follow-ups instead.
    editors: dict[str, Editor] = {"console": console, "webhook:discord": webhooks}
    for transport in transports:
        senders.update(dict.fromkeys(transport.kinds, transport.sender))
        if transport.editor is not None:
            editors.update(dict.fromkeys(transport.kinds, transport.editor))
    return senders, editors


def settle_heap(*, collect: bool = True) -> None:
    """Exempt what start-up built (modules, rules, config) from the cyclic garbage collector.

    For a process's entry point to call once, when its start-up is done: everything alive then
    stays alive (a cycle among those objects that later becomes garbage is never freed).
    `collect=False` freezes start-up's garbage too: for a process that ends in seconds.
    """
    # A full collection walks every tracked object while holding the GIL, in whichever thread
    # triggered it: in a cold cycle that was aiosqlite's thread, and the event loop waited it
    # out (benchmarks/cycles.py measures the stalls). Frozen, start-up's objects are never
    # walked again, so full collections are short. Collect
    # first so no garbage is frozen with them; what is frozen lives as long as the process.
    if collect:
        gc.collect()
    gc.freeze()


@asynccontextmanager
async def polling_alone(db: Store) -> AsyncIterator[None]:
    """Hold the leader lock for a one-off `poll`: beside `run` replicas on PostgreSQL, two
    processes polling the same feeds would race (SQLite serialises them by its write lock)."""
    lock = db.leader_lock()
    if not await lock.try_acquire():
        raise StorageError(
            f"{db.location}: a `division-bell run` replica (or another `poll`) is polling this "
            "database (it holds the leader lock); `poll` would race it. Let it poll, or stop "
            "the replicas first"
        )
    try:
        yield
    finally:
        await lock.release()


async def poll_once(
    settings: Settings, *, stdout: TextIO | None = None, parse_executor: Executor | None = None
) -> int:
    """`poll`: every feed now (bar those backing off), then deliver; the exit status.
    `parse_executor`: a parse pool the caller started early (see bot.cli.main)."""
    runtime_opened = open_runtime(settings, stdout=stdout, parse_executor=parse_executor)
    async with runtime_opened as runtime, polling_alone(runtime.db):
        # A full collection walks every object start-up made to find the little garbage it
        # left, which a poll that ends in seconds may as well keep.
        settle_heap(collect=False)
        runtime.poller.prepare_in_background()
        for transport in runtime.transports:
            await transport.open_rest()
        outcomes = await runtime.poller.poll_all(settings.feeds, skip_backing_off=True)
        # What quiet hours, a mute or a digest held and may now go: one digest, before the rest.
        await release_held(runtime.db, now=runtime.deliverer.clock(), zone=runtime.deliverer.zone)
        report = await runtime.deliverer.deliver_due(
            max_tries=POLL_SEND_TRIES, within=POLL_SEND_WINDOW_S
        )
        # Only after every alert went out: Parliament's answer never holds one back.
        if runtime.confirmer is not None and await runtime.confirmer.check():
            confirmations = await runtime.deliverer.deliver_due(
                max_tries=POLL_SEND_TRIES, within=POLL_SEND_WINDOW_S
            )
            report.sent += confirmations.sent
        # Rows, not retry events: what the next poll or `run` will find waiting.
        waiting, held = await outbox.pending_counts(runtime.db.conn)
    failed = sum(o.status == "failed" for o in outcomes)
    deferred = sum(o.status == "deferred" for o in outcomes)
    log.info(
        "poll done: %d feeds (%d changed, %d failed, %d backing off); %d sent, %d left queued, "
        "%d held for broken or paused destinations",
        len(outcomes),
        sum(o.status == "changed" for o in outcomes),
        failed,
        deferred,
        report.sent,
        waiting,
        held,
    )
    if outcomes and failed + deferred == len(outcomes):
        # Cron and monitors read the exit status: a poll that reached no feed is not "done".
        log.error(
            "poll: no feed could be fetched (%d failed, %d backing off); exit %d",
            failed,
            deferred,
            EXIT_NO_FEED_FETCHED,
        )
        return EXIT_NO_FEED_FETCHED
    return 0
