"""Stories: created from a first headline, read back for matching, marked told, who carried them."""

from __future__ import annotations

import json

import pytest

from bot.domain import Signature
from bot.store import stories
from bot.store.connection import Database, to_db
from tests.store.helpers import T0, add_headline, add_story, at, fetch

SIGNATURE = Signature(
    names=frozenset({"marchmont", "reform"}),
    content=frozenset({"defect", "mp"}),
    numbers=frozenset({"2"}),
    events=frozenset({"defect"}),
    leads=frozenset({"tory"}),
)


async def test_a_story_is_stored_as_created_and_read_back_for_matching(db: Database) -> None:
    story = await add_story(
        db, "Marchmont defects", categories=("defection", "leadership"), signature=SIGNATURE
    )
    [row] = await fetch(
        db, "SELECT id, created_at, title, link, categories, signature, alerted_at FROM stories"
    )
    assert row[:5] == (
        story,
        to_db(T0),
        "Marchmont defects",
        "https://news.example/Marchmont defects",
        "defection,leadership",
    )
    assert Signature.from_json(json.loads(row[5])) == SIGNATURE
    assert row[6] is None
    [ref] = await stories.recent_stories(db.conn, T0)
    assert ref == stories.StoryRef(story, ("defection", "leadership"), SIGNATURE, None)


async def test_recent_stories_are_those_created_in_the_window_newest_first(db: Database) -> None:
    old = await add_story(db, "old", now=at(-60))
    first = await add_story(db, "first", now=at(0))
    second = await add_story(db, "second", now=at(0))  # same moment: the later id comes first
    third = await add_story(db, "third", now=at(10))
    assert [s.id for s in await stories.recent_stories(db.conn, at(0))] == [third, second, first]
    assert [s.id for s in await stories.recent_stories(db.conn, at(-60))][-1] == old
    assert await stories.recent_stories(db.conn, at(11)) == []


async def test_marking_a_story_alerted_shows_in_the_window(db: Database) -> None:
    story = await add_story(db)
    other = await add_story(db, "other")
    async with db.transaction() as conn:
        await stories.mark_story_alerted(conn, story, at(3))
    assert await fetch(db, "SELECT id, alerted_at FROM stories ORDER BY id") == [
        (story, to_db(at(3))),
        (other, None),
    ]
    by_id = {s.id: s.alerted_at for s in await stories.recent_stories(db.conn, T0)}
    assert by_id == {story: at(3), other: None}


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
