"""`replay`'s option types, apart from the replay itself so building the parser stays cheap."""

from __future__ import annotations

import argparse

MIN_EVERY_S, MAX_EVERY_S = 10, 86_400  # the range of [polling] interval


def every_seconds(text: str) -> float:
    """argparse type for `--every`: seconds between polls, 10 to 86,400."""
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not MIN_EVERY_S <= seconds <= MAX_EVERY_S:
        raise argparse.ArgumentTypeError(
            f"must be {MIN_EVERY_S} to {MAX_EVERY_S:,} seconds (got {text}): feeds are never "
            f"polled more often than every {MIN_EVERY_S} s"
        )
    return seconds


def category_list(text: str) -> tuple[str, ...]:
    """argparse type for `--categories a,b`: the names, in order, without blanks or repeats."""
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    if not names:
        raise argparse.ArgumentTypeError("name at least one category")
    return names
