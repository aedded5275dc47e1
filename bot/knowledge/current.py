"""The register as used at runtime: the packaged copy, overlaid with the last `people refresh`.

For every person the packaged register knows and the refresh found sitting, the refreshed party
spells (exact dates from the Members API, the House of each from the membership history) replace
the packaged ones, and their House and "still a member" follow the refresh. Everything else
(names, seats held as an MP, government posts) stays as packaged. People the packaged register
does not know are left out: they have no name variants to be recognised by.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from bot.knowledge.register import PartySpell, Register
from bot.store.people import StoredPerson, StoredSpell, stored_people, stored_spells
from bot.store.sql import Store


def overlay(
    register: Register,
    people: Iterable[StoredPerson],
    spells: Mapping[int, Sequence[StoredSpell]],
) -> Register:
    """A new register: `register` with the refreshed party spells of the people it knows."""
    updated = dict(register.people)
    changed = 0
    for stored in people:
        person = updated.get(stored.id)
        rows = spells.get(stored.id)
        if person is None or not rows:
            continue
        updated[stored.id] = person._replace(
            house=stored.house,
            seat=stored.seat if stored.house == "commons" else person.seat,
            end="",
            parties=tuple(PartySpell(s.party, s.start, s.end, s.house) for s in rows),
        )
        changed += 1
    if not changed:
        return register
    return Register(updated, register.attribution, f"{register.source} + people refresh")


async def current_register(db: Store, register: Register | None = None) -> Register:
    """The packaged register (or `register`) overlaid with what the last refresh stored."""
    base = register if register is not None else Register.load()
    people = await stored_people(db.conn)
    if not people:
        return base
    return overlay(base, people, await stored_spells(db.conn))
