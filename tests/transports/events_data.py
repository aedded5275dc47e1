"""Alerts of grown events and follow-ups for the update tests, hostile text included."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.domain import Alert, CategoryInfo, EventState, FollowUp, Report

FIRST = datetime(2024, 3, 6, 12, 0, tzinfo=UTC)
STANDARDS = CategoryInfo("standards", "Standards", "⚖️", 0xC0392B, "Standards cases")
OUTLETS = ("BBC News", "The Guardian", "The Telegraph")
# What a hostile feed might put in a headline: pings of every kind, markup, a masked link.
HOSTILE = "@everyone @here <@&123456> <!channel> <!here> @channel *bold* [x](https://evil.example)"


def report(number: int, title: str | None = None, outlet: str | None = None) -> Report:
    """The number-th report, seen ten minutes after the one before."""
    return Report(
        title or f"Report {number} on the committee's finding",
        f"https://news.example/report-{number}",
        outlet or OUTLETS[number % len(OUTLETS)],
        FIRST + timedelta(minutes=10 * number),
    )


def event(reports: int = 4, **changes: object) -> EventState:
    """An event of `reports` reports; the latest three listed, newest first."""
    latest = tuple(report(n) for n in range(reports - 1, max(reports - 4, 0), -1))
    state = EventState(
        event_id=9,
        reports=reports,
        outlets=OUTLETS[: min(reports, len(OUTLETS))],
        latest=latest,
        first_seen=FIRST,
        last_seen=FIRST + timedelta(minutes=10 * (reports - 1)),
    )
    return replace(state, **changes)  # type: ignore[arg-type]


def alert(state: EventState | None = None, **changes: object) -> Alert:
    """The event's first report as an alert, its state attached."""
    base = Alert(
        story_id=9,
        title="Johnson misled Parliament, Privileges Committee finds",
        link="https://news.example/report-0",
        summary="The committee said the former prime minister deliberately misled the House.",
        outlet="BBC News",
        published=FIRST,
        categories=(STANDARDS,),
        evidence=('title: "Privileges Committee"',),
        event=state,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def follow_up(more: int = 3, **changes: object) -> FollowUp:
    """'N more reports on …' with the newest of them."""
    base = FollowUp(
        event_id=9,
        title="Johnson misled Parliament, Privileges Committee finds",
        link="https://news.example/report-0",
        more=more,
        latest=tuple(report(n) for n in range(more, 0, -1))[:5],
        categories=(STANDARDS,),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def hostile_event(reports: int = 4) -> EventState:
    """An event whose headlines and outlets try to ping and inject markup."""
    latest = tuple(report(n, title=f"{HOSTILE} {n}", outlet=HOSTILE) for n in (3, 2, 1))
    return event(reports, latest=latest, outlets=(HOSTILE, "BBC News"), continues=HOSTILE)


def huge_event(reports: int = 200) -> EventState:
    """200 reports from 200 outlets, every title and URL as long as a feed could make them."""
    long_title = "Very long headline about the committee " * 60
    latest = tuple(
        Report(long_title + str(n), "https://news.example/" + "a" * 1800 + str(n), "O" * 300, FIRST)
        for n in range(3)
    )
    outlets = tuple(f"Outlet number {n} " + "x" * 40 for n in range(reports))
    return event(reports, latest=latest, outlets=outlets, continues=long_title, breaking=True)
