"""The register of Westminster people: the packaged derived copy, loaded once, looked up by id.

Dates are kept as the stored text (see the file's "dates" note) and compared as ISO strings on
their lower bound, so loading parses no dates at all.
"""

from __future__ import annotations

import gzip
import importlib.resources
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from bot.knowledge.describe import describe
from bot.knowledge.spells import lower_bound

FORMAT = "division-bell westminster register 1"


class PartySpell(NamedTuple):
    """A run of one party in one House; `end` is '' while open."""

    party: str
    start: str
    end: str
    house: str  # "commons" or "lords"


class Post(NamedTuple):
    """A government post from the IfG Ministers Database; `end` is '' while held."""

    post: str
    organisation: str
    rank: str  # the IfG rank equivalence: PM, DPM, SoS, Parl. lead., MoS, PUSS, Parl.
    start: str
    end: str


def covers(start: str, end: str, day: str) -> bool:
    """Whether the stored span [start, end) covers the ISO date `day`, on lower bounds."""
    return lower_bound(start) <= day and (not end or day < lower_bound(end))


class Person(NamedTuple):
    """One person in the register, as derived from people.csv and ministers.csv."""

    id: int
    name: str  # display name; peers keep their title
    family_name: str
    variants: tuple[str, ...]  # name forms worth matching in text
    house: str  # the House of the latest membership
    seat: str  # the latest Commons seat, for peers the one they held as an MP
    start: str  # first membership start in either House
    end: str  # last membership end, '' while still a member
    parties: tuple[PartySpell, ...]
    posts: tuple[Post, ...]

    def spell_on(self, on: date) -> PartySpell | None:
        """The party spell covering `on`, if the person was a member then."""
        day = on.isoformat()
        return next((s for s in self.parties if covers(s.start, s.end, day)), None)

    def party_on(self, on: date) -> str | None:
        """The party label on `on` (the Members API's own, e.g. Independent while suspended)."""
        spell = self.spell_on(on)
        return spell.party if spell else None

    def is_member(self, on: date) -> bool:
        """Whether the person sat in either House on `on`."""
        return self.spell_on(on) is not None

    def is_sitting_mp(self, on: date) -> bool:
        """Whether the person sat in the Commons on `on`."""
        spell = self.spell_on(on)
        return spell is not None and spell.house == "commons"

    def posts_on(self, on: date) -> list[Post]:
        """The government posts held on `on`."""
        day = on.isoformat()
        return [post for post in self.posts if covers(post.start, post.end, day)]

    def is_active(self, on: date) -> bool:
        """Whether the person sat in Parliament or held a government post on `on`."""
        return self.is_member(on) or bool(self.posts_on(on))

    def describe(self, on: date | None = None) -> str:
        """One line: who they are on `on` (default today), with their most telling posts."""
        return describe(self, on)


def person_from_record(record: list[Any]) -> Person:
    """A Person from one stored record (the build's column order)."""
    pid, name, family, variants, house, seat, start, end, parties, posts = record
    return Person(
        pid,
        name,
        family,
        tuple(variants),
        house,
        seat,
        start,
        end,
        tuple(PartySpell._make(spell) for spell in parties),
        tuple(Post._make(post) for post in posts),
    )


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one per load
class Register:
    """Every person in the packaged copy, by member id, with the attribution that must go along."""

    people: dict[int, Person]
    attribution: tuple[str, ...]
    source: str
    _by_variant: dict[str, list[Person]] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: Path | None = None) -> Register:
        """The packaged register (or the derived file at `path`)."""
        if path is None:
            resource = importlib.resources.files("bot") / "data" / "people.json.gz"
            raw, source = resource.read_bytes(), str(resource)
        else:
            raw, source = path.read_bytes(), str(path)
        return cls.from_document(json.loads(gzip.decompress(raw)), source)

    @classmethod
    def from_document(cls, document: dict[str, Any], source: str) -> Register:
        """A register from the decoded JSON document."""
        if document.get("format") != FORMAT:
            raise ValueError(f"{source}: not a {FORMAT!r} file")
        people = {record[0]: person_from_record(record) for record in document["people"]}
        return cls(people, tuple(document["attribution"]), source)

    def __len__(self) -> int:
        return len(self.people)

    def __iter__(self) -> Iterator[Person]:
        return iter(self.people.values())

    def __getitem__(self, person_id: int) -> Person:
        return self.people[person_id]

    def get(self, person_id: int) -> Person | None:
        """The person with this member id, if any."""
        return self.people.get(person_id)

    def named(self, name: str) -> list[Person]:
        """Everyone with exactly this name form among their variants."""
        if not self._by_variant:
            for person in self.people.values():
                for variant in person.variants:
                    self._by_variant.setdefault(variant, []).append(person)
        return list(self._by_variant.get(name, []))
