"""Stage 4b: a categorised headline's actors → the event it reports (or a new one), and why.

A report joins an event of one of its categories, open (its last report within the window),
when it names the same happening: the same people; the same public inquiry; the same
investigating body about the same people; the same other names; or, naming nobody, the same
wording (bot.pipeline.stories) — and for a category grouped by day (PMQs), the same day. A
report that names nobody and nothing joins the latest event of its category of the last few
hours. Who is named settles the rest: two MPs defecting on one day are two events.

Pure: the window is plain data; `Placer` decides on a private overlay, so a feed's plan can be
thrown away, and the window takes the outcome only once the plan is stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple, TypeVar

from bot.domain import Signature
from bot.pipeline.actors import Actors, Body
from bot.pipeline.stories import same_story

_T = TypeVar("_T")

# A saga that resumes this long after its last report is named by the new event's alert.
RESUMES_WITHIN = timedelta(days=7)
# A report that names nobody joins its category's latest event only if that one is this fresh.
ANONYMOUS_JOINS_WITHIN = timedelta(hours=6)
# How many reports' wording an event keeps for matching reports that name nobody.
KEPT_SIGNATURES = 8
# Reports that name nobody are compared with this many of their category's latest events.
UNNAMED_CANDIDATES = 50

# How sure a join is, strongest first; the reason is shown by `why` and logged.
PEOPLE, DAY, BODY, NAMES, WORDING, ANONYMOUS = 5, 4, 3, 2, 1, 0
# A nation in an inquiry's name tells two inquiries apart ("UK Covid inquiry", "Scottish …").
_NATIONS = frozenset({"uk", "scottish", "welsh", "english", "irish", "british"})


class Sighting(NamedTuple):
    """One report as events see it: its title, who published it, its time, when we saw it."""

    title: str
    outlet: str
    at: datetime  # published (or first seen when undated), never in the future
    seen: datetime  # when this process first saw it


@dataclass(frozen=True, slots=True)
class EventRef:
    """An event as matching needs it: its actors (all its reports'), times and outlets."""

    id: int
    categories: frozenset[str]
    title: str
    first_seen: datetime  # when its first report was first seen (surge counts from here)
    last_report: datetime  # the latest report's time (published, or first seen if undated)
    day: date  # of its first report, for categories grouped by day
    alerted: bool = False
    people: frozenset[int] = frozenset()
    principal: frozenset[int] = frozenset()
    bodies: frozenset[Body] = frozenset()
    names: frozenset[str] = frozenset()
    leads: frozenset[str] = frozenset()
    jurisdiction: str = ""
    kinds: frozenset[str] = frozenset()
    signatures: tuple[Signature, ...] = ()
    outlets: tuple[tuple[str, datetime], ...] = ()  # (outlet, first seen), in order
    who: tuple[tuple[int, str], ...] = ()
    continues: int | None = None
    development: str | None = None
    breaking: bool = False

    def joined_by(self, actors: Actors, categories: Iterable[str], report: Sighting) -> EventRef:
        """This event with one more report."""
        outlets = self.outlets
        at = report.at
        if report.outlet not in dict(outlets):  # built in C: a big event has many outlets
            outlets = (*outlets, (report.outlet, report.seen))
        names = _union(self.names, actors.names)
        leads = _union(self.leads, actors.leads)
        if not (leads.isdisjoint(actors.names) and leads.isdisjoint(self.names)):
            leads = leads - actors.names - self.names
        # Built whole rather than with dataclasses.replace, which walks every field of the
        # class each time: a busy day joins thousands of reports.
        return EventRef(
            id=self.id,
            categories=_union(self.categories, frozenset(categories)),
            title=self.title,
            first_seen=self.first_seen,
            last_report=max(self.last_report, at),
            day=self.day,
            alerted=self.alerted,
            people=_union(self.people, actors.people),
            principal=_union(self.principal, actors.principal),
            bodies=_union(self.bodies, actors.bodies),
            names=names,
            leads=leads,
            jurisdiction=self.jurisdiction or actors.jurisdiction,
            kinds=_union(self.kinds, actors.kinds),
            signatures=(*self.signatures, actors.signature)[-KEPT_SIGNATURES:],
            outlets=outlets,
            who=_merge_who(self.who, actors.who),
            continues=self.continues,
            development=self.development,
            breaking=self.breaking,
        )

    def surging(self, outlets: int, minutes: float) -> bool:
        """Whether enough outlets reported it within `minutes` of it first being seen."""
        limit = self.first_seen + timedelta(minutes=minutes)
        return sum(1 for _, seen in self.outlets if seen <= limit) >= outlets


def new_event(
    event_id: int, actors: Actors, categories: Iterable[str], report: Sighting
) -> EventRef:
    """An event started by its first report."""
    return EventRef(
        id=event_id,
        categories=frozenset(categories),
        title=report.title,
        first_seen=report.seen,
        last_report=report.at,
        day=report.at.date(),
        people=actors.people,
        principal=actors.principal,
        bodies=actors.bodies,
        names=actors.names,
        leads=actors.leads,
        jurisdiction=actors.jurisdiction,
        kinds=actors.kinds,
        signatures=(actors.signature,),
        outlets=((report.outlet, report.seen),),
        who=actors.who,
    )


def _union(mine: frozenset[_T], more: frozenset[_T]) -> frozenset[_T]:
    # The same set as `mine | more`, without copying a big event's sets for nothing new.
    return mine if more <= mine else mine | more


def _merge_who(
    a: tuple[tuple[int, str], ...], b: tuple[tuple[int, str], ...]
) -> tuple[tuple[int, str], ...]:
    known = {pid for pid, _ in a}
    return (*a, *(pair for pair in b if pair[0] not in known))


@dataclass(frozen=True, slots=True)
class Join:
    """An event a report belongs to, how sure, and why."""

    event: EventRef
    strength: int
    reason: str


def why_same(actors: Actors, event: EventRef) -> Join | None:
    """Whether a report with `actors` reports `event` (categories and time checked elsewhere)."""
    # Different people in both titles: another happening, whatever else they share.
    clash = bool(
        actors.principal
        and event.principal
        and not (actors.principal & event.people)
        and not (event.principal & actors.people)
    )
    shared_people = actors.people & event.people
    if shared_people and not clash:
        names = ", ".join(sorted(_display(pid, actors, event) for pid in shared_people))
        return Join(event, PEOPLE, f"same people: {names}")
    if actors.jurisdiction == event.jurisdiction:
        body = _shared_body(actors.bodies, event.bodies, clash)
        if body is not None:
            return Join(event, BODY, f"same {body}")
        if not clash and not _numbers_differ(actors, event) and not _names_differ(actors, event):
            shared = (
                (actors.names & event.names)
                | (actors.names & event.leads)
                | (actors.leads & event.names)
            )
            if shared:
                return Join(event, NAMES, "same names: " + ", ".join(sorted(shared)))
    if not clash and any(same_story(actors.signature, s) for s in event.signatures):
        return Join(event, WORDING, "same wording")
    return None


def _numbers_differ(actors: Actors, event: EventRef) -> bool:
    # "MP Smith2 …" and "MP Smith3 …", or "Case 12" and "Case 14": one shared name with
    # different numbers in both titles is two things, not one.
    mine = actors.signature.numbers
    return bool(mine) and all(s.numbers and not (s.numbers & mine) for s in event.signatures)


def _names_differ(actors: Actors, event: EventRef) -> bool:
    # Titles naming different people the register does not know: one name in common (a first
    # name, a surname) is not enough unless one title's names are all in the other's.
    mine = actors.signature.names
    theirs = frozenset().union(*(s.names for s in event.signatures))
    common = mine & theirs
    return bool(common) and len(common) < 2 and not (mine <= theirs or theirs <= mine)


def _display(person_id: int, actors: Actors, event: EventRef) -> str:
    return next((name for pid, name in event.who if pid == person_id), actors.name_of(person_id))


def _shared_body(mine: frozenset[Body], theirs: frozenset[Body], clash: bool) -> str | None:
    for a in mine:
        for b in theirs:
            words = a.words & b.words
            nations = (a.words | b.words) & _NATIONS
            if not words - _NATIONS or (
                len(nations) > 1 and a.words & _NATIONS != b.words & _NATIONS
            ):
                continue
            # An investigator of people (a committee, a commissioner) with other people named
            # is another case before the same body; a public inquiry is one happening.
            if words and not (clash and (a.investigator or b.investigator)):
                kind = "investigation" if a.investigator and b.investigator else "inquiry"
                return f"{kind}: {' '.join(sorted(words))}"
    return None


@dataclass(slots=True)
class EventWindow:
    """The events a new report may join or continue, indexed by what must match.

    One per process, loaded once and extended after each stored plan, so a poll never reloads
    or decodes the window; a report is compared only with events sharing an actor with it.
    """

    window: timedelta = timedelta(hours=36)
    grouping: Mapping[str, str] = field(default_factory=dict)  # category → "actors" | "day"
    events: dict[int, EventRef] = field(default_factory=dict)
    _index: dict[tuple[str, object], set[int]] = field(default_factory=dict)
    _by_category: dict[str, list[int]] = field(default_factory=dict)
    revision: int = 0  # the store's newest event revision this window has read
    # No event's last report is older than this (it may be older than the oldest's), so prune
    # looks through the events only when one may have left the window.
    _oldest: datetime | None = None
    # The revision of each event this process wrote, while the window holds it as written.
    _own: dict[int, int] = field(default_factory=dict)

    def put(self, event: EventRef, revision: int = 0) -> None:
        """Add or replace an event: as read from the store, or as this process stored it (with
        the revision it was written at, once that is committed)."""
        before = self.events.get(event.id)
        self.events[event.id] = event
        if revision:
            self._own[event.id] = revision
        else:
            self._own.pop(event.id, None)
        if self._oldest is None or event.last_report < self._oldest:
            self._oldest = event.last_report
        # Keys stay indexed once added, so only what this version adds needs indexing: a big
        # event grown by one report adds a name or two, not its hundreds again.
        for key in _keys(event) if before is None else _added_keys(before, event):
            self._index.setdefault(key, set()).add(event.id)
        ids = self._by_category
        for category in event.categories:
            listed = ids.setdefault(category, [])
            if not listed or listed[-1] != event.id:
                listed.append(event.id)

    def holds(self, event_id: int, revision: int) -> bool:
        """Whether this process wrote the event at `revision` and holds that version."""
        return self._own.get(event_id) == revision

    def prune(self, now: datetime) -> int:
        """Forget events too old to join or be continued; returns how many."""
        horizon = now - self.window - RESUMES_WITHIN
        if self._oldest is None or self._oldest >= horizon:
            return 0
        old = [i for i, e in self.events.items() if e.last_report < horizon]
        if not old:
            self._oldest = min((e.last_report for e in self.events.values()), default=None)
            return 0
        kept = [e for i, e in self.events.items() if e.last_report >= horizon]
        own, self._own = self._own, {}
        self.events, self._index, self._by_category = {}, {}, {}
        self._oldest = None
        for event in sorted(kept, key=lambda e: e.id):
            self.put(event, own.get(event.id, 0))
        return len(old)

    def candidates(self, actors: Actors) -> set[int]:
        """Ids of events sharing a person, body word or name with a report."""
        found: set[int] = set()
        for key in _query_keys(actors):
            found |= self._index.get(key, set())
        return found

    def sharing_people(self, actors: Actors) -> set[int]:
        """Ids of events naming one of a report's people."""
        found: set[int] = set()
        for pid in actors.people:
            found |= self._index.get(("p", pid), set())
        return found

    def latest_of(self, categories: Iterable[str], limit: int) -> list[int]:
        """The latest events of these categories, newest first."""
        found: set[int] = set()
        for category in categories:
            found.update(self._by_category.get(category, [])[-limit:])
        return sorted(found, reverse=True)[:limit]


def _keys(event: EventRef) -> Iterator[tuple[str, object]]:
    for pid in event.people:
        yield ("p", pid)
    for body in event.bodies:
        for word in body.words:
            yield ("b", word)
    for name in event.names:
        yield ("n", name)
    for lead in event.leads:
        yield ("l", lead)


def _added_keys(before: EventRef, event: EventRef) -> Iterator[tuple[str, object]]:
    # _keys(event) less those _keys(before) already gave.
    for pid in event.people - before.people:
        yield ("p", pid)
    if event.bodies is not before.bodies:
        known = {word for body in before.bodies for word in body.words}
        for body in event.bodies:
            for word in body.words - known:
                yield ("b", word)
    for name in event.names - before.names:
        yield ("n", name)
    for lead in event.leads - before.leads:
        yield ("l", lead)


def _query_keys(actors: Actors) -> Iterator[tuple[str, object]]:
    for pid in actors.people:
        yield ("p", pid)
    for body in actors.bodies:
        for word in body.words:
            yield ("b", word)
    for name in actors.names:
        yield ("n", name)
        yield ("l", name)
    for lead in actors.leads:
        yield ("n", lead)
