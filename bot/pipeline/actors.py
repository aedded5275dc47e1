"""Stage 4a: a categorised headline → its actors: who, which inquiry or body, which other names.

What identifies a happening is who and what it is about, not how a headline words it: a dozen
reports of one Privileges Committee report share the committee and the people, not their words.
Pure: text and a day in, Actors out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import NamedTuple

from bot.domain import Classification, Headline, Signature, pickled_by_fields
from bot.knowledge.recognise import Mention, recognise
from bot.knowledge.register import Register
from bot.pipeline.classify import shared_register
from bot.pipeline.stories import signature

# The post whose holder is in too many stories to tell one happening from another.
LEADER_RANKS = frozenset({"PM"})


class _CaseBlind:
    """A case-blind regex, searched as IGNORECASE in any text, or as written in lower-cased
    text, several times faster (the engine can skip ahead to its literal letters)."""

    __slots__ = ("_anycase", "_lowered", "source")

    def __init__(self, source: str) -> None:
        # As written, it matches lower-cased text as IGNORECASE matches any only if its own
        # letters are all lower-case (escapes such as \b and \s aside).
        if re.search(r"(?<!\\)[A-Z]", source):
            raise ValueError(f"a case-blind regex is written in lower case: {source}")
        self.source = source
        # Each form compiled when first searched: most processes need only one, and compiling
        # these on import delayed every `poll`.
        self._anycase: re.Pattern[str] | None = None
        self._lowered: re.Pattern[str] | None = None

    def on(self, subject: _Subject) -> re.Pattern[str]:
        """The form to search `subject` with."""
        if subject.lowered:
            if self._lowered is None:
                self._lowered = re.compile(self.source)
            return self._lowered
        if self._anycase is None:
            self._anycase = re.compile(self.source, re.IGNORECASE)
        return self._anycase


class _Subject(NamedTuple):
    """A text as searched: lower-cased when that keeps every character where it was."""

    text: str
    lowered: bool


# Characters that IGNORECASE matches to an ASCII letter but that lower() leaves alone.
_FOLDED_ELSEWHERE = ("\u017f", "\u0131")  # long s, dotless i


def _subject(text: str) -> _Subject:
    """`text` lower-cased if every character then stays at its offset (a few, such as "İ",
    lower to two) and is matched as IGNORECASE would; else `text` as it is."""
    lowered = text.lower()
    if len(lowered) == len(text) and not any(c in text for c in _FOLDED_ELSEWHERE):
        return _Subject(lowered, True)
    return _Subject(text, False)


# Nouns that name an investigating body or a public inquiry, and the words before them that
# say which one ("Covid inquiry", "Privileges Committee", "standards commissioner").
_TOPICAL = "inquiry|inquiries|scandal"
_INVESTIGATOR = (
    "committee|commissioner|watchdog|investigation|investigations|probe|adviser|panel|tribunal"
)
_BODY = _CaseBlind(rf"((?:[\w'’-]+\s+){{0,3}})({_TOPICAL}|{_INVESTIGATOR})\b")
_BODY_INTO = _CaseBlind(r"\b(inquiry|investigation|probe)\s+into\s+((?:[\w'’-]+\s*){1,3})")
_INVESTIGATOR_WORDS = frozenset(_INVESTIGATOR.split("|"))
# Every _BODY match holds one of these nouns: where the first one is bounds where a match can
# start, so the costly pattern is tried only near the nouns, never along the whole text.
_NOUN = _CaseBlind(rf"{_TOPICAL}|{_INVESTIGATOR}")
_WORDS_BEFORE = 3  # as many words as _BODY takes before its noun
_STOPS = frozenset(chr(c) for c in range(128) if not (chr(c).isalnum() or chr(c) in "_'-"))
# Words that do not say which body: articles, adjectives of any report, institutional filler.
_FILLER = frozenset(
    """
    a an the of into on to for in and or its his her their our this that these those which
    whose public independent official final interim full key new latest long-awaited damning
    major first second third own separate further formal fresh special national statutory
    cross-party select parliamentary government cabinet office party house parliament
    parliament's mps mp its report reports told says said say tells after over about amid as
    at by from with inquiry inquiries committee commissioner watchdog investigation probe
    adviser panel tribunal scandal ethics standards's will would could should can may might
    must to launch launches launched open opens opened face faces facing call calls called
    """.split()  # noqa: SIM905 - a word list reads best as words
)
# Parliaments whose own standards bodies and inquiries are not Westminster's.
_JURISDICTIONS = (
    ("scotland", _CaseBlind(r"\b(holyrood|msps?|scottish parliament)\b")),
    ("wales", _CaseBlind(r"\b(senedd|welsh parliament|welsh assembly|welsh government)\b")),
    ("northern ireland", _CaseBlind(r"\b(stormont|mlas?|northern ireland assembly)\b")),
)
# Publishers and their programmes are named in reports of every kind of event.
_NOT_ACTORS = frozenset(
    """
    bbc guardian telegraph times sky itv reuters pa independent observer mail express mirror
    sun ft economist spectator politico newsnight today radio channel news
    """.split()  # noqa: SIM905 - a word list reads best as words
)

# What a title announces beyond the event itself: news in its own right when it follows it.
DEVELOPMENTS: tuple[tuple[str, _CaseBlind], ...] = (
    (
        "resignation",
        _CaseBlind(
            r"\b(resign(?:s|ed|ation)?|quits?|quitting|steps? down|stepping down|stands? down|"
            r"standing down)\b"
        ),
    ),
    (
        "vote result",
        _CaseBlind(
            r"\b(wins?|won|loses?|lost|survives?|survived|defeated|backs?|backed|rejects?|"
            r"rejected|passes|passed)\b[^.:;]{0,60}\b(votes?|ballot|motion)\b|"
            r"\b(votes?|ballot|motion)\b[^.:;]{0,40}\b(won|lost|survived|passed|defeated|"
            r"backed|rejected)\b"
        ),
    ),
    (
        "sanction",
        _CaseBlind(
            r"\b(suspended|suspension|sacked|sacks|fired|fined|expelled|stripped of|"
            r"recall petition|barred|whip (?:removed|withdrawn|restored))\b"
        ),
    ),
    (
        "findings",
        _CaseBlind(
            r"\b(inquiry|committee|report|commissioner|watchdog|investigation|probe|adviser|"
            r"panel)\b[^.:;]{0,50}\b(finds|found|rules|ruled|concludes|concluded|cleared|"
            r"clears)\b|\b(finds|rules|concludes|clears),?\s+(?:the\s+)?(?:\w+\s+){0,2}"
            r"(inquiry|committee|report|commissioner|watchdog|investigation|probe|adviser|panel)"
            r"\b|\bsays\s+(?:the\s+)?(inquiry|report|committee|watchdog|commissioner)\b"
        ),
    ),
)


def _any_of(patterns: Iterable[_CaseBlind]) -> _CaseBlind:
    """One pattern that matches a text wherever one of these does: most texts match none, and
    one search is cheaper than each in turn."""
    return _CaseBlind("|".join(f"(?:{p.source})" for p in patterns))


_ANY_JURISDICTION = _any_of(pattern for _, pattern in _JURISDICTIONS)
_ANY_DEVELOPMENT = _any_of(pattern for _, pattern in DEVELOPMENTS)


def prepare() -> None:
    """Compile now the patterns that lower-cased headlines (nearly all) are searched with."""
    lowered = _Subject("", True)
    for blind in (_BODY, _BODY_INTO, _NOUN, _ANY_JURISDICTION, _ANY_DEVELOPMENT):
        blind.on(lowered)
    for _, blind in (*_JURISDICTIONS, *DEVELOPMENTS):
        blind.on(lowered)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Body:
    """A named inquiry or investigating body: the words that say which, and where it sits."""

    words: frozenset[str]
    investigator: bool  # investigates people (a committee, a commissioner), not a topic


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Actors:
    """Who and what a headline names: what decides which event it reports."""

    people: frozenset[int]  # register people, the leader of the day left out
    principal: frozenset[int]  # of those, the ones the title names
    bodies: frozenset[Body]
    names: frozenset[str]  # other proper names, folded
    leads: frozenset[str]  # capitalised words opening a clause: names only if the other has them
    jurisdiction: str  # "" for Westminster and the UK, else the devolved parliament's nation
    kinds: frozenset[str]  # developments the title announces
    signature: Signature
    who: tuple[tuple[int, str], ...] = ()  # (person id, name) for explaining a join

    @property
    def anonymous(self) -> bool:
        """Whether it names nobody and nothing an event could be told apart by."""
        return not (self.people or self.bodies or self.names)

    def name_of(self, person_id: int) -> str:
        """A named person's display name (for `why` and the logs)."""
        return next((name for pid, name in self.who if pid == person_id), str(person_id))


def actors_of(title: str, summary: str, register: Register, on: date) -> Actors:
    """The actors of one headline, judged as of the day it was published."""
    mentions = recognise(title, summary, register, on)
    people, principal, who = _people(mentions, on)
    text = f"{title}\n{summary}"
    title_sig = signature(title)
    summary_sig = signature(summary) if summary else None
    names = set(title_sig.names)
    leads = set(title_sig.leads)
    if summary_sig is not None:
        names |= summary_sig.names
        leads |= summary_sig.leads
    # Register people are compared as people; the leader of the day not at all.
    named = {_fold(w.lower().removesuffix("'s")) for m in mentions for w in m.text.split()}
    return Actors(
        people=people,
        principal=principal,
        bodies=bodies_in(text),
        names=frozenset(names - _NOT_ACTORS - named),
        leads=frozenset(leads - names - _NOT_ACTORS - named),
        jurisdiction=jurisdiction_of(text),
        kinds=developments_in(title),
        signature=title_sig,
        who=who,
    )


def headline_actors(headline: Headline, _result: Classification) -> Actors:
    """The actors of a categorised headline, by the packaged register, as of its day."""
    day = (headline.published or datetime.now(UTC)).date()
    return actors_of(headline.title, headline.summary, shared_register(), day)


def _people(
    mentions: list[Mention], on: date
) -> tuple[frozenset[int], frozenset[int], tuple[tuple[int, str], ...]]:
    people: set[int] = set()
    principal: set[int] = set()
    who: dict[int, str] = {}
    for mention in mentions:
        for person in mention.candidates:
            if any(post.rank in LEADER_RANKS for post in person.posts_on(on)):
                continue
            people.add(person.id)
            who.setdefault(person.id, person.name)
            if mention.field == "title":
                principal.add(person.id)
    return frozenset(people), frozenset(principal), tuple(who.items())


def bodies_in(text: str) -> frozenset[Body]:
    """The inquiries and investigating bodies a text names, by the words that say which."""
    found: set[Body] = set()
    subject = _subject(text)  # offsets in it are offsets in `text`, whose case the words keep
    for match in _body_matches(subject):
        words = _body_words(text[match.start(1) : match.end(1)].split(), backwards=True)
        if words:
            found.add(Body(words, match.group(2).lower() in _INVESTIGATOR_WORDS))
    for match in _BODY_INTO.on(subject).finditer(subject.text):
        words = _body_words(text[match.start(2) : match.end(2)].split(), backwards=False)
        if words:
            found.add(Body(words, match.group(1).lower() != "inquiry"))
    return frozenset(found)


def _body_matches(subject: _Subject) -> Iterator[re.Match[str]]:
    # The matches _BODY.finditer(text) gives, searching from a few words before each noun.
    text, noun_at, body = subject.text, _NOUN.on(subject), _BODY.on(subject)
    pos = 0
    while (noun := noun_at.search(text, pos)) is not None:
        match = body.search(text, max(pos, _earliest_start(text, noun.start())))
        if match is None:
            return
        yield match
        pos = match.end()


def _earliest_start(text: str, noun: int) -> int:
    """Where the first match ending at or after `noun` can start: _BODY's words before its
    noun are word characters and spaces, at most _WORDS_BEFORE runs of word characters."""
    at, runs, in_word = noun, 0, False
    while at > 0:
        char = text[at - 1]
        if char.isspace():
            in_word = False
        elif char in _STOPS:
            break
        elif not in_word:
            # Any other character is taken for a word character: the bound only gets earlier.
            runs, in_word = runs + 1, True
            if runs > _WORDS_BEFORE:
                break
        at -= 1
    return at


def _body_words(words: list[str], *, backwards: bool) -> frozenset[str]:
    # Walk away from the noun ("inquiry") and keep words until one that cannot name a body.
    # A capitalised name ("Covid inquiry") ends at the first lower-case word ("rejects Covid
    # inquiry"); a lower-case one ("infected blood inquiry") takes up to two words.
    kept: list[str] = []
    capitalised: bool | None = None
    for raw in reversed(words) if backwards else words:
        bare = raw.strip("'’-\"“”‘")
        word = _fold(bare.lower().removesuffix("'s").removesuffix("’s"))
        if not word or word in _FILLER or (any(c.isdigit() for c in word) and not word.isdigit()):
            break
        upper = bare[:1].isupper() or word.isdigit()
        if capitalised is None:
            capitalised = upper
        elif capitalised and not upper:
            break
        kept.append(word)
        if len(kept) == 2:
            break
    return frozenset(kept)


def jurisdiction_of(text: str) -> str:
    """Which devolved parliament a text is about ("" for Westminster or none named)."""
    subject = _subject(text)
    if not _ANY_JURISDICTION.on(subject).search(subject.text):
        return ""
    return next(
        (nation for nation, pattern in _JURISDICTIONS if pattern.on(subject).search(subject.text)),
        "",
    )


def developments_in(title: str) -> frozenset[str]:
    """The developments a title announces: a resignation, a vote's result, a sanction, findings."""
    subject = _subject(title)
    if not _ANY_DEVELOPMENT.on(subject).search(subject.text):
        return frozenset()
    return frozenset(
        kind for kind, pattern in DEVELOPMENTS if pattern.on(subject).search(subject.text)
    )


def _fold(word: str) -> str:
    if word.isascii():
        return word  # nothing to decompose
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
