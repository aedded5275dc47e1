"""Frozen value types that flow through the pipeline; no I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class FeedSource:
    """A feed to poll, as configured."""

    name: str
    url: str
    interval: float | None = None  # seconds; None = the global [polling] interval


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


@dataclass(frozen=True, slots=True)
class Match:
    """One rule that fired: the evidence for a category."""

    category: str
    rule: str  # rule id, e.g. "defection.defects_to"
    field: str  # "title" or "summary"
    text: str  # the words that matched, as they appear in the headline
    weight: float


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
