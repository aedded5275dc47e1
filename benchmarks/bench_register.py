"""The Westminster register: load time and memory in fresh processes, recognition speed on one core.

Run from the project root:
`python benchmarks/bench_register.py [--processes 9] [--runs 7] [--corpus dev.jsonl]`.

- Load: each of several fresh interpreters imports bot.knowledge.register, calls Register.load()
  and then builds the recognition index (the first recognise call), reading its own VmRSS and
  VmHWM from /proc around each step. Targets: load under 50 ms and under 30 MB extra RSS.
- Recognition: recognise(title, summary) over the headlines of ../shared/corpus/dev.jsonl (or a
  built-in sample), repeated; headlines and mentions per second. The classifier's target is
  20,000 headlines/s, so recognition alone should stay far above that (aim: 100,000/s).

Every figure is printed as the median with the spread (min–max) over the runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "corpus" / "dev.jsonl"
PER_RUN = 20_000
ON = date(2022, 6, 1)  # a fixed day, so ambiguous names resolve the same way every run

SAMPLES = [
    ("Starmer’s reshuffle: who is in and out", "Sir Keir Starmer moved Rachel Reeves."),
    ("Boris Johnson faces privileges committee", "Mr Johnson denied misleading MPs."),
    ("Lord Cameron returns as foreign secretary", "David Cameron takes a peerage."),
    ("Tory MP defects to Labour", "Christian Wakeford crossed the floor at PMQs."),
    ("Inflation falls as petrol prices drop", "Prices rose more slowly in November."),
    ("Storm brings flooding to coastal towns", "Residents were told to leave their homes."),
]

# Runs in a fresh interpreter; prints one JSON object of timings (s) and memory (kB).
PROBE = """
import json, time
def status(key):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith(key + ":"))
rss0, t0 = status("VmRSS"), time.perf_counter()
from bot.knowledge.register import Register
t1 = time.perf_counter()
register = Register.load()
t2 = time.perf_counter()
rss_loaded, hwm_loaded = status("VmRSS"), status("VmHWM")
from bot.knowledge.recognise import recognise
recognise("Keir Starmer", "", register)
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "index": t3 - t2,
    "rss_load": rss_loaded - rss0, "hwm_load": hwm_loaded - rss0,
    "rss_index": status("VmRSS") - rss0, "people": len(register)}))
"""


def spread(values: list[float], scale: float = 1.0, unit: str = "") -> str:
    """ "median (min–max) unit" of `values` times `scale`."""
    scaled = [v * scale for v in values]
    low, mid, high = min(scaled), statistics.median(scaled), max(scaled)
    return f"{mid:,.1f} {unit} (spread {low:,.1f}–{high:,.1f})"


def probe_load(processes: int) -> None:
    """Load the register in fresh processes and print time and memory figures."""
    figures = []
    for _ in range(processes):
        out = subprocess.run(
            [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
        )
        figures.append(json.loads(out.stdout))
    data = ROOT / "bot" / "data" / "people.json.gz"
    print(f"register: {figures[0]['people']:,} people, {data.stat().st_size:,} bytes on disk")
    print(f"fresh processes: {processes}")
    rows = [
        ("import bot.knowledge.register", "import", 1000, "ms"),
        ("Register.load()", "load", 1000, "ms"),
        ("recognition index (1st call)", "index", 1000, "ms"),
        ("extra RSS after import+load", "rss_load", 1 / 1024, "MB"),
        ("extra peak RSS (VmHWM) then", "hwm_load", 1 / 1024, "MB"),
        ("extra RSS with the index", "rss_index", 1 / 1024, "MB"),
    ]
    for label, key, scale, unit in rows:
        print(f"  {label + ':':31} {spread([f[key] for f in figures], scale, unit)}")


def headlines(corpus: Path) -> tuple[str, list[tuple[str, str]]]:
    """(where they came from, the (title, summary) pairs)."""
    if corpus.is_file():
        lines = corpus.read_text(encoding="utf-8").splitlines()
        items = [json.loads(line) for line in lines if line]
        return str(corpus), [(item["title"], item.get("summary") or "") for item in items]
    return "built-in samples", SAMPLES


def time_recognition(runs: int, corpus: Path) -> None:
    """Recognise the corpus headlines repeatedly and print headlines and mentions per second."""
    from bot.knowledge.recognise import recognise
    from bot.knowledge.register import Register

    register = Register.load()
    source, base = headlines(corpus)
    batch = base * max(1, PER_RUN // len(base))
    found = sum(len(recognise(title, summary, register, ON)) for title, summary in base)
    rates, mention_rates = [], []
    for _ in range(runs):
        started = time.perf_counter()
        mentions = 0
        for title, summary in batch:
            mentions += len(recognise(title, summary, register, ON))
        elapsed = time.perf_counter() - started
        rates.append(len(batch) / elapsed)
        mention_rates.append(mentions / elapsed)
    print(f"headlines: {source} ({len(base)} distinct, {found} mentions in them)")
    print(f"  {len(batch):,} headlines per run, {runs} runs, one core")
    print(f"  recognise: {spread(rates, unit='headlines/s')}")
    print(f"             {spread(mention_rates, unit='mentions/s')}")


def main() -> None:
    """Print the load figures, then the recognition figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=9, help="fresh processes for load")
    parser.add_argument("--runs", type=int, default=7, help="timed passes over the headlines")
    parser.add_argument("--corpus", type=Path, default=DEV, help="headlines as JSON lines")
    args = parser.parse_args()
    probe_load(args.processes)
    time_recognition(args.runs, args.corpus)


if __name__ == "__main__":
    main()
