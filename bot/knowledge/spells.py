"""Party spells: the lower-bound date each is compared on, and which House each was in.

people.csv gives one party history per person without saying which House each spell was in.
Someone whose latest membership is in the Commons is taken to have sat there throughout, and a
peer who never held a seat to have sat in the Lords throughout. For a peer who was once an MP
the move is inferred from the history itself:

- moving House is not a party switch, so the Members API never records it as one, and it nearly
  always leaves a break: a gap of more than a week, an overlap, or an earlier spell left open;
- a Lords-only label (Crossbench, Non-affiliated, Lord Speaker…) reached without a recorded
  switch is the move itself.

The Lords part starts at the last such break at or before the first Lords-only label (or at the
last break when there is no such label). A history with no break at all is all Lords: a few
long careers (for example Michael Howard's) come merged across the move in the source, which
only mislabels years before 2010.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

LORDS_ONLY_LABELS = frozenset(
    {
        "Crossbench",
        "Non-affiliated",
        "Lord Speaker",
        "Bishops",
        "Labour Independent",
        "Liberal Democrat Independent",
    }
)
_LONGEST_SWITCH_GAP_DAYS = 7


class Spell(NamedTuple):
    """One entry of a party history, dates in the stored notation."""

    party: str
    start: str
    end: str
    recorded: bool  # the Members API recorded the change into this spell as a party switch


def lower_bound(stored: str) -> str:
    """The ISO date a stored date is compared on: exact date, or a window's lower bound."""
    return stored.lstrip("~").partition("/")[0]


def is_break(previous: Spell, current: Spell) -> bool:
    """Whether two consecutive spells are separated by more than a party switch."""
    if not previous.end:
        return True
    ended, started = lower_bound(previous.end), lower_bound(current.start)
    if started < ended:
        return True
    gap = date.fromisoformat(started) - date.fromisoformat(ended)
    return gap.days > _LONGEST_SWITCH_GAP_DAYS


def lords_from(house: str, had_seat: bool, spells: list[Spell]) -> int:
    """Index of the first spell in the Lords (len(spells) when none was)."""
    if house != "lords":
        return len(spells)
    if not had_seat:
        return 0
    breaks = [i for i in range(1, len(spells)) if is_break(spells[i - 1], spells[i])]
    label = next((i for i, spell in enumerate(spells) if spell.party in LORDS_ONLY_LABELS), None)
    if label is None:
        return breaks[-1] if breaks else 0
    if not spells[label].recorded:
        breaks.append(label)
    earlier = [i for i in breaks if i <= label]
    return max(earlier) if earlier else 0
