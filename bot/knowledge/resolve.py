"""Choosing who a name means: active people first, then whoever the rest of the text settles on.

A name several people share (two Angela Smiths, four Lord Camerons) is narrowed in steps, each
applied only while more than one candidate remains:

1. people who sat in either House on the day (in the Lords, for a peerage form such as
   "Lord Cameron": David Cameron was no Lord Cameron while an MP);
2. among those, people who held a government post on the day;
3. someone named unambiguously elsewhere in the same headline and summary ("David Cameron …
   Lord Cameron").

Whoever is left is returned as one ambiguous mention listing them all. A name that nobody
sitting on the day bears keeps all its candidates for step 2 and 3: former members are named in
the news too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from bot.knowledge.register import Person, Register

if TYPE_CHECKING:
    from bot.knowledge.recognise import Mention


def sitting(person: Person, on: date, peerage: bool) -> bool:
    """Whether the person sat on `on`: in the Lords if named by peerage, else in either House."""
    spell = person.spell_on(on)
    return spell is not None and (not peerage or spell.house == "lords")


def narrow(
    ids: Iterable[int], register: Register, on: date, peerage: bool = False
) -> tuple[Person, ...]:
    """The candidates for a name on `on`: the active ones when that settles it (steps 1 and 2)."""
    people = tuple(register.people[person_id] for person_id in ids)
    if len(people) == 1:
        return people
    members = tuple(p for p in people if sitting(p, on, peerage)) or people
    if len(members) == 1:
        return members
    ministers = tuple(p for p in members if p.posts_on(on))
    return ministers if len(ministers) == 1 else members


def prefer_named(mentions: list[Mention]) -> list[Mention]:
    """Settle ambiguous mentions on someone named unambiguously in the same text (step 3)."""
    if all(len(m.candidates) == 1 for m in mentions):
        return mentions
    named = {m.candidates[0].id for m in mentions if len(m.candidates) == 1}
    settled = []
    for mention in mentions:
        known = tuple(p for p in mention.candidates if p.id in named)
        if len(mention.candidates) > 1 and len(known) == 1:
            mention = mention._replace(candidates=known)  # noqa: PLW2901 - the settled mention
        settled.append(mention)
    return settled
