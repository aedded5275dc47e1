"""Classifier throughput on one core: headlines per second over the dev corpus, repeated.

Run from the project root: `python benchmarks/bench_classify.py [FILE]`. Uses FILE (JSON Lines
with title, summary and optionally published), else ../shared/corpus/dev.jsonl when it is there,
else a built-in sample of political and general headlines. The target is at least 20,000
headlines per second. Headlines with a "published" date are classified as of that date, as the
poller does (people rules judge who held which seat, party and post then).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import date, datetime
from pathlib import Path

from bot.pipeline.classify import Classifier

DEV = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "dev.jsonl"
TARGET = 20_000
RUNS = 7
PER_RUN = 20_000

SAMPLES = [
    ("Tory MP defects to Labour in blow to PM", "The MP said the party had lost its way."),
    ("PMQs: Starmer and Badenoch clash over taxes", "The weekly session turned to the Budget."),
    ("Tory MPs submit letters of no confidence", "The 1922 Committee chairman has received 40."),
    ("Covid inquiry hears from former health secretary", "He told the inquiry he had regrets."),
    ("Standards commissioner opens investigation into MP", ""),
    ("Sue Gray report: key findings", "The report criticised failures of leadership at No 10."),
    ("Inflation falls to 2.3% as petrol prices drop", "Prices rose more slowly in November."),
    ("Storm brings flooding to coastal towns", "Residents were told to leave their homes."),
    ("Golfer defects to LIV tour", "The world number five joins the Saudi-backed series."),
    ("Question Time audience member challenges minister", ""),
    ("Police investigate break-in at museum", "Detectives say jewellery was taken."),
    ("Carmaker recalls cars over brake defects", "Defects were found in two models."),
]


Headline = tuple[str, str, date | None]


def headlines() -> tuple[str, list[tuple[str, str]]]:
    """(where they came from, the (title, summary) pairs)."""
    source, items = dated_headlines()
    return source, [(title, summary) for title, summary, _ in items]


def dated_headlines(path: Path = DEV) -> tuple[str, list[Headline]]:
    """(where they came from, the (title, summary, published date or None) of each)."""
    if path.is_file():
        lines = path.read_text(encoding="utf-8").splitlines()
        items = [json.loads(line) for line in lines if line]
        return str(path), [
            (item["title"], item.get("summary") or "", published(item)) for item in items
        ]
    return "built-in samples", [(title, summary, None) for title, summary in SAMPLES]


def published(item: dict[str, str]) -> date | None:
    """The date of an item's "published" field, if it has one."""
    value = item.get("published")
    return datetime.fromisoformat(value).date() if value else None


def main() -> None:
    """Print load time and headlines per second (best and median of several runs)."""
    started = time.perf_counter()
    classifier = Classifier.load()
    classifier.prepare()
    loaded = time.perf_counter() - started
    source, base = dated_headlines(*[Path(arg) for arg in sys.argv[1:2]])
    batch = base * max(1, PER_RUN // len(base))
    for title, summary, on in base:  # warm up
        classifier.classify(title, summary, on)
    rates, cpu_rates = [], []
    for _ in range(RUNS):
        started, cpu_started = time.perf_counter(), time.process_time()
        for title, summary, on in batch:
            classifier.classify(title, summary, on)
        rates.append(len(batch) / (time.perf_counter() - started))
        cpu_rates.append(len(batch) / max(time.process_time() - cpu_started, 1e-9))
    best, median = max(rates), statistics.median(rates)
    print(f"headlines: {source} ({len(base)} distinct, {len(batch)} per run, {RUNS} runs)")
    print(f"rules loaded and indexed in {loaded * 1000:.0f} ms")
    print(
        f"classify: {best:,.0f} headlines/second best, {median:,.0f} median,"
        f" {min(rates):,.0f} slowest (one core)"
    )
    # On a shared machine wall time includes waiting for a core; CPU time does not.
    print(f"per CPU-second: {statistics.median(cpu_rates):,.0f} median")
    print(f"target {TARGET:,}/s: {'met' if median >= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
