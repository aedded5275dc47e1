"""One scenario through the real pipeline, in a fresh interpreter, reported as one JSON line.

    python -m tests.reliability.runner SPEC.json

The scenario runs in-process exactly as tests/pipeline/test_poller.py does (open_runtime, then
Poller.poll_all and Deliverer.deliver_due), but in its own process, so its peak RSS is its own and
not pytest's: VmHWM (peak RSS) of this process and of each parse worker. The loopback feed and chat
servers stay in the test's process; only their URLs are in the spec.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import os
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.support.procfs import vm_hwm_kb

if TYPE_CHECKING:
    from bot.config import Settings

# bot.* is imported inside the functions: every spawned parse worker imports this module (it is
# __main__), and top-level imports here would make each worker bigger than in the real CLI,
# whose __main__ imports little.


class _Collect(logging.Handler):
    """Keeps every record as (level, logger, message): the tests check what an operator reads."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[tuple[int, str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append((record.levelno, record.name, text))


def settings_from(spec: dict[str, Any]) -> Settings:
    """Settings for the spec: its feeds, webhooks and polling, a database in its folder."""
    from bot.config import PollingSettings, WebhookSettings, load_settings
    from bot.domain import FeedSource

    base = load_settings(None, env={"DIVISION_BELL_DATA": spec["data"]})
    hooks = tuple(
        WebhookSettings(platform, url, tuple(cats) if cats else None, name)
        for platform, url, name, cats in spec.get("webhooks", [])
    )
    return replace(
        base,
        feeds=tuple(FeedSource(name, url) for name, url in spec["feeds"]),
        webhooks=hooks,
        console=False,
        polling=PollingSettings(**spec.get("polling", {})),
    )


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Poll `polls` times (delivering after each), then report."""
    from bot.app import open_runtime
    from bot.commands import Caller

    settings = settings_from(spec)
    report: dict[str, Any] = {"polls": [], "sent": 0, "retrying": 0, "failed": 0}
    poll_s = deliver_s = 0.0
    workers = 0
    async with open_runtime(settings, parse_workers=spec.get("workers", 2)) as runtime:
        for _ in range(spec.get("polls", 1)):
            started = time.perf_counter()
            outcomes = await runtime.poller.poll_all(settings.feeds)
            poll_s += time.perf_counter() - started
            report["polls"].append([asdict(o) for o in outcomes])
            started = time.perf_counter()
            delivered = await runtime.deliverer.deliver_due()
            deliver_s += time.perf_counter() - started
            for key in ("sent", "retrying", "failed"):
                report[key] += getattr(delivered, key)
        viewer = Caller("discord", "0", "0", "runner", can_manage=False)
        report["status"] = (await runtime.commands.status(viewer)).plain()
        # The parse workers: the only processes this one starts through multiprocessing.
        pool = [child.pid for child in multiprocessing.active_children() if child.pid]
        workers = max((vm_hwm_kb(pid) for pid in pool), default=0)
    report["seconds"] = {"poll": round(poll_s, 3), "deliver": round(deliver_s, 3)}
    # VmHWM, not getrusage: Linux carries ru_maxrss across execve, so a process started from
    # pytest would report pytest's own peak.
    report["peak_rss_kb"] = {"main": vm_hwm_kb(os.getpid()), "worker": workers}
    return report


def main() -> None:
    """Read the spec, run it, print the report as the last line of stdout."""
    spec = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    collect = _Collect()
    root = logging.getLogger()
    root.addHandler(collect)
    root.setLevel(logging.INFO)
    report = asyncio.run(run(spec))
    report["logs"] = collect.lines
    print(json.dumps(report))


if __name__ == "__main__":
    main()
