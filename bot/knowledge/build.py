"""Derive the packaged register from the shared Westminster reference list (standard library only).

    python -m bot.knowledge.build ../shared/westminster [--out bot/data/people.json.gz]

The output is gzipped JSON: nested party histories and posts need no second encoding, the
standard library reads it, and gzip shrinks the many repeated party and department names. It is
written with fixed key order, no whitespace and a zero gzip timestamp, so the same input gives a
byte-identical file.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from bot.knowledge import ATTRIBUTION
from bot.knowledge.names import variants
from bot.knowledge.spells import Spell, lords_from

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data" / "people.json.gz"
INPUTS = ("people.csv", "party_changes.csv", "ministers.csv")
FORMAT = "division-bell westminster register 1"
DATES_NOTE = (
    "ISO dates, compared as text; '' means still open. A bare date is exact. 'LO/HI' means "
    "somewhere between LO and HI (no snapshots were taken). '~LO/HI' means first seen in a daily "
    "snapshot on HI, LO being the conservative lower bound from party_changes.csv. Every "
    "comparison uses LO, the lower bound, so consecutive spells still partition time."
)
COLUMNS = {
    "person": [
        "id",
        "name",
        "family_name",
        "variants",
        "house",
        "seat",
        "start",
        "end",
        "parties",
        "posts",
    ],
    "parties": ["party", "start", "end", "house"],
    "posts": ["post", "organisation", "rank", "start", "end"],
}


def read_rows(path: Path) -> list[dict[str, str]]:
    """Every row of a CSV file with a header."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def approximate_lower_bounds(changes: list[dict[str, str]]) -> dict[tuple[str, str], str]:
    """(person id, '~date') → the conservative lower bound of that snapshot-dated change."""
    return {
        (row["person_id"], row["date"]): row["window_start"]
        for row in changes
        if row["date"].startswith("~")
    }


def recorded_switches(changes: list[dict[str, str]]) -> set[tuple[str, str]]:
    """(person id, date) of every party switch the Members API recorded within one house."""
    return {(row["person_id"], row["date"]) for row in changes if row["event"] == "party_change"}


def stored_date(raw: str, person_id: str, bounds: dict[tuple[str, str], str]) -> str:
    """A date in the stored notation: '~X' becomes '~LO/X' when the lower bound is known."""
    if raw.startswith("~") and (person_id, raw) in bounds:
        return f"~{bounds[person_id, raw]}/{raw[1:]}"
    return raw


def party_spells(
    row: dict[str, str],
    bounds: dict[tuple[str, str], str],
    switches: set[tuple[str, str]],
) -> list[list[str]]:
    """The person's party history as [party, start, end, house] in the stored date notation."""
    person_id = row["person_id"]
    spells: list[Spell] = []
    for entry in row["party_history"].split("|"):
        party, _, span = entry.rpartition("@")
        raw_start, _, raw_end = span.partition("..")
        start = stored_date(raw_start, person_id, bounds)
        end = stored_date(raw_end, person_id, bounds)
        spells.append(Spell(party, start, end, (person_id, raw_start) in switches))
    first_in_lords = lords_from(row["house"], bool(row["constituency_latest"]), spells)
    return [
        [spell.party, spell.start, spell.end, "lords" if i >= first_in_lords else "commons"]
        for i, spell in enumerate(spells)
    ]


def posts_by_person(ministers: list[dict[str, str]]) -> dict[str, list[list[str]]]:
    """person id → [post, organisation, rank, start, end], oldest first."""
    posts: dict[str, list[list[str]]] = defaultdict(list)
    for row in ministers:
        posts[row["person_id"]].append(
            [row["post"], row["organisation"], row["rank_equivalence"], row["start"], row["end"]]
        )
    return {
        person: sorted(rows, key=lambda p: (p[3], p[4], p[0])) for person, rows in posts.items()
    }


def person_record(
    row: dict[str, str],
    bounds: dict[tuple[str, str], str],
    switches: set[tuple[str, str]],
    posts: dict[str, list[list[str]]],
) -> list[Any]:
    """One person in the stored column order (see COLUMNS)."""
    person_id = row["person_id"]
    return [
        int(person_id),
        row["name"],
        row["family_name"].strip(),
        variants(row["name"], row["given_name"], row["family_name"], row["aliases"]),
        row["house"],
        row["constituency_latest"],
        stored_date(row["start"], person_id, bounds),
        stored_date(row["end"], person_id, bounds),
        party_spells(row, bounds, switches),
        posts.get(person_id, []),
    ]


def check_attribution(source: Path) -> None:
    """Refuse to build when SOURCE.md no longer asks for the attribution this package shows."""
    text = (source / "SOURCE.md").read_text(encoding="utf-8")
    missing = [line for line in ATTRIBUTION if line not in text]
    if missing:
        raise SystemExit(f"{source / 'SOURCE.md'} no longer contains: {missing}")


def derive(source: Path) -> dict[str, Any]:
    """The whole register document derived from the reference list in `source`."""
    check_attribution(source)
    people = read_rows(source / "people.csv")
    changes = read_rows(source / "party_changes.csv")
    posts = posts_by_person(read_rows(source / "ministers.csv"))
    bounds, switches = approximate_lower_bounds(changes), recorded_switches(changes)
    records = [person_record(row, bounds, switches, posts) for row in people]
    records.sort(key=lambda record: int(record[0]))
    return {
        "format": FORMAT,
        "attribution": list(ATTRIBUTION),
        "derived_from": {
            name: hashlib.sha256((source / name).read_bytes()).hexdigest() for name in INPUTS
        },
        "dates": DATES_NOTE,
        "columns": COLUMNS,
        "people": records,
    }


def encode(document: dict[str, Any]) -> bytes:
    """The document as deterministic gzipped JSON (fixed key order, no timestamp)."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def main(argv: list[str] | None = None) -> int:
    """Build the register file; print where it went and how big it is."""
    parser = argparse.ArgumentParser(prog="python -m bot.knowledge.build", description=__doc__)
    parser.add_argument("source", type=Path, help="the shared westminster directory")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write")
    args = parser.parse_args(argv)
    data = encode(derive(args.source))
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
