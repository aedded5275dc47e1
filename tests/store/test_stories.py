"""Who carried an event: "also reported by"."""

from __future__ import annotations

import pytest

from bot.domain import Signature
from bot.store import stories
from bot.store.connection import Database
from tests.store.helpers import add_headline, add_story

SIGNATURE = Signature(
    names=frozenset({"marchmont", "reform"}),
    content=frozenset({"defect", "mp"}),
    numbers=frozenset({"2"}),
    events=frozenset({"defect"}),
    leads=frozenset({"tory"}),
)


# Headlines of the story as (outlet) in the order they were seen; the outlet asking; the answer.
OUTLET_CASES = {
    "the asking outlet is left out": (["BBC", "Sky", "ITV"], "BBC", ("Sky", "ITV")),
    "in the order they first reported": (["Sky", "BBC", "ITV", "Sky"], "ITV", ("Sky", "BBC")),
    "each outlet once": (["BBC", "Sky", "Sky"], "BBC", ("Sky",)),
    "only the asking outlet": (["BBC", "BBC"], "BBC", ()),
    "no headlines yet": ([], "BBC", ()),
    "an outlet outside the story": (["BBC"], "Times", ("BBC",)),
}


@pytest.mark.parametrize(
    ("outlets", "asking", "expected"), OUTLET_CASES.values(), ids=OUTLET_CASES.keys()
)
async def test_also_reported_by(
    db: Database, outlets: list[str], asking: str, expected: tuple[str, ...]
) -> None:
    story = await add_story(db)
    other = await add_story(db, "another story")
    for number, outlet in enumerate(outlets):
        await add_headline(db, f"h{number}", feed=f"feed{number}", outlet=outlet, story_id=story)
    await add_headline(db, "elsewhere", outlet="Guardian", story_id=other)
    await add_headline(db, "loose", outlet="Mirror")
    assert await stories.also_reported_by(db.conn, story, asking) == expected
