"""The "Why" line: the longest deciding words, each once, tagged by category when there are two."""

from __future__ import annotations

import pytest

from bot.domain import CategoryInfo, Classification, Match
from bot.pipeline.evidence import evidence_phrases

LABELS = {
    "inquiry": CategoryInfo("inquiry", "Inquiry", "🔎", 0, ""),
    "pmqs": CategoryInfo("pmqs", "PMQs", "🎙️", 0, ""),
}


def m(category: str, text: str, weight: float, field: str = "title") -> Match:
    return Match(category, f"{category}.rule", field, text, weight)


@pytest.mark.parametrize(
    ("matches", "wanted", "expected"),
    [
        # Nested phrases: only the longest survives, across fields too.
        (
            [
                m("inquiry", "Sue Gray report", 2.0),
                m("inquiry", "Sue Gray", 1.5),
                m("inquiry", "report", 0.4),
                m("inquiry", "report", 0.28, "summary"),
            ],
            ["inquiry"],
            ["“Sue Gray report” in title"],
        ),
        # Hints are dropped when a deciding rule is there...
        (
            [m("inquiry", "Covid inquiry", 2.0), m("inquiry", "evidence", 0.5)],
            ["inquiry"],
            ["“Covid inquiry” in title"],
        ),
        # ...and kept when hints are all there is.
        (
            [m("inquiry", "investigation", 0.6), m("inquiry", "standards", 0.5)],
            ["inquiry"],
            ["“investigation” in title", "“standards” in title"],
        ),
        # Two categories: each phrase says which it is for.
        (
            [m("inquiry", "Privileges Committee", 2.0), m("pmqs", "PMQs", 2.0)],
            ["inquiry", "pmqs"],
            ["Inquiry: “Privileges Committee” in title", "PMQs: “PMQs” in title"],
        ),
        # Title words first, and a longer summary phrase still hides the title's part of it.
        (
            [
                m("pmqs", "Prime Minister's Questions", 2.0, "summary"),
                m("pmqs", "PMQs", 2.0),
                m("pmqs", "Questions", 1.0),
            ],
            ["pmqs"],
            ["“PMQs” in title", "“Prime Minister's Questions” in summary"],
        ),
        # Never more than four.
        (
            [m("inquiry", f"phrase number {n}", 2.0) for n in range(6)],
            ["inquiry"],
            [f"“phrase number {n}” in title" for n in range(4)],
        ),
        # A category this destination did not ask for says nothing.
        ([m("pmqs", "PMQs", 2.0)], ["inquiry"], []),
    ],
)
def test_why_phrases(matches: list[Match], wanted: list[str], expected: list[str]) -> None:
    result = Classification(tuple(sorted({x.category for x in matches})), tuple(matches))
    assert list(evidence_phrases(result, wanted, LABELS)) == expected
