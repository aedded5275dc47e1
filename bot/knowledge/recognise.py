"""Recognising register people named in a headline and its summary.

One regex finds runs of capitalised words; each run is looked up token by token in one index
built once per register: first token → second token → the rest of each name, longest first.
There is no regex per person, so the cost grows with the text, not with the register, and a
field none of whose runs holds a name's first word is dismissed with one set operation.

Names match case-sensitively as the register spells them (curly apostrophes made straight,
initials without their full stop); a possessive ("Raab's", "Johnson’s", "Jones'") still matches;
an honorific before a name (Sir, Dame, Dr…) joins the mention; a surname alone counts only once
someone with that surname was named in full in the same headline or summary, and only where no
capitalised word follows it ("Green Party" is no mention of Sarah Green). Who an ambiguous name
means is settled in bot.knowledge.resolve.
"""

from __future__ import annotations

import contextlib
import weakref
from datetime import UTC, date, datetime
from typing import NamedTuple

from bot.knowledge.matching import (
    Names,
    Surnames,
    match_at,
    normalise,
    run_patterns,
    surname_at,
    words_of,
)
from bot.knowledge.names import HONORIFICS, TITLE_WORDS, name_tokens
from bot.knowledge.register import Person, Register
from bot.knowledge.resolve import narrow, prefer_named

FIELDS = ("title", "summary")
Texts = tuple[str, str]  # title, summary
# Where a name was found: field index, run start, run text, first token, end token.
Where = tuple[int, int, str, int, int]


class Mention(NamedTuple):
    """A person (or, when ambiguous, the people it could be) named in one field of the text."""

    text: str  # as written, with any honorific, without a possessive ending
    field: str  # "title" or "summary"
    start: int
    end: int
    candidates: tuple[Person, ...]
    by_surname: bool = False  # matched by surname after a full name in the same text

    @property
    def ambiguous(self) -> bool:
        """Whether more than one person remains after preferring whoever was active."""
        return len(self.candidates) > 1

    @property
    def person(self) -> Person | None:
        """The one person meant, unless the mention is ambiguous."""
        return self.candidates[0] if len(self.candidates) == 1 else None


def mention_at(
    texts: Texts, where: Where, people: tuple[Person, ...], by_surname: bool = False
) -> Mention:
    """The mention found at `where`, with a preceding honorific, without a final possessive."""
    field, offset, run, first, end = where
    tokens, _, base = words_of(run)
    if first and tokens[first - 1].rstrip(".") in HONORIFICS:
        first -= 1
    start = offset + len(" ".join(tokens[:first])) + (first > 0)
    stop = offset + len(" ".join(tokens[: end - 1])) + (end > 1) + len(base[end - 1])
    return Mention(texts[field][start:stop], FIELDS[field], start, stop, people, by_surname)


RECENT_HEADLINES = 256  # a feed's worth of headlines, several times over


class Recogniser:
    """The name index of one register, and the scans that use it."""

    def __init__(self, register: Register) -> None:
        self.register = register
        grouped: dict[tuple[str, ...], list[int]] = {}
        for person in register:
            for variant in person.variants:
                grouped.setdefault(name_tokens(variant), []).append(person.id)
        self.names: Names = {}
        for tokens in sorted(grouped, key=lambda t: (-len(t), t)):
            following = self.names.setdefault(tokens[0], {})
            following.setdefault(tokens[1], []).append((tokens[2:], tuple(grouped[tokens])))
        self.first_words = frozenset(self.names)
        particles = {t for tokens in grouped for t in tokens[1:-1] if not t[:1].isupper()}
        self.multi_word_runs, self.runs = run_patterns(particles)
        self.surnames = {p.id: name_tokens(p.family_name) for p in register}
        # The last headlines' mentions: the classifier's people rules and then the headline's
        # actors ask about the same headline on the same day. Not kept for "today", which moves.
        self._recent: dict[tuple[str, str, date], list[Mention]] = {}

    def recognise(self, title: str, summary: str, on: date | None = None) -> list[Mention]:
        """The people named in a headline and its summary, as of `on` (default today)."""
        if on is None:
            return self._recognise(title, summary, None)
        key = (title, summary, on)
        mentions = self._recent.get(key)
        if mentions is None:
            mentions = self._recent[key] = self._recognise(title, summary, on)
            if len(self._recent) > RECENT_HEADLINES:
                # The oldest goes; another thread may be trimming too (then one of us fails).
                with contextlib.suppress(KeyError, RuntimeError, StopIteration):
                    del self._recent[next(iter(self._recent))]
        return list(mentions)

    def _recognise(self, title: str, summary: str, on: date | None) -> list[Mention]:
        texts = (normalise(title), normalise(summary))
        found = [hit for field in (0, 1) for hit in self.full_names(field, texts[field])]
        if not found:
            return []
        day = on or datetime.now(UTC).date()
        full = prefer_named(
            [
                mention_at(texts, where, narrow(ids, self.register, day, peerage))
                for where, ids, peerage in found
            ]
        )
        mentions = full + self.by_surname(full, texts)
        return sorted(mentions, key=lambda m: (m.field != FIELDS[0], m.start))

    def full_names(self, field: int, text: str) -> list[tuple[Where, tuple[int, ...], bool]]:
        """(where, ids, whether a peerage form) of each full name in one field, longest first."""
        runs = self.multi_word_runs.findall(text)  # cheaper than finditer; starts come later
        if not runs or self.first_words.isdisjoint(" ".join(runs).split(" ")):
            return []
        hits: list[tuple[Where, tuple[int, ...], bool]] = []
        starts: list[int] = []
        for k, run in enumerate(runs):
            if self.first_words.isdisjoint(run.split(" ")):
                continue
            _, raw, base = words_of(run)
            i = 0
            while i < len(raw) - 1:
                end, ids = match_at(self.names, raw, base, i) if raw[i] in self.names else (i, ())
                if ids:
                    starts = starts or [m.start() for m in self.multi_word_runs.finditer(text)]
                    hits.append(((field, starts[k], run, i, end), ids, raw[i] in TITLE_WORDS))
                i = max(end, i + 1)
        return hits

    def surname_index(self, full: list[Mention]) -> Surnames:
        """The surnames of everyone the full-name mentions could mean."""
        surnames: Surnames = {}
        for mention in full:
            for person in mention.candidates:
                surname = self.surnames[person.id]
                if surname and surname[0][:1].isupper():
                    surnames.setdefault(surname[0], {}).setdefault(surname, {})[person.id] = person
        return surnames

    def by_surname(self, full: list[Mention], texts: Texts) -> list[Mention]:
        """Surnames alone, outside the full names found, of the people those names could mean."""
        surnames = self.surname_index(full)
        found = []
        for field, text in enumerate(texts):
            taken = [m for m in full if m.field == FIELDS[field]]
            # Most surnames occur only inside the full names already found: nothing to scan.
            if all(text.count(k) == sum(m.text.count(k) for m in taken) for k in surnames):
                continue
            for run in self.runs.finditer(text):
                if not any(key in run.group() for key in surnames):
                    continue
                _, raw, base = words_of(run.group())
                i = 0
                while i < len(raw):
                    end, people = surname_at(surnames, raw, base, i)
                    # "Green" of "Green Party" is not Sarah Green: a surname alone ends its run.
                    if people and (end == len(raw) or not raw[end][:1].isupper()):
                        where = (field, run.start(), run.group(), i, end)
                        mention = mention_at(texts, where, people, by_surname=True)
                        if not any(m.start <= mention.start < m.end for m in taken):
                            found.append(mention)
                    i = max(end, i + 1)
        return found


_RECOGNISERS: weakref.WeakKeyDictionary[Register, Recogniser] = weakref.WeakKeyDictionary()


def recognise(
    title: str, summary: str, register: Register, on: date | None = None
) -> list[Mention]:
    """The people named in a headline and summary, in text order (title first)."""
    recogniser = _RECOGNISERS.get(register)
    if recogniser is None:
        recogniser = _RECOGNISERS[register] = Recogniser(register)
    return recogniser.recognise(title, summary, on)
