"""Events: which reports are one happening, which are news in their own right, which stay apart.

Table-driven over the real register and the pure placer: each case is a sequence of reports
(minutes after 10:00 UTC, categories, title, summary) and the event each should land in.
"""

from __future__ import annotations

import json
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.pipeline.actors import actors_of, bodies_in, developments_in
from bot.pipeline.classify import shared_register
from bot.pipeline.events import EventRef, EventWindow, Sighting, new_event
from bot.pipeline.placing import Placement, Placer
from bot.pipeline.window import decode, encode

DAY = datetime(2024, 5, 8, 10, 0, tzinfo=UTC)
Report = tuple[float, tuple[str, ...], str, str]  # minutes after DAY, categories, title, summary


class Desk:
    """A window and the placements of reports fed through it one by one, as the poller does."""

    def __init__(self, grouping: dict[str, str] | None = None) -> None:
        self.window = EventWindow(timedelta(hours=36), grouping or {"pmqs": "day"})
        self.next_id = 1

    def report(
        self, minutes: float, categories: tuple[str, ...], title: str, summary: str = ""
    ) -> Placement:
        """Place one report, store its events (new ones get the next ids) and alert new ones."""
        at = DAY + timedelta(minutes=minutes)
        actors = actors_of(title, summary, shared_register(), at.date())
        placer = Placer(self.window, surge_outlets=3, surge_minutes=30)
        placement = placer.place(actors, categories, Sighting(title, f"outlet {minutes}", at, at))
        ids: dict[int, int] = {}
        for local in sorted((i for i in placer.changed if i < 0), reverse=True):
            ids[local] = self.next_id
            self.next_id += 1
        for event in placer.changed.values():
            continues = ids.get(event.continues, event.continues) if event.continues else None
            stored = replace(event, id=ids.get(event.id, event.id), continues=continues)
            if not placement.joined and stored.id == ids.get(placement.event.id):
                stored = replace(stored, alerted=True)
            self.window.put(stored)
        placement.event = self.window.events[ids.get(placement.event.id, placement.event.id)]
        return placement

    def events_of(self, reports: list[Report]) -> list[int]:
        """The event id each report lands in."""
        return [self.report(*r).event.id for r in reports]


# Reports and the event each must land in (1 = the first event, 2 = a second one, …).
CASES: dict[str, tuple[list[Report], list[int]]] = {
    "one defection worded many ways is one event": (
        [
            (0, ("defection",), "Tory MP Natalie Elphicke crosses the floor to Labour", ""),
            (30, ("defection",), "Why Natalie Elphicke walked out on the Conservatives", ""),
            (60, ("defection",), "Another wounding blow for the PM", "Dover MP Natalie Elphicke"),
            (
                90,
                ("defection",),
                "Elphicke defection: what it means for Labour",
                "Natalie Elphicke",
            ),
        ],
        [1, 1, 1, 1],
    ),
    "two MPs defecting on one day are two events": (
        [
            (0, ("defection",), "Tory MP Natalie Elphicke defects to Labour", ""),
            (20, ("defection",), "Tory MP Dan Poulter defects to Labour", ""),
            (40, ("defection",), "Natalie Elphicke explains her defection", ""),
            (60, ("defection",), "Dan Poulter: why I left the Tories", ""),
        ],
        [1, 2, 1, 2],
    ),
    "a Covid inquiry hearing and a Privileges Committee report on one day stay apart": (
        [
            (0, ("inquiry",), "Former adviser gives evidence to the Covid inquiry", ""),
            (10, ("inquiry",), "Privileges Committee publishes its report", "The committee"),
            (30, ("inquiry",), "Covid inquiry hears of chaos in No 10", ""),
            (50, ("inquiry",), "MPs react to the Privileges Committee report", ""),
        ],
        [1, 2, 1, 2],
    ),
    "a Holyrood and a Westminster standards case stay apart": (
        [
            (0, ("inquiry",), "MSP breached code, says Holyrood standards commissioner", ""),
            (20, ("inquiry",), "MP breached code, says Commons standards commissioner", ""),
        ],
        [1, 2],
    ),
    "a report naming nothing joins the latest event of its category": (
        [
            (0, ("inquiry",), "Grenfell Tower inquiry publishes final report", ""),
            (30, ("inquiry",), "What happens next?", "The inquiry's report is long."),
        ],
        [1, 1],
    ),
    "PMQs reports of one day are one event, whoever they name": (
        [
            (0, ("pmqs",), "Rishi Sunak and Keir Starmer clash at PMQs", ""),
            (60, ("pmqs",), "PMQs verdict: a scrappy session", ""),
            (90, ("pmqs",), "Ed Davey asks about sewage at PMQs", ""),
        ],
        [1, 1, 1],
    ),
    "a report outside the window starts a new event": (
        [
            (0, ("defection",), "Tory MP Natalie Elphicke defects to Labour", ""),
            (60 * 40, ("defection",), "Natalie Elphicke defection: a look back", ""),
        ],
        [1, 2],
    ),
}


@pytest.mark.parametrize(("reports", "expected"), CASES.values(), ids=CASES.keys())
def test_reports_land_in_the_right_events(reports: list[Report], expected: list[int]) -> None:
    assert Desk().events_of(reports) == expected


def test_a_development_after_an_alert_is_a_new_event_that_names_the_first() -> None:
    desk = Desk()
    first = desk.report(0, ("inquiry",), "Privileges Committee report on Boris Johnson out", "")
    development = desk.report(90, ("inquiry",), "Boris Johnson resigns as an MP", "Privileges")
    later = desk.report(120, ("inquiry",), "Boris Johnson resignation: reaction", "")
    assert not development.joined
    assert development.event.continues == first.event.id
    assert development.event.development == "resignation"
    assert "development (resignation)" in development.reason
    # Its later reports update it, not the first, and never start it again.
    assert later.joined
    assert later.event.id == development.event.id


def test_a_saga_resuming_after_a_gap_names_the_event_it_continues() -> None:
    desk = Desk()
    first = desk.report(0, ("defection",), "Tory MP Natalie Elphicke defects to Labour", "")
    resumed = desk.report(60 * 48, ("defection",), "Natalie Elphicke defection row deepens", "")
    assert not resumed.joined
    assert resumed.event.continues == first.event.id
    assert "resuming event" in resumed.reason


def test_each_join_says_why() -> None:
    desk = Desk()
    desk.report(0, ("defection",), "Tory MP Natalie Elphicke defects to Labour", "")
    by_person = desk.report(30, ("defection",), "Natalie Elphicke: a profile", "")
    assert by_person.reason == "same people: Natalie Elphicke"
    desk.report(40, ("inquiry",), "Infected blood inquiry publishes its findings", "")
    by_body = desk.report(50, ("inquiry",), "Victims react to the infected blood inquiry", "")
    assert by_body.reason == "same inquiry: blood infected"


def test_three_outlets_within_half_an_hour_make_an_event_breaking() -> None:
    desk = Desk()
    title = "Tory MP Natalie Elphicke defects to Labour"
    first = desk.report(0, ("defection",), title)
    second = desk.report(10, ("defection",), title)
    third = desk.report(20, ("defection",), title)
    assert not first.became_breaking
    assert not second.became_breaking
    assert third.became_breaking
    assert third.event.breaking
    assert not desk.report(25, ("defection",), title).became_breaking  # once


def test_outlets_spread_over_hours_are_not_a_surge() -> None:
    desk = Desk()
    title = "Tory MP Natalie Elphicke defects to Labour"
    assert not any(desk.report(m, ("defection",), title).event.breaking for m in (0, 40, 80))


def test_a_headline_with_two_categories_joins_one_event_and_widens_it() -> None:
    desk = Desk()
    desk.report(0, ("defection",), "Tory MP Natalie Elphicke defects to Labour", "")
    both = desk.report(5, ("defection", "pmqs"), "Natalie Elphicke crosses the floor at PMQs", "")
    assert both.joined
    assert both.widened == {"pmqs"}
    assert both.event.categories == {"defection", "pmqs"}


BODIES = {
    "UK Covid inquiry hears from Hancock": {("covid", "uk")},
    "the infected blood inquiry": {("blood", "infected")},
    "public inquiry into infected blood": {("blood", "infected")},
    "Privileges Committee report": {("privileges",)},
    "Welsh first minister rejects Covid inquiry claims": {("covid",)},
    "the watchdog will probe claims": set(),
    "the inquiry's findings": set(),
}


@pytest.mark.parametrize(("text", "expected"), BODIES.items(), ids=BODIES.keys())
def test_bodies_are_named_by_the_words_before_them(text: str, expected: set[tuple[str]]) -> None:
    assert {tuple(sorted(b.words)) for b in bodies_in(text)} == expected


DEVELOPMENTS = {
    "Minister resigns after bullying report": {"resignation"},
    "Johnson survives confidence vote": {"vote result"},
    "MP suspended from the Commons for 30 days": {"sanction"},
    "Kingspan was dishonest, inquiry finds": {"findings"},
    "Deaths were avoidable, says inquiry": {"findings"},
    "Starmer rules out a deal": set(),
    "Infected blood inquiry to publish report": set(),
}


@pytest.mark.parametrize(("title", "expected"), DEVELOPMENTS.items(), ids=DEVELOPMENTS.keys())
def test_developments_a_title_announces(title: str, expected: set[str]) -> None:
    assert developments_in(title) == expected


def test_a_join_keeps_every_field_it_does_not_grow() -> None:
    # joined_by builds the event whole (faster than dataclasses.replace): a field added to
    # EventRef and not passed on would silently fall back to its default.
    at = DAY + timedelta(minutes=5)
    first = actors_of("Tory MP Dan Poulter defects to Labour", "", shared_register(), DAY.date())
    event = replace(
        new_event(7, first, ("defection",), Sighting("t", "BBC", DAY, DAY)),
        alerted=True,
        continues=3,
        development="resignation",
        breaking=True,
    )
    more = actors_of("Dan Poulter joins Labour", "", shared_register(), DAY.date())
    joined = event.joined_by(more, ("defection",), Sighting("u", "Guardian", at, at))
    grown = {"categories", "last_report", "people", "principal", "bodies", "names", "leads"}
    grown |= {"jurisdiction", "kinds", "signatures", "outlets", "who"}
    for item in fields(EventRef):
        if item.name not in grown:
            assert getattr(joined, item.name) == getattr(event, item.name), item.name
    assert joined.last_report == at
    assert [outlet for outlet, _ in joined.outlets] == ["BBC", "Guardian"]


def test_an_event_stored_and_read_back_is_the_same_event_whatever_its_outlets_are_called() -> None:
    # The stored outlets list is joined from pairs encoded once each (a big event is stored
    # again with every feed that reports it): still one valid JSON document, read back whole.
    first = actors_of("Tory MP Dan Poulter defects to Labour", "", shared_register(), DAY.date())
    event = new_event(9, first, ("defection",), Sighting("t", 'BBC "News"\\', DAY, DAY))
    names = ["Guardian ü", "Feed</script>", "Sky, News", "", "Telegraph 📰"]
    for minute, name in enumerate(names, 1):
        at = DAY + timedelta(minutes=minute)
        event = event.joined_by(first, ("defection",), Sighting("u", name, at, at))
    row = encode(event, "https://example.org/x")
    assert json.loads(row.actors)["outlets"][0] == ['BBC "News"\\', DAY.isoformat()]
    assert decode(row) == event
    empty = replace(event, outlets=(), signatures=(), who=())
    assert decode(encode(empty)) == empty
