"""Stage 4b: placing one feed's categorised reports into events, on an overlay of the window.

The rules, written down in docs/events.md:
- a report joins the best-matching open event of one of its categories (see bot.pipeline.events);
- a report that joins an alerted event and announces a development it has not had yet (a
  resignation, a vote's result, a sanction, findings) is news in its own right: it starts a new
  event that continues the first, and alerts;
- a report matching an event closed less than a week ago (a saga resuming after a gap longer
  than the window) starts a new event whose alert names the one it continues.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from bot.pipeline.actors import Actors
from bot.pipeline.events import (
    ANONYMOUS,
    ANONYMOUS_JOINS_WITHIN,
    BODY,
    DAY,
    PEOPLE,
    RESUMES_WITHIN,
    UNNAMED_CANDIDATES,
    EventRef,
    EventWindow,
    Join,
    Sighting,
    new_event,
    why_same,
)
from bot.pipeline.watchlist import event_categories


class Placement:
    """Where one report went: the event as it now stands, and why."""

    __slots__ = ("became_breaking", "event", "joined", "reason", "widened")

    def __init__(
        self,
        event: EventRef,
        *,
        joined: bool,
        reason: str,
        widened: frozenset[str] = frozenset(),
        became_breaking: bool = False,
    ) -> None:
        self.event = event
        self.joined = joined  # False: a new event (first report, development or resumption)
        self.reason = reason
        self.widened = widened  # categories the event gained with this report
        self.became_breaking = became_breaking


class Placer:
    """Decides events for one feed's reports without touching the shared window.

    Events created or grown here live in `changed` (new ones under negative ids) until the
    plan is stored; the window then takes them with their stored ids.
    """

    def __init__(self, window: EventWindow, *, surge_outlets: int, surge_minutes: float) -> None:
        self.window = window
        self.local = EventWindow(window.window, window.grouping)
        self.surge_outlets = surge_outlets
        self.surge_minutes = surge_minutes
        self._next_id = -1

    @property
    def changed(self) -> dict[int, EventRef]:
        """Every event this feed's reports created or changed."""
        return self.local.events

    def get(self, event_id: int) -> EventRef:
        """An event as this plan sees it."""
        return self.local.events.get(event_id) or self.window.events[event_id]

    def mark_alerted(self, event_id: int) -> None:
        """The plan tells destinations of this event: later reports update it."""
        self.local.put(replace(self.get(event_id), alerted=True))

    def place(
        self,
        actors: Actors,
        categories: Iterable[str],
        report: Sighting,
    ) -> Placement:
        """Put one report into an event: the one it joins, or a new one."""
        # A report with a category of the rules forms events by it; a watchlist hit alone
        # forms events of its watched term, so a fete never joins a defection.
        wanted = event_categories(categories)
        open_join, closed_join = self._best(actors, wanted, report.at)
        if open_join is None and actors.anonymous and not self._day_grouped(wanted):
            open_join = self._latest(wanted, report.at)
        if open_join is not None:
            event = open_join.event
            fresh_kinds = actors.kinds - event.kinds
            if fresh_kinds and event.alerted:
                return self._development(event, actors, wanted, report)
            return self._join(open_join, actors, wanted, report)
        event = self._new(actors, wanted, report)
        if closed_join is None:
            return Placement(event, joined=False, reason="new event")
        earlier = closed_join.event
        event = replace(event, continues=earlier.id)
        self.local.put(event)
        return Placement(
            event,
            joined=False,
            reason=f"new event resuming event {earlier.id} after a gap ({closed_join.reason})",
        )

    def _best(
        self, actors: Actors, wanted: frozenset[str], at: datetime
    ) -> tuple[Join | None, Join | None]:
        """The best open event to join, else the best closed one to resume (None, None: new).

        Best is strongest, then latest reported, then newest; the closed one is sought only
        when no open event matches, since only then is it used. Candidates are tried latest
        first, so the search stops at the first join no later candidate could beat.
        """
        day_grouped = self._day_grouped(wanted)
        newest = at - self.window.window  # reported before this: closed
        same_people = self.window.sharing_people(actors) | self.local.sharing_people(actors)
        if same_people:
            # Nothing beats the same people: the latest open event naming them, if one joins.
            found, _ = self._first(
                self._ordered(same_people, wanted),
                0,
                actors,
                at=at,
                day_grouped=day_grouped,
                strongest=PEOPLE,
                oldest=newest,
            )
            if found is not None and found.strength == PEOPLE:
                return found, None
        ids = self.window.candidates(actors) | self.local.candidates(actors)
        if day_grouped or not actors.signature.names:
            ids.update(self.window.latest_of(wanted, UNNAMED_CANDIDATES))
            ids.update(self.local.latest_of(wanted, UNNAMED_CANDIDATES))
        ordered = self._ordered(ids, wanted)
        # No open event joins by the same people here, so an open join is at most by day.
        strongest = DAY if day_grouped else BODY
        best, closed_from = self._first(
            ordered, 0, actors, at=at, day_grouped=day_grouped, strongest=strongest, oldest=newest
        )
        if best is not None:
            return best, None
        # The open ones all failed; the closed ones follow them in the same order.
        closed, _ = self._first(
            ordered,
            closed_from,
            actors,
            at=at,
            day_grouped=day_grouped,
            strongest=PEOPLE,
            oldest=newest - RESUMES_WITHIN,
        )
        return None, closed

    def _ordered(self, ids: set[int], wanted: frozenset[str]) -> list[EventRef]:
        """The events of `ids` in one of the categories, latest reported (then newest) first."""
        events = [e for e in map(self.get, ids) if e.categories & wanted]
        events.sort(key=_RECENCY, reverse=True)
        return events

    def _first(
        self,
        events: list[EventRef],
        start: int,
        actors: Actors,
        *,
        at: datetime,
        day_grouped: bool,
        strongest: int,
        oldest: datetime,
    ) -> tuple[Join | None, int]:
        """The best join among `events` from `start` on reported at or after `oldest`, knowing
        none can be stronger than `strongest`; and where those reported before `oldest` begin
        (once every event up to there was tried)."""
        best: Join | None = None
        for index in range(start, len(events)):
            event = events[index]
            if event.last_report < oldest:
                return best, index  # this and every later one reported too long ago
            join = why_same(actors, event)
            if join is None and day_grouped and self._day_grouped(event.categories):
                # A session of one day (PMQs) is one event, whoever its reports name.
                join = Join(event, DAY, "same day's session") if event.day == at.date() else None
            if join is not None and (best is None or join.strength > best.strength):
                # Later candidates are reported earlier: only a stronger join can beat this.
                best = join
                if best.strength >= strongest:
                    return best, index + 1
        return best, len(events)

    def _latest(self, wanted: frozenset[str], at: datetime) -> Join | None:
        ids = self.window.latest_of(wanted, 5) + self.local.latest_of(wanted, 5)
        events = (self.get(i) for i in set(ids))
        recent = [
            e
            for e in events
            if at - e.last_report <= ANONYMOUS_JOINS_WITHIN and e.categories & wanted
        ]
        if not recent:
            return None
        event = max(recent, key=lambda e: (e.last_report, e.id))
        return Join(event, ANONYMOUS, "names nobody: the latest event of its category")

    def _day_grouped(self, categories: Iterable[str]) -> bool:
        grouping = self.window.grouping
        listed = list(categories)
        return bool(listed) and all(grouping.get(c) == "day" for c in listed)

    def _join(
        self, join: Join, actors: Actors, wanted: frozenset[str], report: Sighting
    ) -> Placement:
        before = join.event
        event = before.joined_by(actors, wanted, report)
        breaking = not event.breaking and event.surging(self.surge_outlets, self.surge_minutes)
        if breaking:
            event = replace(event, breaking=True)
        self.local.put(event)
        return Placement(
            event,
            joined=True,
            reason=join.reason,
            widened=wanted - before.categories,
            became_breaking=breaking,
        )

    def _development(
        self, event: EventRef, actors: Actors, wanted: frozenset[str], report: Sighting
    ) -> Placement:
        kind = sorted(actors.kinds - event.kinds)[0]
        # The first event learns the development too, so a later report of it that matches
        # the first event better does not start it again.
        self.local.put(replace(event, kinds=event.kinds | actors.kinds))
        # The development inherits the first event's actors, so its later reports find it.
        fresh = replace(
            event,
            id=self._take_id(),
            categories=wanted,
            title=report.title,
            first_seen=report.seen,
            last_report=report.at,
            day=report.at.date(),
            alerted=False,
            breaking=False,
            signatures=(),
            outlets=(),
            continues=event.id,
            development=kind,
        )
        merged = fresh.joined_by(actors, wanted, report)
        self.local.put(merged)
        return Placement(
            merged, joined=False, reason=f"development ({kind}) of event {event.id}: {event.title}"
        )

    def _new(self, actors: Actors, wanted: frozenset[str], report: Sighting) -> EventRef:
        event = new_event(self._take_id(), actors, wanted, report)
        self.local.put(event)
        return event

    def _take_id(self) -> int:
        # New events have negative ids until the plan is stored.
        event_id = self._next_id
        self._next_id -= 1
        return event_id


# Latest reported, then newest: the order candidates are tried in.
_RECENCY = operator.attrgetter("last_report", "id")
