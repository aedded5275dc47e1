"""`replay`'s input: a JSON Lines archive of feed entries, checked line by line, grouped by feed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit


class ReplayInputError(Exception):
    """The archive cannot be replayed; the message names the file and, where it can, the line."""


@dataclass(frozen=True, slots=True)
class ArchivedEntry:
    """One entry as the archive holds it; `guid` is its `id`, else its link."""

    title: str
    summary: str
    link: str
    published: datetime  # UTC-aware
    outlet: str
    feed: str  # the feed it came from ("" when the archive does not say)
    guid: str


@dataclass(frozen=True, slots=True)
class ArchivedFeed:
    """The entries of one (outlet, feed) pair, oldest first, under the name it is polled by."""

    name: str
    outlet: str
    entries: tuple[ArchivedEntry, ...]


def read_archive(path: Path) -> list[ArchivedEntry]:
    """Every entry in the file, in file order; blank lines are skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as exc:
        raise ReplayInputError(f"{path}: cannot read the file ({exc})") from None
    entries: list[ArchivedEntry] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                entries.append(_entry(line))
            except ValueError as exc:
                raise ReplayInputError(f"{path}, line {number}: {exc}") from None
    if not entries:
        raise ReplayInputError(f"{path}: no entries (one JSON object per line)")
    return entries


def _entry(line: str) -> ArchivedEntry:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    title = _text(record, "title", required=True)
    link = _text(record, "link", required=True)
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"link {link!r} is not an http(s) URL")
    guid = record.get("id")
    return ArchivedEntry(
        title=title,
        summary=_text(record, "summary"),
        link=link,
        published=_published(record),
        outlet=_text(record, "outlet") or parts.hostname,
        feed=_text(record, "feed"),
        guid=str(guid) if isinstance(guid, str | int) and str(guid).strip() else link,
    )


def _text(record: dict[str, object], key: str, *, required: bool = False) -> str:
    value = record.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError(f"no {key!r}")
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{key!r} is not a string")
    return value.strip()


def _published(record: dict[str, object]) -> datetime:
    value = _text(record, "published", required=True)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"'published' {value!r} is not an ISO 8601 date and time") from None
    # A time without an offset is read as UTC, as archives that drop the offset mostly mean.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def group_feeds(entries: Sequence[ArchivedEntry]) -> list[ArchivedFeed]:
    """One feed per distinct (outlet, feed) pair, named after its outlet ("BBC News", or
    "The Telegraph 1" and "The Telegraph 2" when an outlet has several feeds)."""
    pairs: dict[tuple[str, str], list[ArchivedEntry]] = {}
    for entry in entries:
        pairs.setdefault((entry.outlet, entry.feed), []).append(entry)
    per_outlet: dict[str, int] = {}
    for outlet, _ in pairs:
        per_outlet[outlet] = per_outlet.get(outlet, 0) + 1
    feeds: list[ArchivedFeed] = []
    taken: set[str] = set()
    numbered: dict[str, int] = {}
    for (outlet, _), members in sorted(pairs.items(), key=lambda item: item[0]):
        if per_outlet[outlet] == 1:
            name = outlet
        else:
            numbered[outlet] = numbered.get(outlet, 0) + 1
            name = f"{outlet} {numbered[outlet]}"
        while name in taken:  # an outlet literally called "X 2" beside X's second feed
            name += "′"
        taken.add(name)
        ordered = tuple(sorted(members, key=lambda e: e.published))
        feeds.append(ArchivedFeed(name=name, outlet=outlet, entries=ordered))
    return feeds
