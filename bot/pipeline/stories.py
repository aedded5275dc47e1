"""Wording: whether two headlines say the same thing (same people doing the same thing).

Events (bot.pipeline.events) use it for reports that name no one the register or the body
names know.

Short headlines defeat any single fuzzy-match threshold (FEEDS.md), so a match needs three things:
the same named people, the same event words, and no disagreement on numbers or event verbs.
"""

from __future__ import annotations

import re
import unicodedata

from bot.domain import Signature

# Wire and live-blog prefixes that say nothing about the event.
_PREFIX = re.compile(
    r"^\s*(?:(?:update|updated)\s*\d*\s*[-:]|live\s*[:\-–—]|breaking\s*[:\-–—]|watch\s*[:\-–—]|"
    r"exclusive\s*[:\-–—]|analysis\s*[:\-–—]|opinion\s*[:\-–—]|video\s*[:\-–—])\s*",
    re.IGNORECASE,
)
_WORD = re.compile(r"[0-9]+(?:[.,][0-9]+)*%?|[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Capitalised words that are not names of people or places: parties, offices, institutions.
_NOT_NAMES = _words(
    """
    a an the and or but of in on at to for from by with as after before over into is are was
    were be been has have had it its this that these those he she they we you i his her their
    our my what who why how when where which will would could should can may might must not no
    yes tory tories conservative conservatives labour lib dem dems liberal democrat democrats
    snp reform green greens plaid cymru dup sinn fein alba ukip independent independents party
    mp mps msp msps ms mla mlas peer peers lord lady sir dame mr mrs miss dr minister ministers
    prime pm chancellor secretary home foreign shadow cabinet government opposition leader
    commons house lords parliament westminster downing street number no10 uk britain british
    england scotland scottish wales welsh ireland northern irish london pmqs pmq question
    questions committee inquiry report vote votes confidence letters letter live latest update
    breaking exclusive analysis watch video opinion politics news covid coronavirus brexit nhs
    partygate budget election by byelection general local monday tuesday wednesday thursday
    friday saturday sunday today tonight yesterday week january february march april may june
    july august september october november december new first second third more says said say
    told tells could
    """
)

# Function words and filler: ignored when comparing what a headline says.
_STOP = _words(
    """
    a an the and or but of in on at to for from by with as after before over into onto is are
    was were be been being has have had it its this that these those he she they we you i his
    her their our my me him them us what who why how when where which will would could should
    can may might must not no yes so than then there here just also about amid against says
    said say told tells tell new latest live update breaking exclusive analysis watch video
    opinion news politics blow major huge big today tonight yesterday now why how what
    """
)

# Different surface words for the same event, folded together before comparing.
_SYNONYMS = {
    "defects": "defect",
    "defected": "defect",
    "defecting": "defect",
    "defection": "defect",
    "defections": "defect",
    "defector": "defect",
    "quits": "defect",
    "quit": "defect",
    "joins": "defect",
    "joined": "defect",
    "join": "defect",
    "switches": "defect",
    "crosses": "defect",
    "crossed": "defect",
    "tories": "tory",
    "conservative": "tory",
    "conservatives": "tory",
    "mps": "mp",
    "letters": "letter",
    "votes": "vote",
    "resigns": "resign",
    "resigned": "resign",
    "resignation": "resign",
    "quitting": "defect",
    "wins": "win",
    "won": "win",
    "survives": "win",
    "survived": "win",
    "loses": "lose",
    "lost": "lose",
    "faces": "face",
    "facing": "face",
    "triggers": "trigger",
    "triggered": "trigger",
    "calls": "call",
    "called": "call",
    "publishes": "publish",
    "published": "publish",
    "launches": "launch",
    "launched": "launch",
    "fined": "fine",
    "fines": "fine",
    "cleared": "clear",
    "clears": "clear",
    "suspended": "suspend",
    "suspends": "suspend",
}

# Verbs that name what happened; two headlines naming different ones are different events.
_EVENT_VERBS = frozenset(
    {
        "defect",
        "resign",
        "win",
        "lose",
        "face",
        "trigger",
        "call",
        "publish",
        "launch",
        "fine",
        "clear",
        "suspend",
    }
)
_EVENT_CLASHES = (
    {"win"},
    {"lose"},
    {"face", "trigger", "call"},
    {"publish", "launch"},
    {"fine"},
    {"clear"},
    {"resign"},
    {"defect"},
    {"suspend"},
)

_PARTIES = frozenset(
    {
        "tory",
        "labour",
        "lib",
        "dem",
        "dems",
        "liberal",
        "democrat",
        "democrats",
        "snp",
        "reform",
        "green",
        "greens",
        "plaid",
        "dup",
        "alba",
        "ukip",
        "independent",
    }
)
_YEAR = re.compile(r"^(?:19|20)\d\d$")
# Marks between two words that make the second open a clause.
_CLAUSE_MARKS = frozenset(":.?!|–—-\"'‘“")

MIN_CONTENT_OVERLAP = 0.6
# With no named people to anchor on, ask for more of the wording to agree, in both directions.
MIN_UNNAMED_JACCARD = 0.6


def signature(title: str) -> Signature:
    """Reduce a headline title to the parts that identify its event."""
    text = _PREFIX.sub("", unicodedata.normalize("NFKC", title))
    names: set[str] = set()
    content: set[str] = set()
    numbers: set[str] = set()
    leads: set[str] = set()
    words = list(_WORD.finditer(text))
    kinds = _KINDS
    for index, match in enumerate(words):
        word = match.group()
        kind, value = kinds.get(word) or _kind_of(word)
        if kind == _CONTENT:
            content.add(value)
        elif kind == _NUMBER:
            numbers.add(value)
        elif kind == _CAPITALISED:
            if _opens_clause(text, words, index) and not _next_is_name(words, index):
                leads.add(value)
            else:
                names.add(value)
    events = frozenset(content & _EVENT_VERBS)
    return Signature(
        frozenset(names), frozenset(content), frozenset(numbers), events, frozenset(leads)
    )


# What a word is on its own, whatever surrounds it: a number, a capitalised word that may be a
# name (or a lead, depending on where it stands), a word to ignore, or a content word.
_NUMBER, _CAPITALISED, _IGNORED, _CONTENT = range(4)
# Each word's kind, worked out once: a few thousand words make up most headlines, and signature
# runs for every categorised headline and its summary (most of the time events spend reading).
_KINDS: dict[str, tuple[int, str]] = {}
_KINDS_KEPT = 50_000  # bound on the words remembered (a long-running process sees many)


def _kind_of(word: str) -> tuple[int, str]:
    kind = _word_kind(word.replace("’", "'"))
    if len(_KINDS) >= _KINDS_KEPT:
        _KINDS.clear()
    _KINDS[word] = kind
    return kind


def _word_kind(word: str) -> tuple[int, str]:
    if word[0].isdigit() and not _YEAR.match(word):
        return _NUMBER, word.rstrip("%").replace(",", "")
    lower = word.lower().removesuffix("'s")
    if word[0].isupper() and lower not in _NOT_NAMES and lower not in _SYNONYMS:
        return _CAPITALISED, _fold(lower)
    if lower in _STOP or (len(lower) < 2 and not lower.isdigit()):
        return _IGNORED, ""
    return _CONTENT, _SYNONYMS.get(lower, lower)


def _opens_clause(text: str, words: list[re.Match[str]], index: int) -> bool:
    if index == 0:
        return True
    between = text[words[index - 1].end() : words[index].start()]
    return between != " " and not _CLAUSE_MARKS.isdisjoint(between)


def _next_is_name(words: list[re.Match[str]], index: int) -> bool:
    if index + 1 >= len(words):
        return False
    following = words[index + 1].group()
    return following[0].isupper() and following.lower() not in _NOT_NAMES


def _names(own: Signature, other: Signature) -> frozenset[str]:
    return own.names | (own.leads & other.names)


def same_story(a: Signature, b: Signature) -> bool:  # noqa: PLR0911 - one return per rule
    """True when two headlines report the same event: one story, one alert."""
    names_a, names_b = _names(a, b), _names(b, a)
    content_a = a.content | (a.leads - names_a)
    content_b = b.content | (b.leads - names_b)
    if names_a or names_b:
        shared = names_a & names_b
        # Both name people but none in common: different people, different stories.
        if not shared:
            return False
        # One name in common is enough only when one headline's names contain the other's
        # ("Wakeford" vs "Christian Wakeford ... Boris Johnson"); otherwise ask for two.
        if len(shared) < 2 and not (names_a <= names_b or names_b <= names_a):
            return False
    if a.numbers and b.numbers and not (a.numbers & b.numbers):
        return False
    if _events_clash(a.events, b.events):
        return False
    if not (names_a & names_b):
        # Nobody named: "defects to Labour" and "defects to Reform" share most words but not
        # the event, so parties must agree and the wording must overlap both ways.
        if (content_a & _PARTIES) != (content_b & _PARTIES):
            return False
        union = content_a | content_b
        return bool(union) and len(content_a & content_b) / len(union) >= MIN_UNNAMED_JACCARD
    smaller = min(len(content_a), len(content_b))
    if smaller == 0:
        return content_a == content_b
    overlap = len(content_a & content_b) / smaller
    return overlap >= MIN_CONTENT_OVERLAP


def _events_clash(a: frozenset[str], b: frozenset[str]) -> bool:
    if not a or not b or a & b:
        return False
    group_a = {i for i, group in enumerate(_EVENT_CLASHES) if a & group}
    group_b = {i for i, group in enumerate(_EVENT_CLASHES) if b & group}
    return not (group_a & group_b)


def _fold(word: str) -> str:
    # "Johnson's" and "Johnsons" are the same name; accents do not make a different person.
    if word.isascii():
        return word  # nothing to decompose
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
