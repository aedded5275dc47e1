"""Token matching for recognition: runs of capitalised words, and names looked up in them.

A run is a stretch of capitalised words joined by single spaces (after an initial's full stop
too) and by the lowercase particles names contain, such as "of" and "de". Matching is
case-sensitive and exact on each token, except that the last token of a name may carry a
possessive ("Raab's", "Jones'").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.knowledge.register import Person

# A capitalised word whose previous character is not part of a word, so "Johnsonian" and
# "McSmith" never yield "Johnson" or "Smith". The look-behind sits after the capital so the
# regex engine only evaluates it where a capital is found.
_WORD = r"[A-ZÀ-ÖØ-Þ](?<![\w'-].)[\w'-]*"
_INNER_WORD = r"[A-ZÀ-ÖØ-Þ][\w'-]*"

# first token → second token → [(the remaining tokens, member ids)], longest name first.
Names = dict[str, dict[str, list[tuple[tuple[str, ...], tuple[int, ...]]]]]
# first token → surname tokens → the people (by id) it could mean.
Surnames = dict[str, dict[tuple[str, ...], dict[int, Person]]]


def run_patterns(particles: Iterable[str]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(runs of two or more words, runs of one or more words) joined by these particles."""
    ordered = sorted(set(particles), key=lambda p: (-len(p), p))
    joins = "|".join(re.escape(p) for p in ordered) or "(?!)"
    link = rf"\.? (?:(?:{joins}) )*{_INNER_WORD}"
    return re.compile(rf"{_WORD}(?:{link})+"), re.compile(rf"{_WORD}(?:{link})*")


def normalise(text: str) -> str:
    """Text with straight apostrophes and plain spaces, as names are stored and runs joined."""
    if "\u2019" in text:
        text = text.replace("\u2019", "'")
    return text.replace("\u00a0", " ") if "\u00a0" in text else text


def base_form(token: str) -> str:
    """A token without a possessive ending: "Raab's" → "Raab", "Jones'" → "Jones"."""
    if token.endswith("'s"):
        return token[:-2]
    return token[:-1] if token.endswith("'") else token


def words_of(run: str) -> tuple[list[str], list[str], list[str]]:
    """A run's tokens as written, without initials' full stops, and without possessives."""
    tokens = run.split(" ")
    raw = [t.rstrip(".") for t in tokens] if "." in run else tokens
    return tokens, raw, [base_form(t) for t in raw] if "'" in run else raw


def fits(name: tuple[str, ...], raw: list[str], base: list[str], i: int) -> bool:
    """Whether `name` is written at token i (its last token may carry a possessive)."""
    end = i + len(name)
    if end > len(raw) or base[end - 1] != name[-1]:
        return False
    return all(raw[i + j] == name[j] for j in range(len(name) - 1))


def match_at(names: Names, raw: list[str], base: list[str], i: int) -> tuple[int, tuple[int, ...]]:
    """(end token index, ids) of the longest full name at token i, or (i, ()) for none."""
    following = names.get(raw[i])
    if following is None or i + 1 >= len(raw):
        return i, ()
    for rest, ids in following.get(raw[i + 1], ()):
        if not rest or fits(rest, raw, base, i + 2):
            return i + 2 + len(rest), ids
    if base[i + 1] != raw[i + 1]:
        for rest, ids in following.get(base[i + 1], ()):
            if not rest:
                return i + 2, ids
    return i, ()


def surname_at(
    surnames: Surnames, raw: list[str], base: list[str], i: int
) -> tuple[int, tuple[Person, ...]]:
    """(end token index, people) of the longest known surname at token i, or (i, ())."""
    best_end, best = i, tuple[Person, ...]()
    for key in dict.fromkeys((raw[i], base[i])):
        for name, people in surnames.get(key, {}).items():
            end = i + len(name)
            if end > best_end and fits(name, raw, base, i):
                best_end, best = end, tuple(people.values())
    return best_end, best
