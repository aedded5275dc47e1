"""Talking to a running feed farm (benchmarks/farm.py) over HTTP.

Kept apart from the farm's server code and free of heavy imports: the benchmark process that
measures the pipeline imports this, and its parse workers re-import that process's main module.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

ITEMS = 50  # items in every farm feed


class FarmClient:
    """Talks to a running farm: feed URLs, round changes, injected items, stats."""

    def __init__(self, feeds: int, ports: list[int]) -> None:
        self.feeds = feeds
        self.ports = ports

    def url(self, feed: int) -> str:
        """The URL of feed number `feed`."""
        return f"http://127.0.0.1:{self.ports[feed % len(self.ports)]}/feed/{feed}.xml"

    def urls(self) -> list[str]:
        """Every feed URL, by number."""
        return [self.url(i) for i in range(self.feeds)]

    def _call(self, path: str, data: dict[str, Any] | None = None) -> Any:
        url = f"http://127.0.0.1:{self.ports[0]}{path}"
        payload = None if data is None else json.dumps(data).encode()
        request = urllib.request.Request(
            url, data=payload, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as reply:  # noqa: S310
            return json.loads(reply.read())

    def set_state(
        self, *, round_no: int | None = None, mode: str | None = None, clear: bool = False
    ) -> list[int]:
        """Move the farm to a round and/or validator mode; returns the feeds that changed."""
        data: dict[str, Any] = {"clear_injected": clear}
        if round_no is not None:
            data["round"] = round_no
        if mode is not None:
            data["mode"] = mode
        changed: list[int] = self._call("/_farm/state", data)["changed"]
        return changed

    def inject(self, feed: int, title: str, summary: str = "") -> float:
        """Publish one new item on `feed` now; returns the time it became visible."""
        at: float = self._call("/_farm/inject", {"feed": feed, "title": title, "summary": summary})[
            "at"
        ]
        return at

    def stats(self) -> dict[str, int]:
        """Request counts ("requests", "200", "304") and body bytes since the last reset."""
        found: dict[str, int] = self._call("/_farm/stats")
        return found

    def reset_stats(self) -> None:
        """Zero the request counters."""
        self._call("/_farm/reset_stats", {})
