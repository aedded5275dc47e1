"""A gazetteer of UK parties: the names headlines use for them and the register's labels.

Each party has a short code. Headline aliases ("Tories", "Lib Dems", "Reform") and the
register's own labels ("Conservative", "Labour (Co-op)") both lead to it, so a party named in a
headline can be compared with the party a named politician sat for on the headline's date.
"Independent" (which is what the register says while a whip is suspended) and the Lords'
crossbenches have no code: they are no party anyone joins.
"""

from __future__ import annotations

import functools
import re
from typing import Any, NamedTuple

from bot.pipeline.patterns import trie


class Party(NamedTuple):
    """One party: its code, display name, the register's labels for it and headline aliases."""

    code: str
    name: str
    labels: tuple[str, ...]
    aliases: tuple[str, ...]  # lower case, matched as whole words


PARTIES = (
    Party("con", "Conservative", ("Conservative",),
          ("conservative party", "conservatives", "conservative", "tory party", "tories", "tory")),
    Party("lab", "Labour", ("Labour", "Labour (Co-op)"), ("labour party", "labour")),
    Party("ld", "Liberal Democrat", ("Liberal Democrat",),
          ("liberal democrats", "liberal democrat", "lib dems", "lib dem", "libdems", "libdem")),
    Party("reform", "Reform UK", ("Reform UK",), ("reform uk", "reform party", "reform")),
    Party("snp", "Scottish National Party", ("Scottish National Party",),
          ("scottish national party", "snp")),
    Party("green", "Green Party", ("Green Party",),
          ("green party", "greens", "scottish greens")),
    Party("plaid", "Plaid Cymru", ("Plaid Cymru",), ("plaid cymru", "plaid")),
    Party("dup", "Democratic Unionist Party", ("Democratic Unionist Party",),
          ("democratic unionist party", "democratic unionists", "dup")),
    Party("uup", "Ulster Unionist Party", ("Ulster Unionist Party",),
          ("ulster unionist party", "ulster unionists", "uup")),
    Party("sf", "Sinn Féin", ("Sinn Féin",), ("sinn féin", "sinn fein")),
    Party("sdlp", "SDLP", ("Social Democratic & Labour Party",), ("sdlp",)),
    Party("alliance", "Alliance", ("Alliance",), ("alliance party",)),
    Party("alba", "Alba Party", ("Alba Party",), ("alba party", "alba")),
    Party("ukip", "UKIP", ("UK Independence Party",), ("uk independence party", "ukip")),
    Party("changeuk", "Change UK", ("Change UK - The Independent Group",
          "The Independent Group for Change"), ("change uk", "the independent group")),
    Party("your", "Your Party", ("Your Party",), ("your party",)),
    Party("restore", "Restore Britain", ("Restore Britain",), ("restore britain",)),
    Party("workers", "Workers Party", ("Workers Party of Britain",),
          ("workers party of britain", "workers party")),
    Party("tuv", "TUV", ("Traditional Unionist Voice",), ("traditional unionist voice", "tuv")),
)  # fmt: skip

BY_CODE = {party.code: party for party in PARTIES}
_BY_LABEL = {label: party.code for party in PARTIES for label in party.labels}
_BY_ALIAS = {alias: party.code for party in PARTIES for alias in party.aliases}


# Party names are capitalised ("Reform", never "pension reform"): matching the text as written,
# only capitals can start a match, which also lets the regex skip most of the text quickly.
def _written(alias: str) -> set[str]:
    """How a lower-case alias is written: each word capitalised or in capitals ("Reform UK",
    "Lib Dems", "SNP"), or only its first letter capitalised ("Labour party")."""
    forms = {""}
    for word in alias.split(" "):
        forms = {
            f"{form} {spelt}".lstrip() for form in forms for spelt in (word.title(), word.upper())
        }
    return forms | {alias[0].upper() + alias[1:]}


_WRITTEN = {form for alias in _BY_ALIAS for form in _written(alias)}


def _trie(words: set[str]) -> str:
    """A regex for any of `words`, longest first, shaped as a trie: each character tried once
    (a plain alternation of some 200 forms is tried form by form at every capital)."""
    root = trie(words)

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(c) + emit(child) for c, child in sorted(node.items()) if c]
        if not branches:
            return ""
        # A word may end here only at a word boundary; otherwise keep going for a longer one.
        body = "(?:" + "|".join(branches) + ")"
        return f"(?:{body}|(?!\\w))" if "" in node else body

    # The check that no letter comes before goes after the first letter, so the regex starts
    # with a set of capitals, which the engine skips to quickly.
    firsts = [re.escape(c) + r"(?<!\w.)" + emit(child) for c, child in sorted(root.items())]
    return "(?:" + "|".join(firsts) + ")"


@functools.cache
def alias_pattern() -> re.Pattern[str]:
    """The regex that finds any party's name as written in a headline."""
    # Compiled on first use, not on import (some 12 ms): a `poll` builds it while waiting for
    # its first fetches (Poller.prepare_in_background), not on the way to them.
    return re.compile(_trie(_WRITTEN) + r"(?!\w)")


def code_of_label(label: str | None) -> str:
    """The code of a register party label; '' for Independent, crossbench and the like."""
    return _BY_LABEL.get(label or "", "")


def code_of_alias(alias: str) -> str:
    """The code of a headline alias in any case ('Tories' → 'con')."""
    return _BY_ALIAS[alias.lower()]


def resolve(name: str) -> str | None:
    """The code for a party written as a code, a label or an alias (any case), if known."""
    lowered = name.lower()
    if lowered in BY_CODE:
        return lowered
    return _BY_LABEL.get(name) or _BY_ALIAS.get(lowered)
