"""The entities every part shares: what is polled, read, stored, decided and sent. No I/O here."""

from __future__ import annotations

import hashlib
import operator
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar

_T = TypeVar("_T")


def pickled_by_fields(cls: type[_T]) -> type[_T]:
    """Pickle a frozen dataclass as a call of its class with its fields in order.

    For what parse workers send back, a few hundred objects a feed: the default for a frozen
    dataclass with slots sets every field through a Python loop when unpickled, which made
    unpickling a cold cycle's results a sizeable share of the main process's time
    (benchmarks/event_day.py). Every field must be a positional argument of __init__.
    """
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    if len(names) < 2 or any(not f.init or f.kw_only for f in fields(cls)):  # type: ignore[arg-type]
        raise TypeError(f"{cls.__name__}: needs two or more positional fields")
    values = operator.attrgetter(*names)  # C: a tuple of the fields

    def __reduce__(self: Any) -> tuple[type[_T], tuple[Any, ...]]:
        return cls, values(self)

    setattr(cls, "__reduce__", __reduce__)  # noqa: B010 - mypy refuses assigning a method
    return cls


@dataclass(frozen=True, slots=True)
class FeedSource:
    """A feed to poll, as configured."""

    name: str
    url: str
    interval: float | None = None  # seconds; None = the global [polling] interval
    outlet: str = ""  # who publishes it, for "also reported by" and surge; "" = the feed's name

    @property
    def publisher(self) -> str:
        """The outlet its headlines count for: two BBC feeds are one outlet when both say so."""
        return self.outlet or self.name


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Headline:
    """One feed entry, normalised: plain text, canonical link, UTC time."""

    feed: str  # FeedSource.name
    entry_key: str  # identity within the feed: guid (no fragment) / canonical link / hash
    link: str  # canonical URL, "" when the entry has none
    title: str
    summary: str
    published: datetime | None  # UTC-aware; None when the feed gives no usable date
    outlet: str  # who published it, for display ("BBC News")


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Match:
    """One rule that fired: the evidence for a category."""

    category: str
    rule: str  # rule id, e.g. "defection.defects_to"
    field: str  # "title" or "summary"
    text: str  # the words that matched, as they appear in the headline
    weight: float


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Classification:
    """The categories a headline belongs to, with the matches behind them."""

    categories: tuple[str, ...]
    matches: tuple[Match, ...] = ()
    scores: tuple[tuple[str, float], ...] = ()  # (category, score) for every category with a hit

    def evidence_for(self, category: str) -> tuple[Match, ...]:
        """The matches that count towards one category."""
        return tuple(m for m in self.matches if m.category == category and m.weight > 0)


@dataclass(frozen=True, slots=True)
class CategoryInfo:
    """How a category is named and shown."""

    name: str  # key, e.g. "defection"
    label: str  # "Defection"
    emoji: str  # "🔀"
    colour: int  # 0xRRGGBB, Discord embed colour
    description: str  # one line, for /westminster categories


@dataclass(frozen=True, slots=True)
class Report:
    """One report of an event, as an updated alert lists it."""

    title: str
    link: str
    outlet: str
    seen: datetime  # when we first saw it (published times lag and lie)


@dataclass(frozen=True, slots=True)
class EventState:
    """How far an event has grown: what an alert shows beyond its first headline."""

    event_id: int
    reports: int
    outlets: tuple[str, ...]  # in the order they first reported it
    latest: tuple[Report, ...]  # newest first, a few at most
    first_seen: datetime
    last_seen: datetime
    breaking: bool = False  # surge: many outlets within minutes of the event being first seen
    continues: str | None = None  # a development: the title of the event it continues
    # Parliament recorded the party change the event reports: confirmation_text's words.
    confirmed: str | None = None


# The words a defection's alert carries once the Members API records the move, and only then.
CONFIRMED_BY_PARLIAMENT = "Confirmed by Parliament"


def confirmation_text(person: str, party: str, recorded: date) -> str:
    """What Parliament confirmed: 'Natalie Elphicke joined Labour (recorded 8 May 2024)'."""
    month = _MONTHS[recorded.month - 1]  # English whatever the locale
    return f"{person} joined {party} (recorded {recorded.day} {month} {recorded.year})"


_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Alert:
    """A story to post, platform-neutral; the formatters render it per platform."""

    story_id: int
    title: str
    link: str
    summary: str
    outlet: str
    published: datetime
    categories: tuple[CategoryInfo, ...]  # first one sets colour and emoji
    evidence: tuple[str, ...] = ()  # short phrases: 'title: "defects to Labour"'
    also_reported_by: tuple[str, ...] = ()
    mention: str | None = None  # platform id of a role/user group to ping, set by routing only
    event: EventState | None = None  # filled in when sent or edited: the event as it stands


@dataclass(frozen=True, slots=True)
class FollowUp:
    """ "N more reports on …": a new message, or a thread reply, while an alerted event grows."""

    event_id: int
    title: str  # the alert's title
    link: str
    more: int  # reports since this destination was last told
    latest: tuple[Report, ...]  # the newest of them, newest first
    categories: tuple[CategoryInfo, ...] = ()
    confirmed: str | None = None  # a confirmation follow-up: what Parliament recorded


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One event in a digest: where it stands when the digest is made."""

    event_id: int
    title: str
    link: str
    categories: tuple[CategoryInfo, ...]
    reports: int
    outlets: tuple[str, ...]
    updated: bool = False  # alerted here before it was held: listed because it grew since


DIGEST_REASONS = ("digest", "quiet", "muted")


@dataclass(frozen=True, slots=True)
class Digest:
    """One message listing a period's events: a digest at its time, or what quiet hours or a
    mute held back, sent when they end. Long lists come in parts ("continued")."""

    reason: str  # one of DIGEST_REASONS
    since: datetime  # the first held alert's time
    until: datetime  # when the digest was made
    items: tuple[DigestItem, ...]  # most-reported first
    part: int = 1
    parts: int = 1


@dataclass(frozen=True, slots=True)
class OverflowItem:
    """One headline folded into an overflow notice."""

    title: str
    link: str
    category: str


@dataclass(frozen=True, slots=True)
class Overflow:
    """One summary line for the alerts past a feed's per-poll cap: never a flood, never a drop."""

    feed: str
    outlet: str
    items: tuple[OverflowItem, ...] = field(default_factory=tuple)


class Decision(StrEnum):
    """What became of a new headline, as stored with it and explained by `why`.

    `admit` answers ALERTED (may alert), BACKFILL or TOO_OLD; deciding settles the rest.
    """

    ALERTED = "alerted"
    OVERFLOW = "overflow"  # past the feed's per-poll cap: one summary line
    JOINED_STORY = "joined_story"  # another outlet's report of a story already recorded
    DUPLICATE_URL = "duplicate_url"  # another feed carried the same link first
    NO_CATEGORY = "no_category"
    BACKFILL = "backfill"  # first poll or after a gap, older than the backfill window: silent
    TOO_OLD = "too_old"  # older than max_age: never alerts


def digest(text: str) -> str:
    """A short stable fingerprint that does not reveal `text` (webhook URLs are secrets)."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def story_key(story_id: int) -> str:
    """The outbox dedupe key of a story's alert: one row per (story, destination)."""
    return f"story:{story_id}"


class DestinationKey:
    """The one place a destination's stable key is written and read ("kind:…")."""

    CONSOLE = "console"

    @staticmethod
    def chat(platform: str, scope: str, channel: str) -> str:
        """A bot channel: "discord:<channel>" or "slack:<team>:<channel>"."""
        if platform == "slack":
            return f"slack:{scope}:{channel}"
        return f"{platform}:{channel}"

    NAMED_WEBHOOK_PREFIX = "webhook:name:"

    @staticmethod
    def webhook(url: str) -> str:
        """An unnamed configured webhook: a digest that does not reveal the secret URL."""
        return f"webhook:{digest(url)}"

    @staticmethod
    def named_webhook(name: str) -> str:
        """A named webhook: its name, so a new URL or platform keeps the same destination."""
        return f"{DestinationKey.NAMED_WEBHOOK_PREFIX}{name}"

    @staticmethod
    def channel_of(key: str) -> str:
        """The platform channel id at the end of a bot channel's key."""
        return key.rsplit(":", 1)[-1]


@dataclass(frozen=True, slots=True)
class ChannelControl:
    """When and what one destination hears beyond its categories; the defaults change nothing.

    Values are validated where they enter (config, slash commands: bot.control.settings); the
    store keeps them as JSON beside the destination.
    """

    quiet_hours: str | None = None  # "22:00-07:00" in `timezone`; may span midnight
    quiet_except: tuple[str, ...] = ()  # categories that alert at once in quiet hours
    timezone: str | None = None  # an IANA name; None = the [display] timezone
    digest: tuple[str, ...] = ()  # () off, ("hourly",), or local times ("08:00", "18:00")
    digest_except: tuple[str, ...] = ()  # categories, or "breaking", that alert at once
    watch: tuple[str, ...] = ()  # people, parties or phrases that alert whatever the category
    min_reports: int = 1  # outlets an event needs before it alerts here
    muted_until: datetime | None = None  # bot channels: /westminster mute

    def to_json(self) -> dict[str, object]:
        """The settings that differ from the defaults, as plain JSON values."""
        data: dict[str, object] = {}
        for name, default in _CONTROL_DEFAULTS.items():
            value = getattr(self, name)
            if value != default:
                data[name] = list(value) if isinstance(value, tuple) else value
        if self.muted_until is not None:
            data["muted_until"] = self.muted_until.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, object]) -> ChannelControl:
        """The inverse of to_json; unknown keys (from a newer version) are ignored."""
        muted = data.get("muted_until")
        quiet = data.get("quiet_hours")
        zone = data.get("timezone")
        return cls(
            quiet_hours=quiet if isinstance(quiet, str) else None,
            quiet_except=_strings(data.get("quiet_except")),
            timezone=zone if isinstance(zone, str) else None,
            digest=_strings(data.get("digest")),
            digest_except=_strings(data.get("digest_except")),
            watch=_strings(data.get("watch")),
            min_reports=int(str(data.get("min_reports", 1))),
            muted_until=datetime.fromisoformat(muted) if isinstance(muted, str) else None,
        )


def _strings(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else ()


_CONTROL_DEFAULTS: dict[str, object] = {
    "quiet_hours": None,
    "quiet_except": (),
    "timezone": None,
    "digest": (),
    "digest_except": (),
    "watch": (),
    "min_reports": 1,
}


@dataclass(frozen=True, slots=True)
class Destination:
    """A place alerts go, with the categories it is subscribed to (category → mention or None)."""

    id: int
    key: str
    kind: str  # "console", "webhook:discord", "webhook:slack", "discord", "slack"
    label: str  # safe display name: never a secret URL
    scope: str = ""  # guild or workspace id for chat subscriptions
    channel: str = ""
    subscriptions: dict[str, str | None] = field(default_factory=dict)
    broken_reason: str | None = None
    updates: str = "edit"  # what later reports of an alerted event do: "edit", "thread" or "off"
    control: ChannelControl = field(default_factory=ChannelControl)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Signature:
    """What a headline says, reduced for comparison: names, content words, numbers, events."""

    names: frozenset[str]
    content: frozenset[str]
    numbers: frozenset[str]
    events: frozenset[str]
    # Capitalised words that open a clause ("Second Tory MP…", "Johnson faces…"): a name only
    # when the other headline has it as a name too, since sentence case capitalises any word.
    leads: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, list[str]]:
        """Plain lists for storing beside the story."""
        return {
            "names": sorted(self.names),
            "content": sorted(self.content),
            "numbers": sorted(self.numbers),
            "events": sorted(self.events),
            "leads": sorted(self.leads),
        }

    @classmethod
    def from_json(cls, data: dict[str, list[str]]) -> Signature:
        """The inverse of to_json."""
        return cls(
            frozenset(data.get("names", ())),
            frozenset(data.get("content", ())),
            frozenset(data.get("numbers", ())),
            frozenset(data.get("events", ())),
            frozenset(data.get("leads", ())),
        )
