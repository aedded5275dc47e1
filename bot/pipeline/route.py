"""Stage 5: story categories + subscriptions → who gets an alert, with which mention."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.domain import Destination
from bot.pipeline.watchlist import watch_category


@dataclass(frozen=True, slots=True)
class Route:
    """One destination that should receive a story, and the mention its subscription asked for."""

    destination: Destination
    categories: tuple[str, ...]  # the story's categories this destination subscribed to
    mention: str | None


def route(categories: Sequence[str], destinations: Iterable[Destination]) -> list[Route]:
    """Every working destination subscribed to, or watching, at least one of the story's
    categories."""
    routes: list[Route] = []
    for destination in destinations:
        if destination.broken_reason is not None:
            continue
        watching = {watch_category(t) for t in destination.control.watch}
        wanted = tuple(c for c in categories if c in destination.subscriptions or c in watching)
        if not wanted:
            continue
        # A watch hit pings no one: mentions belong to category subscriptions.
        mention = next(
            (m for c in wanted if (m := destination.subscriptions.get(c)) is not None), None
        )
        routes.append(Route(destination, wanted, mention))
    return routes
