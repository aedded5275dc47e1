"""`replay FILE.jsonl`: an archive of real entries through the real pipeline, on a virtual clock.

The archive's feeds are served on loopback as they stood at each virtual moment and polled by the
real Poller; the real Deliverer prints what it sends through the console sender, so stdout reads
as a channel would have. The user's rules, categories, polling and events settings apply; feeds
and destinations are the archive's and the console's only, on a throwaway database.
"""

from __future__ import annotations

import bisect
import logging
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from bot.app import Runtime, open_runtime
from bot.cli.replay_feeds import RollingFeed, serve_archive
from bot.cli.replay_input import ReplayInputError, group_feeds, read_archive
from bot.cli.replay_report import day_table
from bot.cli.replay_sent import count_console
from bot.config import Settings, StorageSettings
from bot.config.types import Secrets
from bot.domain import FeedSource
from bot.store import outbox
from bot.store.tallies import tallies

log = logging.getLogger(__name__)

EXIT_OK, EXIT_INPUT = 0, 2


class VirtualClock:
    """The replay's time: what every part of the pipeline reads as now."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        """The current virtual time."""
        return self.now


@dataclass(frozen=True, slots=True)
class Timeline:
    """The replay's ticks: `start + k * step` for k ≥ 0, up to and including `end`."""

    start: datetime
    step: timedelta
    end: datetime

    def tick_at_or_after(self, moment: datetime) -> datetime:
        """The first tick not before `moment`."""
        return self.start - ((self.start - moment) // self.step) * self.step


async def run_replay(
    settings: Settings,
    path: Path,
    *,
    every: float | None,
    categories: Sequence[str] | None,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    """Replay the archive at `path`; print each message as the console shows it, then a tally."""
    try:
        archived = group_feeds(read_archive(path))
        chosen = _chosen(settings, categories)
    except ReplayInputError as exc:
        print(f"division-bell: replay: {exc}", file=stderr)
        return EXIT_INPUT
    feeds = [RollingFeed(feed) for feed in archived]
    step = timedelta(seconds=every or settings.polling.interval)
    first = min(feed.times[0] for feed in feeds)
    last = max(feed.times[-1] for feed in feeds)
    timeline = Timeline(start=first - step, step=step, end=last + step)
    clock = VirtualClock(timeline.start)
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="division-bell-replay-") as folder:
        async with serve_archive(feeds, clock) as urls:
            sources = [
                FeedSource(name=f.feed.name, url=url, outlet=f.feed.outlet)
                for f, url in zip(feeds, urls, strict=True)
            ]
            scratch = _scratch_settings(settings, sources, chosen, Path(folder))
            async with open_runtime(scratch, clock=clock, stdout=stdout) as runtime:
                _introduce(scratch, feeds, timeline, stdout)
                console = count_console(runtime.deliverer, clock)
                polls = await _play(
                    runtime,
                    feeds=feeds,
                    sources=sources,
                    timeline=timeline,
                    clock=clock,
                    stdout=stdout,
                )
                counted = await tallies(runtime.db.conn, console.sent)
                waiting, _ = await outbox.pending_counts(runtime.db.conn)
    stdout.write(day_table(counted, scratch.display))
    if waiting:
        stdout.write(f"{waiting} messages were still waiting to be sent when the replay ended.\n")
    log.info(
        "replay: %d feed polls over %d ticks of %d s took %.1f s",
        polls,
        (timeline.end - timeline.start) // step,
        step.total_seconds(),
        time.monotonic() - began,
    )
    return EXIT_OK


def _chosen(settings: Settings, categories: Sequence[str] | None) -> tuple[str, ...]:
    if categories is None:
        return settings.categories
    unknown = [name for name in categories if name not in settings.categories]
    if unknown:
        raise ReplayInputError(
            f"--categories: unknown {', '.join(map(repr, unknown))}; the rules define "
            f"{', '.join(settings.categories)}"
        )
    return tuple(categories)


def _scratch_settings(
    settings: Settings, sources: Sequence[FeedSource], categories: tuple[str, ...], folder: Path
) -> Settings:
    # Only the console, subscribed to `categories`: no webhook is configured, no ops webhook,
    # and no token, so no chat transport is even built.
    return replace(
        settings,
        storage=StorageSettings(path=folder / "replay.sqlite3"),
        feeds=tuple(sources),
        webhooks=(),
        console=True,
        secrets=Secrets(),
        ops=None,
        categories=categories,
    )


def _introduce(
    settings: Settings, feeds: Sequence[RollingFeed], timeline: Timeline, stdout: TextIO
) -> None:
    entries = sum(len(f.times) for f in feeds)
    outlets = len({f.feed.outlet for f in feeds})
    span = timeline.end - timeline.step - (timeline.start + timeline.step)
    when = settings.display.when
    stdout.write(
        f"Replaying {entries:,} entries from {len(feeds)} feeds ({outlets} outlets), "
        f"{when(timeline.start + timeline.step, '%d %b %Y %H:%M')} to "
        f"{when(timeline.end - timeline.step, '%d %b %Y %H:%M')} ({_days(span)}), polled every "
        f"{timeline.step.total_seconds():g} s.\nConsole subscribed to: "
        f"{', '.join(settings.categories)}.\n\n"
    )
    stdout.flush()


def _days(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


async def _play(
    runtime: Runtime,
    *,
    feeds: Sequence[RollingFeed],
    sources: Sequence[FeedSource],
    timeline: Timeline,
    clock: VirtualClock,
    stdout: TextIO,
) -> int:
    """Poll and deliver tick by tick; returns how many feed polls ran."""
    every_time = sorted(t for feed in feeds for t in feed.times)
    polled_upto = [0] * len(feeds)  # entries each feed had published at its last poll
    polls = 0
    pattern = _header_pattern(timeline)
    while clock.now <= timeline.end:
        now = clock.now
        # Only feeds with an entry published since their last poll are fetched. Any other would
        # serve entries the store already holds, and a poll decides only about new entries (a
        # poll after a gap is a catch-up, but that silences only entries older than the backfill
        # window, and a new entry here is at most one step old): skipping it changes nothing.
        changed = [i for i, feed in enumerate(feeds) if feed.published_by(now) > polled_upto[i]]
        if changed:
            await runtime.poller.poll_all([sources[i] for i in changed], skip_backing_off=True)
            for i in changed:
                polled_upto[i] = feeds[i].published_by(now)
            polls += len(changed)
        if await runtime.deliverer.seconds_to_next_due() == 0:
            stdout.write(f"── {runtime.settings.display.when(now, pattern)} ──\n")
            await runtime.deliverer.deliver_due()
        upcoming = await _next_tick(runtime, every_time, timeline, now)
        if upcoming is None:
            break
        clock.now = upcoming
    return polls


def _header_pattern(timeline: Timeline) -> str:
    same_year = timeline.start.year == timeline.end.year
    return "%a %d %b %H:%M" if same_year else "%a %d %b %Y %H:%M"


async def _next_tick(
    runtime: Runtime, every_time: Sequence[datetime], timeline: Timeline, now: datetime
) -> datetime | None:
    """The next tick at which something happens: an entry is published or a message falls due.

    Ticks in between are skipped: no feed has anything new and nothing is due to be sent, so a
    poll there would change nothing.
    """
    candidates: list[datetime] = []
    following = bisect.bisect_right(every_time, now)
    if following < len(every_time):
        candidates.append(every_time[following])
    wait = await runtime.deliverer.seconds_to_next_due()
    if wait is not None:
        candidates.append(now + timedelta(seconds=wait))
    if not candidates:
        return None
    upcoming = max(timeline.tick_at_or_after(min(candidates)), now + timeline.step)
    return upcoming if upcoming <= timeline.end else None
