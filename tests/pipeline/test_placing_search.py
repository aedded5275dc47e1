"""Placer's search (latest first, stopping at the first join nothing later can beat) finds the
join an exhaustive comparison with every candidate finds, on windows of random events."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.pipeline.actors import Actors, actors_of
from bot.pipeline.classify import shared_register
from bot.pipeline.events import (
    DAY,
    RESUMES_WITHIN,
    UNNAMED_CANDIDATES,
    EventWindow,
    Join,
    Sighting,
    new_event,
    why_same,
)
from bot.pipeline.placing import Placer

NOW = datetime(2024, 5, 8, 12, 0, tzinfo=UTC)
PEOPLE = ["Natalie Elphicke", "Dan Poulter", "Lee Anderson", "Boris Johnson", "Matt Hancock"]
TITLES = [
    "Tory MP {a} defects to Labour",
    "{a} quits the Conservatives to join Reform UK",
    "Covid inquiry: {a} gives evidence",
    "Privileges Committee to investigate {a}",
    "Standards commissioner opens investigation into {a} and {b}",
    "{a} and {b} clash at PMQs",
    "PMQs: prime minister faces questions on the NHS",
    "Post Office inquiry hears from sub-postmasters",
    "MP Smith{n} resigns after vote",
    "Welsh government minister {a} suspended",
]
CATEGORIES = [("defection",), ("inquiry",), ("pmqs",), ("inquiry", "defection")]


def headline(rng: random.Random) -> tuple[str, tuple[str, ...]]:
    title = rng.choice(TITLES).format(
        a=rng.choice(PEOPLE), b=rng.choice(PEOPLE), n=rng.randint(1, 3)
    )
    return title, rng.choice(CATEGORIES)


def exhaustive(
    placer: Placer, actors: Actors, wanted: frozenset[str], at: datetime
) -> tuple[Join | None, Join | None]:
    """Every candidate compared; the best open join and the best closed one."""
    day_grouped = placer._day_grouped(wanted)
    ids = placer.window.candidates(actors) | placer.local.candidates(actors)
    if day_grouped or not actors.signature.names:
        ids.update(placer.window.latest_of(wanted, UNNAMED_CANDIDATES))
        ids.update(placer.local.latest_of(wanted, UNNAMED_CANDIDATES))
    best: Join | None = None
    closed: Join | None = None
    for event_id in ids:
        event = placer.get(event_id)
        if not event.categories & wanted:
            continue
        join = why_same(actors, event)
        if join is None and day_grouped and placer._day_grouped(event.categories):
            join = Join(event, DAY, "same day's session") if event.day == at.date() else None
        if join is None:
            continue
        gap = at - event.last_report
        if gap <= placer.window.window:
            best = better(best, join)
        elif gap <= placer.window.window + RESUMES_WITHIN:
            closed = better(closed, join)
    return best, closed


def better(current: Join | None, candidate: Join) -> Join:
    if current is None:
        return candidate
    mine = (candidate.strength, candidate.event.last_report, candidate.event.id)
    theirs = (current.strength, current.event.last_report, current.event.id)
    return candidate if mine > theirs else current


@pytest.mark.parametrize("seed", range(6))
def test_the_search_finds_what_comparing_every_candidate_finds(seed: int) -> None:
    rng = random.Random(seed)
    register = shared_register()
    window = EventWindow(timedelta(hours=36), {"pmqs": "day"})
    for number in range(1, 301):
        title, categories = headline(rng)
        # Open, closed but resumable, and too old to resume (some at the same moment).
        at = NOW - timedelta(hours=rng.choice([1, 2, 20, 35, 37, 60, 100, 200, 300]))
        actors = actors_of(title, "", register, at.date())
        window.put(new_event(number, actors, categories, Sighting(title, "o", at, at)))
    for _ in range(150):
        title, categories = headline(rng)
        actors = actors_of(title, "", register, NOW.date())
        placer = Placer(window, surge_outlets=3, surge_minutes=30)
        wanted = frozenset(categories)
        found, resumed = placer._best(actors, wanted, NOW)
        best, closed = exhaustive(placer, actors, wanted, NOW)
        assert found == best, title
        if best is None:
            assert resumed == closed, title
