"""Who a defection report says joined which party: the claim Parliament is later asked about.

Pure: text, the register and a day in. The party is the one a report says someone went *to*
("defects to Labour", "to join Reform UK", "crosses the floor to the Tories", "joins the Lib
Dems"); the person is a sitting MP named in the title (else the summary) who did not already sit
for that party. "Independent" is no party anyone joins: it is how Parliament records a whip
suspended, so the gazetteer has no code for it and it is never claimed.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import NamedTuple

from bot.knowledge.parties import BY_CODE, alias_pattern, code_of_alias, code_of_label
from bot.knowledge.recognise import recognise
from bot.knowledge.register import Person, Register

# What comes just before a party that someone goes to: "to", "join(s/ed/ing)", then "the".
_GOING_TO = re.compile(r"\b(?:to|join|joins|joined|joining)\s+(?:the\s+)?$", re.IGNORECASE)
_LOOK_BACK = 20  # characters before a party name searched for those words


class Claim(NamedTuple):
    """A report's claim that `person` joined the party `party` (a gazetteer code)."""

    person: Person
    party: str

    @property
    def party_name(self) -> str:
        """The party as readers know it ("Reform UK")."""
        return BY_CODE[self.party].name


def joined_party(text: str) -> str | None:
    """The code of the first party `text` says someone goes to, if any."""
    for match in alias_pattern().finditer(text):
        before = text[max(0, match.start() - _LOOK_BACK) : match.start()]
        if _GOING_TO.search(before):
            return code_of_alias(match.group(0))
    return None


def defection_claim(title: str, summary: str, register: Register, on: date) -> Claim | None:
    """The sitting MP a defection report says joined a named party, and that party.

    The party comes from the title, else the summary. The person is the first named (title
    first) who sat in the Commons on `on` and not for that party the day before; a name that
    could be two such MPs names neither.
    """
    party = joined_party(title) or joined_party(summary)
    if party is None:
        return None
    before = on - timedelta(days=1)
    for mention in recognise(title, summary, register, on):
        movers = [
            person
            for person in mention.candidates
            if person.is_sitting_mp(on) and code_of_label(person.party_on(before)) != party
        ]
        if len(movers) == 1:
            return Claim(movers[0], party)
    return None
