"""The figures the reliability tests measure, gathered for one table at the end of the run.

Each test records a row as it finishes (and prints it, visible with `-s`); conftest prints the
whole table in the terminal summary, so `python -m pytest -m reliability -q -s` reproduces the
README's "Reliability" table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One fault class tried: what was lost, what was repeated and why, and peak memory."""

    area: str
    fault: str
    lost: int
    repeats: int = 0
    repeats_from: str = ""
    peak_mb: str = "-"
    note: str = ""


ROWS: list[Row] = []


def mb(kib: int) -> str:
    """KiB (VmHWM) as whole MB for the table."""
    return f"{kib / 1024:.0f}"


def record(row: Row) -> Row:
    """Keep a row for the summary table and print it now."""
    ROWS.append(row)
    print(
        f"\n[reliability] {row.area} / {row.fault}: lost {row.lost}, repeats {row.repeats}"
        f"{f' ({row.repeats_from})' if row.repeats_from else ''}, peak RSS {row.peak_mb} MB"
        f"{f'; {row.note}' if row.note else ''}"
    )
    return row


def table(rows: list[Row]) -> list[str]:
    """The rows as a Markdown table, in the order they ran."""
    lines = [
        "| area | fault | alerts lost | repeats (from) | peak RSS MB | notes |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        repeats = f"{row.repeats} ({row.repeats_from})" if row.repeats_from else str(row.repeats)
        lines.append(
            f"| {row.area} | {row.fault} | {row.lost} | {repeats} | {row.peak_mb} | {row.note} |"
        )
    return lines
