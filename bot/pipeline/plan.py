"""Stage 4c: one feed's new headlines → a plan: what each became, which events, which alerts.

Pure, in the manner of lemon24/reader's decider: plain data (the headlines, what the store
knows of their links, the event window) and a time in, a FeedPlan out. bot.pipeline.decide
stores the plan; only then does the window take its events.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.config import EventsSettings, PollingSettings
from bot.domain import Classification, Decision, Headline
from bot.pipeline import admit
from bot.pipeline.actors import Actors
from bot.pipeline.events import EventRef, EventWindow, Sighting
from bot.pipeline.placing import Placer

ActorsOf = Callable[[Headline, Classification], Actors]


@dataclass(slots=True)
class Row:
    """A new headline and what became of it (its event id is the plan's until stored)."""

    headline: Headline
    classification: Classification
    decision: Decision
    event_id: int | None
    joined_on: str | None = None  # why it joined its event, or why a new one began


@dataclass(slots=True)
class Alerting:
    """A headline whose event nobody was told of yet: it alerts, or goes into the overflow."""

    row: Row
    effective: datetime

    @property
    def event_id(self) -> int:
        """The event it tells of."""
        assert self.row.event_id is not None  # noqa: S101 - alerting rows always have one
        return self.row.event_id


@dataclass(slots=True)
class FeedPlan:
    """Everything one feed's new entries come to, before any of it is stored."""

    fresh: int = 0
    rows: list[Row] = field(default_factory=list)  # stored first, in decision order
    alerting: list[Alerting] = field(default_factory=list)
    overflowing: list[Alerting] = field(default_factory=list)
    events: dict[int, EventRef] = field(default_factory=dict)  # new (id < 0) and changed
    links: dict[int, str] = field(default_factory=dict)  # a new event's first link
    grown: set[int] = field(default_factory=set)  # alerted events with new reports: updates
    widened: set[int] = field(default_factory=set)  # alerted events with new categories
    breaking: set[int] = field(default_factory=set)  # events that became breaking


def plan_feed(
    fresh: Sequence[tuple[Headline, Classification]],
    event_of_link: Mapping[str, int | None],
    window: EventWindow,
    actors_of: ActorsOf,
    *,
    polling: PollingSettings,
    events: EventsSettings,
    catch_up: bool,
    now: datetime,
) -> FeedPlan:
    """Decide every new headline of one feed: its event, and whether it alerts."""
    plan = FeedPlan(fresh=len(fresh))
    placer = Placer(window, surge_outlets=events.surge_outlets, surge_minutes=events.surge_minutes)
    links = dict(event_of_link)
    candidates: list[Alerting] = []
    for headline, result in sorted(fresh, key=lambda pair: pair[0].published or now):
        admission = admit.admit(
            headline.published,
            now=now,
            catch_up=catch_up,
            backfill=polling.backfill,
            max_age=polling.max_age,
        )
        row = _decide_one(
            headline,
            result,
            admission,
            links=links,
            placer=placer,
            actors_of=actors_of,
            plan=plan,
            now=now,
        )
        if row.decision == Decision.ALERTED:
            assert row.event_id is not None  # noqa: S101 - an alerting row has its event
            placer.mark_alerted(row.event_id)
            candidates.append(Alerting(row, admission.effective))
        else:
            plan.rows.append(row)
        # A later headline with this link joins this one's event (the first that had one).
        if headline.link and links.get(headline.link) is None:
            links[headline.link] = row.event_id
    plan.alerting, plan.overflowing = admit.cap_alerts(
        candidates, limit=polling.max_alerts_per_poll, when=lambda c: c.effective
    )
    plan.events = dict(placer.changed)
    return plan


def _decide_one(
    headline: Headline,
    result: Classification,
    admission: admit.Admission,
    *,
    links: Mapping[str, int | None],
    placer: Placer,
    actors_of: ActorsOf,
    plan: FeedPlan,
    now: datetime,
) -> Row:
    if headline.link in links:
        return Row(headline, result, Decision.DUPLICATE_URL, links[headline.link])
    if not result.categories:
        return Row(headline, result, Decision.NO_CATEGORY, None)
    report = Sighting(headline.title, headline.outlet, admission.effective, now)
    placement = placer.place(actors_of(headline, result), result.categories, report)
    event = placement.event
    if placement.became_breaking:
        plan.breaking.add(event.id)
    if event.id < 0:
        plan.links.setdefault(event.id, headline.link)
    may_alert = admission.decision == Decision.ALERTED
    if not placement.joined:
        decision = Decision.ALERTED if may_alert else admission.decision
        return Row(headline, result, decision, event.id, placement.reason)
    if not _was_alerted(placer, event.id) and may_alert:
        # Nobody was told of this event yet (its first reports were backfilled): this one tells.
        return Row(headline, result, Decision.ALERTED, event.id, placement.reason)
    if event.alerted:
        plan.grown.add(event.id)
        if placement.widened:
            plan.widened.add(event.id)
    return Row(headline, result, Decision.JOINED_STORY, event.id, placement.reason)


def _was_alerted(placer: Placer, event_id: int) -> bool:
    return placer.get(event_id).alerted
