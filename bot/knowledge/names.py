"""Name forms: which variants are worth matching, and the tokens both the build and the scan use.

A variant is kept only if it names someone in particular: honorifics (Mr, Dr, Sir, Rt Hon…) are
stripped because the scan finds the name that follows them anyway, and forms left with a single
word or only generic title words ("The Lord Bishop") are dropped.
"""

from __future__ import annotations

import re

# Honorifics in front of a name; "Sir Keir Starmer" is found by its "Keir Starmer" part.
HONORIFICS = frozenset(
    {
        "Mr",
        "Mrs",
        "Ms",
        "Miss",
        "Mx",
        "Dr",
        "Sir",
        "Dame",
        "Rt",
        "Right",
        "Hon",
        "Honourable",
        "Professor",
        "Prof",
        "Rev",
        "Revd",
        "Reverend",
    }
)
# Words of a peerage or see that say nothing about which person is meant on their own.
TITLE_WORDS = frozenset(
    {
        "The",
        "Lord",
        "Lady",
        "Baroness",
        "Viscount",
        "Earl",
        "Marquess",
        "Countess",
        "Duke",
        "Bishop",
        "Archbishop",
    }
)
_PARENTHESES = re.compile(r"\s*\([^)]*\)")


def straight(text: str) -> str:
    """The text with curly apostrophes made straight, as every name is stored."""
    return text.replace("\u2019", "'")


def name_tokens(name: str) -> tuple[str, ...]:
    """The words a name is matched on: whitespace-split, initials without their full stop."""
    return tuple(word.rstrip(".") for word in straight(name).split() if word.rstrip("."))


def clean_variant(raw: str) -> str | None:
    """A variant as it would appear in running text, or None when it names no one in particular."""
    words = straight(_PARENTHESES.sub("", raw)).replace(",", " ").split()
    while words and words[0].rstrip(".") in HONORIFICS:
        words.pop(0)
    # "The Lord Bingham of Cornhill" is written "Lord Bingham of Cornhill" in running text, and
    # "The Lord Bishop of Durham" as "Bishop of Durham".
    if len(words) > 1 and words[0] == "The" and words[1] in TITLE_WORDS:
        words.pop(0)
    if len(words) > 1 and words[0] == "Lord" and words[1] in {"Bishop", "Archbishop"}:
        words.pop(0)
    specific = [w for w in words if w[:1].isupper() and w not in TITLE_WORDS | HONORIFICS]
    if len(words) < 2 or not specific:
        return None
    return " ".join(words)


def variants(name: str, given: str, family: str, aliases: str) -> list[str]:
    """A person's distinct matchable name forms: display name, given + family, then aliases."""
    raw = [name, f"{given} {family}" if given else "", *aliases.split("|")]
    kept: list[str] = []
    seen: set[tuple[str, ...]] = set()
    for form in raw:
        cleaned = clean_variant(form) if form else None
        if cleaned is None or name_tokens(cleaned) in seen:
            continue
        seen.add(name_tokens(cleaned))
        kept.append(cleaned)
    return kept
