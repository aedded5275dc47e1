"""Regex building blocks for the category rules, and the prefilter that keeps them fast.

rules.py turns phrases into regexes with these helpers; classify.py normalises text with
`lower` and asks a `Prefilter` which regexes are worth searching in it.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Iterable, Sequence
from itertools import takewhile
from typing import Any

# One-for-one replacements only, so a match's offsets in the folded text are offsets in the
# original too and the evidence can quote the headline exactly as it was written.
_FOLD = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u02bc\u0060\u00b4", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
    **dict.fromkeys("\u00a0\u2007\u2009\u200a\u202f\u205f\u3000", " "),
    "\u017f": "s",  # long s, which case-insensitive regexes would match as "s"
}
# A regex finds the few characters to fold: str.translate looks up every character of a
# non-ASCII text in a dict, which costs several times as much.
_FOLDED = re.compile("[" + re.escape("".join(_FOLD)) + "]")
_WORDS = re.compile(r"\w+")
_LETTERS = re.compile(r"[a-z0-9]+")


def lower(text: str) -> str:
    """Folded, lower-cased `text` with every character at its original offset."""
    if text.isascii():  # most headlines: nothing to fold, and lower() keeps every offset
        return text.lower()
    folded = _FOLDED.sub(lambda hit: _FOLD[hit.group()], text)
    lowered = folded.lower()
    if len(lowered) != len(folded):  # a few characters, such as "İ", lower to two
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in folded)
    return lowered


def lead(regex: str) -> str:
    """The plain letters a regex starts with (not counting one made optional or repeated)."""
    match = _LETTERS.match(regex)
    letters = match.group() if match else ""
    if letters and regex[len(letters) : len(letters) + 1] in ("*", "+", "?", "{"):
        letters = letters[:-1]
    return letters


def at_word_start(regex: str, end: str) -> str:
    r"""`regex` + `end`, matching only at the start of a word, written to search fast.

    "defect" becomes `defect(?<!\w.{6})`: the check that no letter comes before goes after the
    leading letters, so the regex starts with plain letters, which the engine finds quickly,
    instead of a lookbehind that it would have to try at every offset of the text.
    """
    letters = lead(regex)
    if not letters:
        return r"(?<!\w)" + regex + end
    return f"{letters}(?<!\\w.{{{len(letters)}}}){regex[len(letters) :]}{end}"


def compile_regex(source: str) -> re.Pattern[str]:
    """Compile for lower-cased text: IGNORECASE (much slower) only if the regex has capitals."""
    return re.compile(_faster(source), re.IGNORECASE if _has_capitals(source) else 0)


def _faster(source: str) -> str:
    r"""`source`, or the same regex written to search faster: `\b(?:tv|debat\w*)…` becomes
    `(?:tv(?<!\w.{2})|debat(?<!\w.{5})\w*)…`, as at_word_start writes a phrase.

    Starting with `\b`, the regex is tried at every offset of the text; starting with letters,
    only where one of its first letters is.
    """
    if not source.startswith(r"\b(?:"):
        return source
    branches, end = _branches(source, 2)
    if not branches or source[end : end + 1] in ("?", "*", "+", "{"):
        return source
    if not all(lead(branch) for branch in branches):  # \b means more before a non-letter
        return source
    return "(?:" + "|".join(map(_checked_start, branches)) + ")" + source[end:]


def _checked_start(branch: str) -> str:
    """A branch that starts with letters, checked to start a word (see at_word_start)."""
    letters = lead(branch)
    checked = branch[len(letters) :].startswith(f"(?<!\\w.{{{len(letters)}}})")
    return branch if checked else at_word_start(branch, "")


def _branches(source: str, start: int) -> tuple[list[str], int]:
    """The top-level alternatives of the `(?:…)` group at `start`, and the offset after it."""
    branches: list[str] = []
    begin, depth, in_class, i = start + 3, 0, False, start
    while i < len(source):
        char = source[i]
        if char == "\\":
            i += 1  # the escaped character is no syntax
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            i += 1 if source[i + 1 : i + 2] == "^" else 0
            i += 1 if source[i + 1 : i + 2] == "]" else 0  # "]" first in a set is literal
        elif char in "()":
            depth += 1 if char == "(" else -1
            if depth == 0:
                return [*branches, source[begin:i]], i + 1
        elif char == "|" and depth == 1:
            branches.append(source[begin:i])
            begin = i + 1
        i += 1
    return [], len(source)


def _has_capitals(source: str) -> bool:
    without_escapes = re.sub(r"\\.", "", source)
    return without_escapes != without_escapes.lower()


def literal(chunk: str) -> str:
    """Escape literal phrase text; `*` = any word ending, apostrophes optional."""
    out = []
    for char in chunk:
        if char == "*":
            out.append(r"\w*")
        elif char == "'":
            out.append("'?")
        else:
            out.append(re.escape(char))
    return "".join(out)


class Prefilter:
    """Which rule regexes can match a text, found with one scan instead of a search each.

    A regex needs, say, a word starting "defect" (see _anchors). One trie-shaped regex finds
    the longest such string at every word start of a text, and only the regexes whose strings
    occur are searched. Regexes whose needs are unknown are always searched, so the prefilter
    never changes a result, only the speed. Regexes may be put in groups (0, 1, …), so that
    those of a group are listed only if and when they are wanted.
    """

    def __init__(self, units: list[str | None], groups: Sequence[int] = (), count: int = 1) -> None:
        """`units`: regex sources (None: never search); `groups`: each one's group (default 0)
        of `count` groups."""
        group_of = list(groups) or [0] * len(units)
        always: list[set[int]] = [set() for _ in range(count)]
        unlocks: dict[str, set[int]] = {}
        for index, unit in enumerate(units):
            anchors = _anchors(unit) if unit else frozenset()
            if anchors is None:
                always[group_of[index]].add(index)
            for anchor in anchors or ():
                unlocks.setdefault(anchor, set()).add(index)
        self.always = tuple(frozenset(group) for group in always)
        # The scan reports the longest string at each word start; the ones it starts with were
        # at that word start too. (One elsewhere inside it is at no word start: no need met.)
        # Per group, each reported string that unlocks some regex of the group, and which.
        self.reach: tuple[dict[str, frozenset[int]], ...] = tuple({} for _ in range(count))
        for name in unlocks:
            reached = [i for n in range(1, len(name) + 1) for i in unlocks.get(name[:n], ())]
            for group, reach in enumerate(self.reach):
                if mine := frozenset(i for i in reached if group_of[i] == group):
                    reach[name] = mine
        self.keys = tuple(frozenset(reach) for reach in self.reach)
        self.scan = re.compile(rf"\b({_trie(sorted(unlocks))})") if unlocks else None

    def found(self, lowered: str) -> set[str]:
        """What the scan finds in `lowered`, for group()."""
        return set(self.scan.findall(lowered)) if self.scan is not None else set()

    def group(self, found: set[str], *groups: int) -> set[int]:
        """Indices of the regexes of `groups` worth running on the text that gave `found`."""
        units: set[int] = set()
        for group in groups:
            units |= self.always[group]
            reach = self.reach[group]
            for longest in self.keys[group].intersection(found):
                units |= reach[longest]
        return units

    def candidates(self, lowered: str) -> set[int]:
        """Indices of the regexes of every group worth running on `lowered`."""
        return self.group(self.found(lowered), *range(len(self.always)))


def trie(words: Iterable[str]) -> dict[str, Any]:
    """`words` as nested dicts, one level a character; "" marks where a word may end."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return root


def _trie(words: list[str]) -> str:
    """A regex matching any of `words`, shaped as a trie so each character is tried once."""
    root = trie(words)

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
        return f"(?:{body})?" if "" in node else body

    return emit(root)


@functools.lru_cache(maxsize=4096)  # each field's prefilter asks about the same regexes
def _anchors(pattern: str) -> frozenset[str] | None:
    """Lower-case word starts of which every match of `pattern` contains one; None if unknown.

    For each top-level alternative, the most selective part it requires: a literal string that
    starts a word (or a set of them, from an alternation), longest shortest string first.
    """
    parts = _parts(pattern)
    if parts is None:
        return None
    best = [max(branch, key=_rank, default=None) for branch in parts]
    return frozenset().union(*best) if all(best) else None  # type: ignore[arg-type]


@functools.lru_cache(maxsize=4096)
def required(pattern: str) -> tuple[str, ...]:
    """Other strings every match of `pattern` contains besides its anchor, most selective first;
    () when there are none or they are unknown.

    The prefilter finds a regex's anchor; these let most searches that would fail be skipped
    with an `in` test or two, which cost a fraction of a search. Of a required alternation
    ("wins|won|survives") only the start its options share counts, if any.
    """
    branches = _parts(pattern)
    if branches is None or len(branches) != 1:
        return ()
    parts = branches[0]
    anchor = max(parts, key=_rank, default=None)
    shared = {_shared_start(part) for part in parts if part != anchor}
    return tuple(sorted((s for s in shared if len(s) >= 2), key=len, reverse=True))


@functools.lru_cache(maxsize=4096)  # _anchors and required() both ask, for each field
def _parts(pattern: str) -> list[list[frozenset[str]]] | None:
    """For each top-level alternative of `pattern`, the parts it requires (see _needs); None
    when unknown."""
    parsed = _alternatives(pattern)
    if parsed is None:
        return None
    c, branches = parsed
    try:
        return [_needs(branch, c)[0] for branch in branches]
    except Exception:  # a surprise from the private parser's structures: "unknown"
        return None


def _shared_start(strings: frozenset[str]) -> str:
    """The longest string that all of `strings` start with."""
    first, last = min(strings), max(strings)  # the others lie between them in sorted order
    size = next((i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), None)
    return first if size is None else first[:size]


def _alternatives(pattern: str) -> tuple[Any, list[list[Any]]] | None:
    """(the regex constants module, the pattern's top-level alternatives as parsed items); None
    when the pattern matches case-insensitively or cannot be analysed."""
    # IGNORECASE lets "i" match "ı", which lower-casing the text does not turn into "i".
    if _has_capitals(pattern):
        return None
    try:
        # The stdlib's own regex parser gives the pattern's structure. It is private, so any
        # surprise just means "unknown": the regex is then always searched.
        c: Any = importlib.import_module("re._constants")
        items = list(importlib.import_module("re._parser").parse(pattern))
        *head, last = items
        split = last[0] is c.BRANCH and all(op in (c.AT, c.ASSERT_NOT) for op, _ in head)
        return c, [[*head, *b] for b in last[1][1]] if split else [items]
    except Exception:
        return None


def _needs(items: list[Any], c: Any, at_word: bool = False) -> tuple[list[Any], bool]:
    """Parts a sequence of regex items requires (sets of word starts, one of each must occur),
    and whether a word character after the sequence would start a word. `at_word`: the same,
    before the sequence."""
    parts: list[frozenset[str]] = []
    repeats = (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None))
    for i, (op, av) in enumerate(items):
        if op is c.LITERAL and (i == 0 or items[i - 1][0] is not c.LITERAL):
            run = len(list(takewhile(lambda item: item[0] is c.LITERAL, items[i:])))
            # `defect(?<!\w.{6})` is how rules.py writes "defect, at the start of a word".
            if at_word or (i + run < len(items) and _start_check(items[i + run], c) == run):
                words = [_WORDS.match(s) for s in _prefixes(items[i:], c)]
                if all(words) and min(len(w.group()) for w in words if w) >= 2:
                    parts.append(frozenset(w.group() for w in words if w))
        if op is c.SUBPATTERN:
            found, at_word = _needs(list(av[-1]), c, at_word)
            parts += found
        elif op is c.BRANCH:
            results = [_needs(list(branch), c, at_word) for branch in av[1]]
            best = [max(found, key=_rank, default=None) for found, _ in results]
            if all(best):
                parts.append(frozenset().union(*(b for b in best if b)))
            at_word = all(after for _, after in results)
        elif op in repeats:
            found, after = _needs(list(av[2]), c, at_word)
            parts += found if av[0] >= 1 else []
            at_word = after and (av[0] >= 1 or at_word)
        elif op in (c.AT, c.ASSERT, c.ASSERT_NOT):  # consume nothing; two of them mark a start
            lookbehind = op is c.ASSERT_NOT and av[0] < 0 and list(av[1]) == [_WORD_CLASS(c)]
            at_word = at_word or lookbehind or (op is c.AT and av is c.AT_BOUNDARY)
        else:
            at_word = (op is c.LITERAL and not _WORDS.match(chr(av))) or (
                op is c.IN and all(_not_word(kind, value, c) for kind, value in av)
            )
    return parts, at_word


def _not_word(kind: Any, value: Any, c: Any) -> bool:
    """Whether a member of a regex character class matches only non-word characters."""
    if kind is c.LITERAL:
        return not _WORDS.match(chr(value))
    return kind is c.CATEGORY and value in (c.CATEGORY_SPACE, c.CATEGORY_NOT_WORD)


def _WORD_CLASS(c: Any) -> tuple[Any, Any]:  # a constant, but needs the module
    return (c.IN, [(c.CATEGORY, c.CATEGORY_WORD)])


def _rank(part: frozenset[str]) -> tuple[int, int]:
    """Most selective first: longer shortest string, then fewer strings."""
    return min(len(s) for s in part), -len(part)


def _start_check(item: Any, c: Any) -> int:
    r"""n if a parsed regex item is `(?<!\w.{n})`, else 0."""
    op, av = item
    if op is not c.ASSERT_NOT or av[0] >= 0:
        return 0
    body = list(av[1])
    if len(body) != 2 or body[0] != _WORD_CLASS(c):
        return 0
    kind, value = body[1]
    if kind is c.ANY:
        return 1
    if kind is c.MAX_REPEAT and value[0] == value[1] and list(value[2]) == [(c.ANY, None)]:
        return int(value[0])
    return 0


def _prefixes(items: list[Any], c: Any) -> frozenset[str]:
    """The literal strings a match of `items` starts with."""
    out = frozenset({""})
    for op, av in items:
        if op is c.LITERAL:
            out = frozenset(s + chr(av).lower() for s in out)
        elif op is c.BRANCH and len(out) * len(av[1]) <= 256:
            grown = [frozenset(s + t for s in out for t in _prefixes(list(b), c)) for b in av[1]]
            return frozenset().union(*grown)
        elif op not in (c.AT, c.ASSERT, c.ASSERT_NOT):  # lookarounds consume nothing
            return out
    return out
