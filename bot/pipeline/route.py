"""Stage 5: story categories + subscriptions → who gets an alert, with which mention."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Destination:
    """A place alerts go, with the categories it is subscribed to (category → mention or None)."""

    id: int
    key: str
    kind: str  # "console", "webhook:discord", "webhook:slack", "discord", "slack"
    label: str  # safe display name: never a secret URL
    scope: str = ""  # guild or workspace id for chat subscriptions
    channel: str = ""
    subscriptions: dict[str, str | None] = field(default_factory=dict)
    broken_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Route:
    """One destination that should receive a story, and the mention its subscription asked for."""

    destination: Destination
    categories: tuple[str, ...]  # the story's categories this destination subscribed to
    mention: str | None


def route(categories: Sequence[str], destinations: Iterable[Destination]) -> list[Route]:
    """Every working destination subscribed to at least one of the story's categories."""
    routes: list[Route] = []
    for destination in destinations:
        if destination.broken_reason is not None:
            continue
        wanted = tuple(c for c in categories if c in destination.subscriptions)
        if not wanted:
            continue
        mention = next((m for c in wanted if (m := destination.subscriptions[c]) is not None), None)
        routes.append(Route(destination, wanted, mention))
    return routes
