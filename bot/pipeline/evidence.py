"""The matches behind an alert → the few phrases its "Why" line shows.

Rules overlap by design ("Sue Gray inquiry", "inquiry into", "inquiry"), so the raw matches
repeat themselves. A reader needs the words that decided it: the longest matches, each once,
the hints dropped when a rule strong enough to decide alone is there, and the category named
when an alert has more than one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.domain import CategoryInfo, Classification, Match

MAX_EVIDENCE = 4
# A match this heavy decides a category on its own (the rules' scale: hints are 0.3–0.75, "sure"
# rules 1.0 and up); lighter ones only support, so they are not worth the reader's attention
# once a deciding one is shown.
DECIDING_WEIGHT = 1.0


def evidence_phrases(
    result: Classification,
    wanted: Sequence[str],
    labels: Mapping[str, CategoryInfo] | None = None,
) -> tuple[str, ...]:
    """Short "why" phrases for the categories in `wanted`: longest words first, none repeated."""
    tagged = len(wanted) > 1
    kept: list[tuple[str, Match]] = []
    for category in wanted:
        for match in _deciding(result.evidence_for(category)):
            words = match.text.casefold()
            if any(words in shown.text.casefold() for _, shown in kept):
                continue  # already said, inside a longer phrase
            kept.append((category, match))
    # Said in reading order: each category's title words before its summary words.
    kept.sort(key=lambda pair: (wanted.index(pair[0]), pair[1].field != "title"))
    phrases = []
    for category, match in kept[:MAX_EVIDENCE]:
        phrase = f"“{match.text}” in {match.field}"
        if tagged:
            info = (labels or {}).get(category)
            phrase = f"{info.label if info else category}: {phrase}"
        phrases.append(phrase)
    return tuple(phrases)


def _deciding(matches: Sequence[Match]) -> list[Match]:
    """Longest first; hints only when nothing decides the category alone."""
    ordered = sorted(matches, key=lambda m: (-len(m.text), -m.weight, m.field))
    if any(m.weight >= DECIDING_WEIGHT for m in ordered):
        return [m for m in ordered if m.weight >= DECIDING_WEIGHT]
    return ordered
