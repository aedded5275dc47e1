"""One-line descriptions of people: where they sit and the posts that say most about them.

"Priti Patel — Conservative MP for Witham; Home Secretary 2019–2022". At most two posts are
shown: the one held on the day and the most senior (the most recent among equals). Posts that
started after the day are left out, so a description of an old headline does not foretell.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from bot.knowledge.spells import lower_bound

if TYPE_CHECKING:
    from bot.knowledge.register import PartySpell, Person, Post

SENIORITY = {"PM": 6, "DPM": 5, "SoS": 4, "Parl. lead.": 4, "MoS": 3, "PUSS": 2, "Parl.": 1}
# The names these posts go by in the news; other Secretaries of State become "<Brief> Secretary".
SHORT_NAMES = {
    "Secretary of State for the Home Department": "Home Secretary",
    "Secretary of State for Foreign and Commonwealth Affairs": "Foreign Secretary",
    "Secretary of State for Foreign, Commonwealth and Development Affairs": "Foreign Secretary",
    "Secretary of State for Justice and Lord Chancellor": "Justice Secretary",
    "Secretary of State for Environment, Food and Rural Affairs": "Environment Secretary",
    "Secretary of State for Exiting the European Union": "Brexit Secretary",
    "Secretary of State for Levelling Up, Housing and Communities": "Levelling Up Secretary",
    "Secretary of State for Business, Energy and Industrial Strategy": "Business Secretary",
    "Secretary of State for Business, Innovation and Skills": "Business Secretary",
    "Secretary of State for Digital, Culture, Media and Sport": "Culture Secretary",
    "Secretary of State for Culture, Olympics, Media and Sport": "Culture Secretary",
    "Secretary of State for Science, Innovation and Technology": "Science Secretary",
    "Secretary of State for Energy Security and Net Zero": "Energy Secretary",
    "Secretary of State for Energy and Climate Change": "Energy Secretary",
    "Secretary of State for Housing, Communities and Local Government": "Housing Secretary",
    "Secretary of State for Health and Social Care": "Health Secretary",
    "Chief Whip and Parliamentary Secretary to the Treasury": "Chief Whip",
}
# Posts whose name alone does not say where; shown with their department.
GENERIC_POSTS = frozenset(
    {"Minister of State", "Parliamentary Under-Secretary of State", "Parliamentary Secretary"}
)
# Among posts of equal rank, running a department says more than, say, Minister for Women.
DEPARTMENT_HEADS = (
    "Prime Minister",
    "Deputy Prime Minister",
    "Secretary of State",
    "Chancellor of the Exchequer",
    "Chief Whip",
)
_SECRETARY_OF_STATE = re.compile(r"Secretary of State for (?:the )?(.+)")
_PARENTHESIS = re.compile(r"\s*\(([^)]*)\)")
_MERGE_GAP_DAYS = 31  # a reappointment after an election continues the same post


def short_post(post: Post) -> str:
    """The name a post goes by: "Home Secretary", "Lords Chief Whip", "Minister of State, DWP"."""
    bracket = _PARENTHESIS.search(post.post)
    if bracket and "Whip" in bracket.group(1):
        return "Government Whip" if bracket.group(1) == "Whip" else bracket.group(1)
    name = _PARENTHESIS.sub("", post.post)
    if name in SHORT_NAMES:
        return SHORT_NAMES[name]
    if name in GENERIC_POSTS:
        return f"{name}, {post.organisation}"
    brief = _SECRETARY_OF_STATE.fullmatch(name)
    return f"{brief.group(1)} Secretary" if brief else name


def span_text(start: str, end: str) -> str:
    """Years of a span: "2019–2022", "2022", or "since 2024" while open."""
    first, last = lower_bound(start)[:4], lower_bound(end)[:4] if end else ""
    if not last:
        return f"since {first}"
    return first if first == last else f"{first}–{last}"


def merged_posts(posts: tuple[Post, ...], day: str) -> list[tuple[str, Post, str]]:
    """(short name, first post, end) per continuous tenure that had started by `day`."""
    tenures: list[tuple[str, Post, str]] = []
    for post in posts:
        if post.start > day:
            continue
        name = short_post(post)
        same = [i for i, (other, _, end) in enumerate(tenures) if other == name and end]
        if same and _days_between(tenures[same[-1]][2], post.start) <= _MERGE_GAP_DAYS:
            first = tenures[same[-1]][1]
            tenures[same[-1]] = (name, first, post.end)
        else:
            tenures.append((name, post, post.end))
    return tenures


def _days_between(earlier: str, later: str) -> int:
    return (date.fromisoformat(later) - date.fromisoformat(earlier)).days


def telling_posts(person: Person, day: str) -> list[str]:
    """Up to two posts as text: the one held on `day`, and the most senior if different."""
    tenures = merged_posts(person.posts, day)
    held = [t for t in tenures if not t[2] or day < t[2]]

    def weight(tenure: tuple[str, Post, str]) -> tuple[int, bool, str]:
        heads = tenure[1].post.startswith(DEPARTMENT_HEADS)
        return SENIORITY.get(tenure[1].rank, 0), heads, tenure[2] or "9999"

    chosen = [max(held, key=weight)] if held else []
    top = max(tenures, key=weight, default=None)
    if top and all(top[0] != name for name, _, _ in chosen):
        chosen.append(top)
    return [f"{name} {span_text(first.start, end)}" for name, first, end in chosen]


def seat_text(spell: PartySpell, seat: str) -> str:
    """Where a spell sat: "Conservative MP for Witham", "Crossbench peer"."""
    if spell.house == "lords":
        return {"Bishops": "bishop in the Lords", "Lord Speaker": "Lord Speaker"}.get(
            spell.party, f"{spell.party} peer"
        )
    where = f"MP for {seat}" if seat else "MP"
    return f"Speaker, {where}" if spell.party == "Speaker" else f"{spell.party} {where}"


def standing(person: Person, on: date) -> str:
    """Where the person sat on `on`, or last sat before it, or will first sit."""
    current = person.spell_on(on)
    if current:
        return seat_text(current, person.seat)
    day = on.isoformat()
    earlier = [s for s in person.parties if lower_bound(s.start) <= day]
    if earlier:
        return f"former {seat_text(earlier[-1], person.seat)}"
    if not person.parties:
        return "member of Parliament" if person.house == "commons" else "member of the Lords"
    first = person.parties[0]
    return f"{seat_text(first, person.seat)} from {lower_bound(first.start)[:4]}"


def describe(person: Person, on: date | None = None) -> str:
    """ "Name — where they sit; post years; post years" as of `on` (default today)."""
    day = on or datetime.now(UTC).date()
    parts = [standing(person, day), *telling_posts(person, day.isoformat())]
    return f"{person.name} — {'; '.join(parts)}"
