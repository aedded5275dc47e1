"""Digests for the rendering and sending tests: a realistic one, a hostile one, a huge one."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.domain import CategoryInfo, Digest, DigestItem
from tests.transports.events_data import HOSTILE

DEFECTION = CategoryInfo("defection", "Defection", "🔀", 0x9B59B6, "Party changes")
STANDARDS = CategoryInfo("standards", "Standards", "⚖️", 0xC0392B, "Standards cases")
ELECTIONS = CategoryInfo("elections", "Elections", "🗳️", 0x2980B9, "Elections")
SINCE = datetime(2024, 3, 6, 22, 0, tzinfo=UTC)
UNTIL = datetime(2024, 3, 7, 7, 0, tzinfo=UTC)
LONG_TITLE = "Very long headline about the Privileges Committee and its finding " * 40
LONG_URL = "https://news.example/" + "a" * 1800


def items() -> tuple[DigestItem, ...]:
    """Three events, most-reported first; the second was alerted here before and grew since."""
    return (
        DigestItem(
            1,
            "Tory MP Jane Marchmont defects to Labour",
            "https://news.example/defection",
            (DEFECTION,),
            6,
            ("BBC News", "The Guardian", "Sky News"),
        ),
        DigestItem(
            2,
            "Johnson misled Parliament, Privileges Committee finds",
            "https://news.example/privileges",
            (STANDARDS, ELECTIONS),
            4,
            ("The Telegraph", "BBC News"),
            updated=True,
        ),
        DigestItem(
            3,
            "By-election called in Somewhere North",
            "https://news.example/by-election",
            (ELECTIONS,),
            1,
            ("PoliticsHome",),
        ),
    )


def digest(reason: str = "quiet", **changes: object) -> Digest:
    """What quiet hours from 22:00 to 07:00 UTC held back (or a digest or a mute, by reason)."""
    base = Digest(reason=reason, since=SINCE, until=UNTIL, items=items())
    return replace(base, **changes)  # type: ignore[arg-type]


def hostile_digest() -> Digest:
    """Titles, outlets and category labels that try to ping and inject markup or links."""
    hostile_category = CategoryInfo("x", HOSTILE, "⚠️", 0, "")
    sneaky_link = "https://news.example/x) [y](https://evil.example"
    hostile = (
        DigestItem(7, HOSTILE, sneaky_link, (hostile_category,), 2, (HOSTILE, "BBC News")),
        DigestItem(8, f"<!subteam^S0ALL> <@42> {HOSTILE}", "javascript:x", (), 1, (HOSTILE,)),
    )
    return digest("digest", items=hostile)


def huge_digest(count: int = 10, **changes: object) -> Digest:
    """`count` events whose titles, links and outlets are as long as a feed could make them."""
    huge = tuple(
        DigestItem(
            n,
            f"{n} {LONG_TITLE}",
            LONG_URL + str(n),
            (DEFECTION, STANDARDS, ELECTIONS),
            500 - n,
            tuple(f"Outlet number {k} " + "x" * 300 for k in range(40)),
            updated=n % 2 == 0,
        )
        for n in range(count)
    )
    return digest("muted", items=huge, since=SINCE - timedelta(days=3), **changes)
