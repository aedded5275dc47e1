"""Stage 3b: watchlists — headlines naming a watched person, party or phrase, whatever their
category.

Each destination's `watch` terms become categories of their own, one per term
("watch:angela rayner"): reports naming a term form events under it like any category, and a
destination watching the term hears of them as if subscribed to it, labelled "Watch: <term>".
People are recognised through the register (a surname after the full name, titles,
possessives); parties through their aliases (Tories = Conservative); any other term as a
phrase: whole words, any case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from bot.domain import CategoryInfo, Classification, Headline, Match
from bot.knowledge.parties import alias_pattern, code_of_alias, resolve
from bot.knowledge.recognise import recognise
from bot.knowledge.register import Register
from bot.store import destinations as dest_store
from bot.store.sql import Conn

WATCH_PREFIX = "watch:"
WATCH_EMOJI = "👁️"
WATCH_COLOUR = 0x95A5A6


def watch_category(term: str) -> str:
    """The category a watched term's reports form events under."""
    return WATCH_PREFIX + " ".join(term.split()).casefold()


def is_watch(category: str) -> bool:
    """A watchlist's category rather than one of the rules'."""
    return category.startswith(WATCH_PREFIX)


def event_categories(categories: Iterable[str]) -> frozenset[str]:
    """The categories a report forms events under: the rules' when it has any, else its
    watched terms'."""
    listed = frozenset(categories)
    ruled = frozenset(c for c in listed if not is_watch(c))
    return ruled or listed


@dataclass(frozen=True, slots=True)
class _Term:
    category: str
    shown: str  # as the destination typed it
    phrase: re.Pattern[str]
    people: frozenset[int]  # register ids the term names (two for an ambiguous name)
    party: str | None  # a party code when the term is a party
    surname: re.Pattern[str] | None = None  # a watched person's surname no one else has


class Watchlist:
    """Every destination's watched terms, compiled once; `hits` finds them in a headline."""

    def __init__(self, terms: Iterable[str], register: Register) -> None:
        compiled: dict[str, _Term] = {}
        families: dict[str, int] = {}
        for person in register:
            families[person.family_name] = families.get(person.family_name, 0) + 1
        for term in terms:
            category = watch_category(term)
            if category not in compiled:
                compiled[category] = _compile(term, category, register, families)
        self.terms = tuple(compiled.values())
        self.register = register
        self.people = frozenset().union(*(t.people for t in self.terms))
        self.parties = {t.party for t in self.terms if t.party is not None}
        self.infos = {t.category: _info(t) for t in self.terms}

    def hits(self, headline: Headline) -> tuple[Match, ...]:
        """One match per watched term the headline names: its category and the words."""
        texts = (("title", headline.title), ("summary", headline.summary))
        found: dict[str, Match] = {}
        self._phrases(texts, found)
        if self.parties:
            self._parties(texts, found)
        if self.people and len(found) < len(self.terms):
            self._people(headline, found)
        return tuple(found.values())

    def _phrases(self, texts: tuple[tuple[str, str], ...], found: dict[str, Match]) -> None:
        for term in self.terms:
            for field, text in texts:
                seen = term.phrase.search(text)
                if seen is None and term.surname is not None:
                    seen = term.surname.search(text)
                if seen is not None:
                    found[term.category] = _match(term, field, seen.group(0))
                    break

    def _parties(self, texts: tuple[tuple[str, str], ...], found: dict[str, Match]) -> None:
        for field, text in texts:
            for alias in alias_pattern().finditer(text):
                code = code_of_alias(alias.group(0))
                for term in self.terms:
                    if term.party == code and term.category not in found:
                        found[term.category] = _match(term, field, alias.group(0))

    def _people(self, headline: Headline, found: dict[str, Match]) -> None:
        on = headline.published.date() if headline.published is not None else None
        for mention in recognise(headline.title, headline.summary, self.register, on):
            ids = {p.id for p in mention.candidates}
            for term in self.terms:
                if term.people & ids and term.category not in found:
                    found[term.category] = _match(term, mention.field, mention.text)


_BUILT: dict[tuple[tuple[str, ...], int], Watchlist] = {}


async def current_watchlist(conn: Conn, register: Register) -> Watchlist | None:
    """The watchlist of every active destination (None when no one watches anything), built
    again only when the terms change."""
    terms = await dest_store.watch_terms(conn)
    if not terms:
        return None
    key = (terms, id(register))
    built = _BUILT.get(key)
    if built is None:
        _BUILT.clear()  # one watchlist at a time: the terms changed
        built = _BUILT[key] = Watchlist(terms, register)
    return built


def watched(
    items: Sequence[tuple[Headline, Classification]], watchlist: Watchlist
) -> list[tuple[Headline, Classification]]:
    """The items with each watched term they name added as a category, with its match."""
    marked = []
    for headline, result in items:
        hits = watchlist.hits(headline)
        if not hits:
            marked.append((headline, result))
            continue
        added = tuple(m.category for m in hits if m.category not in result.categories)
        widened = replace(
            result, categories=result.categories + added, matches=result.matches + hits
        )
        marked.append((headline, widened))
    return marked


def _compile(term: str, category: str, register: Register, families: dict[str, int]) -> _Term:
    words = term.split()
    phrase = re.compile(
        r"(?<!\w)" + r"[\s\u00a0]+".join(re.escape(w) for w in words) + r"(?![\w])",
        re.IGNORECASE,
    )
    party = resolve(term)
    people: frozenset[int] = frozenset()
    if party is None:
        mentions = recognise(term, "", register)
        # The whole term must be one name: "Rayner bill" watches a phrase, not Angela Rayner.
        if len(mentions) == 1 and mentions[0].text.casefold() == " ".join(words).casefold():
            people = frozenset(p.id for p in mentions[0].candidates)
    return _Term(
        category, " ".join(words), phrase, people, party, _surname(people, register, families)
    )


def _surname(
    people: frozenset[int], register: Register, families: dict[str, int]
) -> re.Pattern[str] | None:
    # A watch list names people its owner cares about; headlines call them by surname alone
    # ("Starmer at PMQs"). Only a surname no one else in the register has is safe to take,
    # capitalised as written, and not as the first word of a longer name ("Rayner Street").
    if len(people) != 1:
        return None
    family = register[next(iter(people))].family_name
    if not family or families.get(family, 0) != 1:
        return None
    return re.compile(r"(?<![\w.])" + re.escape(family) + r"(?=['’]s\b|(?![\w'’])(?!\s+[A-Z]))")


def _match(term: _Term, field: str, text: str) -> Match:
    return Match(term.category, "watch", field, text, 1.0)


def _info(term: _Term) -> CategoryInfo:
    return CategoryInfo(
        term.category,
        f"Watch: {term.shown}",
        WATCH_EMOJI,
        WATCH_COLOUR,
        f"Headlines naming {term.shown}",
    )
