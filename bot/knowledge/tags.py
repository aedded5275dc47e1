"""Headline text with the people and parties it names replaced by tags that rules can match.

The classifier's people rules (`{@mp}`, `{@party}`… in categories.toml) are regexes over the
lower-cased text in which each recognised person became a person tag and each party alias a
party tag. A person tag says what the person was on the headline's date:

    \\x00 FLAGS : PARTY \\x00     e.g. "\\x00mnp:con\\x00" for a Conservative MP and minister

FLAGS (letters in this order, each only when true): k prime minister, c cabinet rank (PM, DPM
or Secretary of State), d deputy prime minister (or First Secretary of State), w a chief whip
or deputy chief whip, n any government post, m sitting MP, l sitting peer, p politician (always
present: sitting, in post, or either within RECENT_YEARS). PARTY is the party code of
bot.knowledge.parties ('' for an independent or crossbencher) that the person sat for
SWITCH_NEWS_DAYS before the date, so the news of a switch still sees the party they left
(for a former member: the party they last sat for).
A party tag is "\\x01 CODE \\x01". Tags are not the length of what they replace, so
`Tagged.original` maps offsets back to the text as written, for the evidence.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

from bot.knowledge.parties import alias_pattern, code_of_alias, code_of_label
from bot.knowledge.recognise import FIELDS, Mention
from bot.knowledge.register import Person
from bot.knowledge.spells import lower_bound

PERSON, PARTY = "\x00", "\x01"
RECENT_YEARS = 5
# News of a defection runs for days after the register already shows the new party: a person
# tag carries the party of this many days before the headline (when they sat then).
SWITCH_NEWS_DAYS = 14
_CABINET_RANKS = ("PM", "DPM", "SoS")
_CHIEF_WHIP = "Chief Whip"  # the Commons and Lords chief whips and their deputies


def _recent(person: Person, on: date) -> bool:
    """Whether a membership or post of `person` ended within RECENT_YEARS before `on`."""
    since = on.replace(year=on.year - RECENT_YEARS, day=min(on.day, 28)).isoformat()
    today = on.isoformat()
    ends = [s.end for s in person.parties] + [p.end for p in person.posts]
    return any(end and since <= lower_bound(end) <= today for end in ends)


def flags_of(person: Person, on: date) -> str:
    """The FLAGS of a person tag on `on`; '' if not a politician then (no tag at all)."""
    posts = person.posts_on(on)
    spell = person.spell_on(on)
    if spell is None and not posts and not _recent(person, on):
        return ""
    ranks = {post.rank for post in posts}
    flags = "k" if "PM" in ranks else ""
    flags += "c" if ranks & set(_CABINET_RANKS) else ""
    flags += "d" if "DPM" in ranks else ""
    flags += "w" if any(_CHIEF_WHIP in post.post for post in posts) else ""
    flags += "n" if posts else ""
    if spell is not None:
        flags += "m" if spell.house == "commons" else "l"
    return flags + "p"


def person_tag(mention: Mention, on: date) -> str:
    """The tag for a mention: what all its candidates share; '' if none is a politician."""
    key = (tuple(person.id for person in mention.candidates), on)
    tag = _TAGS.get(key)
    if tag is None:
        if len(_TAGS) > 4096:  # headlines come in on few dates; a bound all the same
            _TAGS.clear()
        tag = _TAGS[key] = _person_tag(mention, on)
    return tag


_TAGS: dict[tuple[tuple[int, ...], date], str] = {}


def _person_tag(mention: Mention, on: date) -> str:
    tags = set()
    for person in mention.candidates:
        flags = flags_of(person, on)
        if not flags:
            return ""
        tags.add(f"{flags}:{code_of_label(party_of(person, on))}")
    return f"{PERSON}{tags.pop()}{PERSON}" if len(tags) == 1 else ""


def party_of(person: Person, on: date) -> str | None:
    """The party label a tag carries: that of SWITCH_NEWS_DAYS before `on`, else of `on`, else
    (for a former member) the last one they sat for."""
    for day in (on - timedelta(days=SWITCH_NEWS_DAYS), on):
        spell = person.spell_on(day)
        if spell is not None:
            return spell.party
    today = on.isoformat()
    past = [s for s in person.parties if s.end and lower_bound(s.end) <= today]
    return max(past, key=lambda s: lower_bound(s.end)).party if past else None


class Tagged(NamedTuple):
    """One field's lower-cased text with tags, and where its replaced spans came from."""

    text: str
    spans: tuple[tuple[int, int, int, int], ...]  # tagged start, tagged end, original start, end

    def original(self, offset: int, *, end: bool = False) -> int:
        """The offset in the original text of `offset` in the tagged text."""
        shift = 0
        for start, stop, was_start, was_stop in self.spans:
            if offset >= stop:
                shift = was_stop - stop
            elif offset > start or (offset == start and end):
                return was_stop if end else was_start
            else:
                break
        return offset + shift


def tag_field(original: str, lowered: str, mentions: list[Mention], on: date) -> Tagged:
    """`lowered` with the field's mentions and capitalised party aliases replaced by tags."""
    spans = [(m.start, m.end, tag) for m in mentions if (tag := person_tag(m, on))]
    for hit in alias_pattern().finditer(original):  # offsets hold in `lowered` too
        if not any(s < hit.end() and hit.start() < e for s, e, _ in spans):
            spans.append((hit.start(), hit.end(), f"{PARTY}{code_of_alias(hit.group())}{PARTY}"))
    pieces, mapped, at, length = [], [], 0, 0
    for start, stop, tag in sorted(spans):
        pieces += [lowered[at:start], tag]
        length += start - at
        mapped.append((length, length + len(tag), start, stop))
        length += len(tag)
        at = stop
    pieces.append(lowered[at:])
    return Tagged("".join(pieces), tuple(mapped))


def tag_texts(
    texts: tuple[str, str], lowered: tuple[str, str], mentions: list[Mention], on: date
) -> tuple[Tagged, Tagged]:
    """Both fields (title, summary) tagged with the mentions found in them."""
    title, summary = (
        tag_field(texts[i], lowered[i], [m for m in mentions if m.field == FIELDS[i]], on)
        for i in (0, 1)
    )
    return title, summary


def related(tagged: str, same: bool) -> bool:
    """Whether, in a matched stretch of tagged text, some party tag names a party that the
    nearest person tag before it sits for (`same`) or does not sit for (not `same`)."""
    person_party: str | None = None
    i = 0
    while i < len(tagged):
        char = tagged[i]
        if char in (PERSON, PARTY):
            stop = tagged.index(char, i + 1)
            body = tagged[i + 1 : stop]
            if char == PERSON:
                person_party = body.partition(":")[2]
            elif person_party is not None and (body == person_party) == same:
                return True
            i = stop
        i += 1
    return False
