"""Shared by the delivery-fault tests: stories through the real pipeline, a clock that jumps
ahead between delivery passes (so backoff costs no real time), and counting at the receiver."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import Runtime, open_runtime
from bot.commands import Caller, Channel
from bot.config import (
    DiscordSettings,
    PollingSettings,
    Secrets,
    Settings,
    SlackSettings,
    WebhookSettings,
    load_settings,
)
from bot.domain import FeedSource
from bot.store import outbox
from tests.reliability import documents as docs
from tests.reliability.figures import Row, record
from tests.support.rss import rss_feed

STORIES = [docs.defection("deliver", i, minutes_ago=5 + i) for i in range(3)]
TITLES = [item.title for item in STORIES]
GUILD = "1000000000000000001"
TEAM = "T0WESTMIN"


class Clock:
    """The runtime's clock: real time, moved on by hand so retries fall due at once."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Jump ahead."""
        self.now += timedelta(seconds=seconds)


def story_feed() -> bytes:
    """Three distinct recent defections: three alerts for every destination."""
    return rss_feed("Deliveries", STORIES)


def settings_for(
    folder: Path,
    feed_url: str,
    *,
    webhooks: Sequence[WebhookSettings] = (),
    secrets: Secrets | None = None,
    discord_base: str | None = None,
    slack_base: str | None = None,
) -> Settings:
    """One feed, these webhooks and chat transports, a database in `folder`."""
    base = load_settings(None, env={"DIVISION_BELL_DATA": str(folder)})
    return replace(
        base,
        feeds=(FeedSource("Deliveries", feed_url),),
        webhooks=tuple(webhooks),
        console=False,
        polling=PollingSettings(timeout=5),
        secrets=secrets or Secrets(),
        discord=DiscordSettings(api_base=discord_base or "http://127.0.0.1:9/api/v10"),
        slack=SlackSettings(api_base=slack_base or "http://127.0.0.1:9/api/"),
    )


async def subscribe(runtime: Runtime, platform: str, channels: Iterable[str]) -> None:
    """Subscribe chat channels to every category, as a manager's slash command would."""
    scope = GUILD if platform == "discord" else TEAM
    caller = Caller(platform, scope, "U0ADMIN", "Ada", can_manage=True)
    for channel in channels:
        reply = await runtime.commands.subscribe(caller, Channel(channel, f"#{channel}"), None)
        assert reply.ok, reply.plain()


async def drain(runtime: Runtime, clock: Clock, *, passes: int = 8) -> int:
    """Deliver what is due, jump an hour, repeat until nothing is pending; passes used."""
    for used in range(1, passes + 1):
        await runtime.deliverer.deliver_due()
        clock.advance(3600)
        if not await waiting(runtime):
            return used
    return passes


async def waiting(runtime: Runtime) -> int:
    """Pending rows a sender could still send: their destination is active and not broken.

    A broken destination's later rows stay pending, held until it is fixed: kept, not lost.
    """
    return (await outbox.pending_counts(runtime.db.conn))[0]


async def outbox_counts(runtime: Runtime, status: str) -> int:
    """Outbox rows in one status ("pending", "sent", "failed")."""
    sql = "SELECT COUNT(*) FROM outbox WHERE status = ?"
    async with runtime.db.conn.execute(sql, (status,)) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


def tally(texts: Iterable[str], titles: Sequence[str] = TITLES) -> tuple[int, int]:
    """(lost, repeats) of `titles` among the texts a receiver accepted."""
    seen: Counter[str] = Counter()
    for text in texts:
        for title in titles:
            if title in text:
                seen[title] += 1
    lost = sum(1 for title in titles if not seen[title])
    repeats = sum(count - 1 for count in seen.values() if count > 1)
    return lost, repeats


async def opened(runtime: Runtime) -> Runtime:
    """The runtime with its transports' REST clients open, as `poll` has them (no gateway)."""
    for transport in runtime.transports:
        await transport.open_rest()
    return runtime


async def outage_then_recovery(
    folder: Path,
    feed_url: str,
    *,
    platform: str,
    channel: str,
    secrets: Secrets,
    down: Mapping[str, str],
    up: Mapping[str, str],
    received: Callable[[], Iterable[str]],
) -> tuple[int, int]:
    """Poll and try to send while the chat API refuses connections (`down` settings), then
    again once it answers (`up`): (lost, repeats) of what `received` returns at the end."""
    clock = Clock()
    async with open_runtime(
        settings_for(folder, feed_url, secrets=secrets, **down), clock=clock
    ) as runtime:
        await opened(runtime)
        await subscribe(runtime, platform, [channel])
        await runtime.poller.poll_all(runtime.settings.feeds)
        await drain(runtime, clock, passes=3)
        assert await outbox_counts(runtime, "pending") == len(TITLES)
    async with open_runtime(
        settings_for(folder, feed_url, secrets=secrets, **up), clock=clock
    ) as runtime:
        await opened(runtime)
        await drain(runtime, clock)
    return tally(received())


def exactly_once(
    area: str, fault: str, texts: Iterable[str], titles: Sequence[str] = TITLES, note: str = ""
) -> None:
    """Assert each of `titles` reached the receiver exactly once, and record the figures row."""
    lost, repeats = tally(texts, titles)
    assert (lost, repeats) == (0, 0), f"{fault}: {lost} lost, {repeats} repeated"
    record(Row(area, fault, lost, repeats, note=note))
