"""Synthetic but realistic UK politics headlines: BBC-style and Guardian-style titles and summaries.

Deterministic: the same (feed, sequence number) always gives the same headline, so a feed's body
is byte-identical between polls unless the farm says it changed. About 6% of headlines belong to a
category (defection, letters, PMQs, inquiry), so classification, story matching and alert
queueing do real work; the rest are the everyday politics news that must not alert.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


def words(text: str) -> tuple[str, ...]:
    """The whitespace-separated words of `text`."""
    return tuple(text.split())


FIRST = words(
    """
    Jane Alan Priya Tom Sarah David Aisha Mark Helen James Fatima Owen Rachel Neil Claire Rishi
    Yvette Kemi Wes Bridget Lucy Ed Angela Bob Nadine Liz Grant Jacob Stella Dawn Rosie Imran
    Nusrat Shabana Tobias Miriam Damian Caroline Lee Harriet Andy Jonathan Victoria Gareth
    """
)
LAST = words(
    """
    Marchmont Pellow Okafor Hartley Bramwell Ashdown Kettering Fairbairn Holloway Pennington
    Castellan Drummond Whitlock Ravensworth Quayle Abernethy Lindqvist Moncrieff Thackeray
    Ellison Hargreaves Oduya Penrose Sandiford Tremayne Villiers Wakelin Yardley Zeller Brannock
    Coulthard Delacourt Esterhazy Fenwick Galloway Haldane Inchbald Jessop Kilbride Lockwood
    """
)
PARTIES = ("Labour", "the Conservatives", "the Lib Dems", "Reform UK", "the Greens", "the SNP")
POLICIES = (
    "housing",
    "NHS waiting lists",
    "tuition fees",
    "the two-child benefit cap",
    "fuel duty",
    "social care",
    "net migration",
    "rail fares",
    "defence spending",
    "water companies",
    "energy bills",
    "the Rwanda scheme",
    "free school meals",
    "council tax",
    "planning reform",
    "the winter fuel payment",
)
ROLES = (
    "Chancellor",
    "Home Secretary",
    "Health Secretary",
    "Education Secretary",
    "Foreign Secretary",
)
PLACES = (
    "Bury South",
    "Hartlepool",
    "Wakefield",
    "Tiverton",
    "Selby",
    "Mid Bedfordshire",
    "Rutherglen",
)

_NONE = (
    "{role} announces £{n}bn plan for {policy}",
    "{role} under pressure over {policy} row",
    "Government to review {policy} after backlash from backbenchers",
    "What the {policy} shake-up means for you",
    "{party_cap} pledges to overhaul {policy} if it wins the next election",
    "Minister defends {policy} figures as critics cry foul",
    "{name} says {policy} changes will not be rushed",
    "By-election in {place}: polls open as parties make final pitch",
    "Council leaders warn {policy} cuts will hit poorest areas",
    "Analysis: why {policy} has become the defining issue of the summer",
    "Downing Street rejects claims of cabinet split over {policy}",
    "MPs to debate {policy} bill next week",
    "{role} {name} visits {place} to promote {policy} plans",
    "Thousands march in London against {policy} changes",
    "Watchdog criticises handling of {policy} contracts",
)
_CATEGORISED = (
    ("defection", "Tory MP {name} defects to {party}"),
    ("defection", "{name} quits {party} to join {party2}"),
    ("defection", "MP for {place} {name} crosses the floor to {party}"),
    ("letters", "{name} submits letter of no confidence in the prime minister"),
    ("letters", "1922 Committee: {n} letters needed to trigger confidence vote, says {name}"),
    ("pmqs", "PMQs: {name} and the prime minister clash over {policy}"),
    ("pmqs", "PMQs verdict: {name} lands blows on {policy}"),
    ("inquiry", "Covid inquiry: {name} to give evidence on {policy}"),
    ("inquiry", "Privileges Committee to investigate {name} over {policy} claims"),
    ("inquiry", "Standards commissioner opens investigation into {name}"),
)
_STANDFIRST = (
    "The announcement follows weeks of pressure from backbench MPs and campaigners.",
    "Critics say the plans lack detail and will do little to ease pressure on families.",
    "Opposition parties accused ministers of making it up as they go along.",
    "The move is likely to prove controversial with MPs on both sides of the House.",
    "Officials say the changes will come into force from April next year.",
    "Figures published on Tuesday show the scale of the challenge facing ministers.",
)
_PARAGRAPH = (
    "Speaking in the Commons, the minister insisted the government had a credible plan and "
    "accused the opposition of offering no alternative. Several backbenchers have privately "
    "warned that the policy could cost the party seats at the next general election, and one "
    "senior figure said the handling had been 'chaotic from start to finish'."
)

CATEGORISED_SHARE = 0.06


@dataclass(frozen=True, slots=True)
class FakeHeadline:
    """One synthetic headline; `label` is the category the template was written for, or None."""

    title: str
    standfirst: str
    body: str  # a longer paragraph, used by Guardian-style descriptions
    slug: str
    label: str | None


def person(rng: random.Random) -> str:
    """A plausible, fictional MP's name."""
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def headline(feed: int, seq: int) -> FakeHeadline:
    """The `seq`-th headline ever published by feed number `feed` (deterministic)."""
    return compose(random.Random(f"{feed}:{seq}"), feed, seq)


def compose(rng: random.Random, feed: int, seq: int) -> FakeHeadline:
    """A headline drawn from `rng` (one seeded stream is much faster for millions of them)."""
    fields = {
        "name": person(rng),
        "party": rng.choice(PARTIES),
        "party2": rng.choice(PARTIES),
        "party_cap": rng.choice(("Labour", "The Conservatives", "The Lib Dems", "Reform UK")),
        "policy": rng.choice(POLICIES),
        "role": rng.choice(ROLES),
        "place": rng.choice(PLACES),
        "n": str(rng.randint(2, 60)),
    }
    label: str | None = None
    if rng.random() < CATEGORISED_SHARE:
        label, template = rng.choice(_CATEGORISED)
    else:
        template = rng.choice(_NONE)
    title = template.format(**fields)
    slug = "-".join(w.strip("£:,'").lower() for w in title.split()[:9] if w.strip("£:,'"))
    return FakeHeadline(
        title=title,
        standfirst=rng.choice(_STANDFIRST),
        body=_PARAGRAPH,
        slug=f"{slug}-{feed}-{seq}",
        label=label,
    )


# An event day: about half the headlines categorised, most naming the same few people (real
# names, so the register recognises them) and the same inquiries, worded many ways by many
# outlets; a few name someone else, so new events still begin.
EVENT_PEOPLE = (
    "Natalie Elphicke",
    "Dan Poulter",
    "Lee Anderson",
    "Boris Johnson",
    "Matt Hancock",
)
_EVENT_DAY = (
    ("defection", "Tory MP {who} defects to Labour"),
    ("defection", "{who} crosses the floor to join {party}"),
    ("defection", "{who} quits the Conservatives to join {party}"),
    ("defection", "Why {who} defected, and what it means for {policy}"),
    ("defection", "{who}'s defection to {party}: the reaction from Westminster"),
    ("inquiry", "Covid inquiry: {who} gives evidence on {policy}"),
    ("inquiry", "{who} tells Covid inquiry ministers were warned over {policy}"),
    ("inquiry", "Privileges Committee to investigate {who} over {policy} claims"),
    ("inquiry", "Standards commissioner opens investigation into {who}"),
    ("letters", "{who} submits letter of no confidence in the prime minister"),
    ("pmqs", "PMQs: {who} and the prime minister clash over {policy}"),
)
_EVENT_STANDFIRST = (
    "{who} said the party had changed beyond recognition.",
    "Colleagues of {who} said the move had been weeks in the making.",
    "The announcement came minutes before Prime Minister's Questions.",
    "{who} was questioned for more than three hours.",
    "Critics say the plans lack detail and will do little to ease pressure on families.",
)
EVENT_CATEGORISED_SHARE = 0.5
EVENT_OTHER_PEOPLE_SHARE = 0.15  # of categorised headlines: someone outside the day's few


def event_day(feed: int, seq: int) -> FakeHeadline:
    """The `seq`-th headline of feed `feed` on an event day (deterministic)."""
    rng = random.Random(f"event:{feed}:{seq}")
    if rng.random() >= EVENT_CATEGORISED_SHARE:
        return compose(rng, feed, seq)
    label, template = rng.choice(_EVENT_DAY)
    others = rng.random() < EVENT_OTHER_PEOPLE_SHARE
    who = person(rng) if others else rng.choice(EVENT_PEOPLE)
    fields = {"who": who, "party": rng.choice(PARTIES), "policy": rng.choice(POLICIES)}
    title = template.format(**fields)
    slug = "-".join(w.strip("£:,'").lower() for w in title.split()[:9] if w.strip("£:,'"))
    return FakeHeadline(
        title=title,
        standfirst=rng.choice(_EVENT_STANDFIRST).format(**fields),
        body=_PARAGRAPH,
        slug=f"{slug}-{feed}-{seq}",
        label=label,
    )


CORPORA = {"everyday": headline, "event-day": event_day}
