"""One lemon24/reader cycle as a whole process: `python benchmarks/reader_cycle.py DB URLS_FILE`.

Standalone on purpose (imports nothing from this project), so reader's process holds only what
reader itself needs and its RSS is comparable with `division-bell poll`'s. See reader_side.py for
why `scheduled=False` is the one setting changed from reader's defaults.
"""

from __future__ import annotations

import sys
from pathlib import Path

from reader import make_reader


def main(db: str, urls_file: str) -> None:
    """Make sure every feed is added, then update them all."""
    urls = [u for u in Path(urls_file).read_text(encoding="utf-8").split() if u]
    with make_reader(db) as reader:
        for url in urls:
            reader.add_feed(url, exist_ok=True)
        reader.update_feeds(scheduled=False)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
