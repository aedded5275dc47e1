"""History: the stories that alerted (for `latest`) and what became of a link (for `why`)."""

from __future__ import annotations

import pytest

from bot.store import events, headlines, history
from bot.store.connection import Database, to_db
from tests.store.helpers import T0, add_headline, add_story, at, headline


async def alerted_story(
    db: Database, title: str, categories: tuple[str, ...], alerted: int, outlets: list[str]
) -> int:
    story = await add_story(db, title, categories=categories)
    for number, outlet in enumerate(outlets):
        await add_headline(db, f"{title}-{number}", feed=outlet, story_id=story)
    async with db.transaction() as conn:
        await events.mark_alerted(conn, story, at(alerted))
        # Its last report came when it alerted: `latest` lists the latest reported first.
        await conn.execute(
            "UPDATE stories SET last_report_at = ? WHERE id = ?", (to_db(at(alerted)), story)
        )
    return story


# Category asked for (None: any) and limit → the titles listed, most recently alerted first.
LATEST_CASES = {
    "any category": (None, 10, ["resigns", "defects again", "defects"]),
    "limited": (None, 2, ["resigns", "defects again"]),
    "one category": ("defection", 10, ["defects again", "defects"]),
    "a category listed second": ("leadership", 10, ["resigns"]),
    "a name that only starts another": ("defect", 10, []),
}


@pytest.mark.parametrize(
    ("category", "limit", "titles"), LATEST_CASES.values(), ids=LATEST_CASES.keys()
)
async def test_latest_alerted_lists_told_events_latest_reported_first(
    db: Database, category: str | None, limit: int, titles: list[str]
) -> None:
    await alerted_story(db, "defects", ("defection",), 1, ["BBC"])
    await alerted_story(db, "resigns", ("resignation", "leadership"), 3, ["Sky"])
    await alerted_story(db, "defects again", ("defection",), 2, ["ITV"])
    await add_story(db, "never told", categories=("defection",))
    found = await history.latest_alerted(db.conn, category, limit)
    assert [s.title for s in found] == titles


async def test_an_alerted_story_lists_each_outlet_that_carried_it_once(db: Database) -> None:
    story = await alerted_story(
        db, "defects", ("defection", "leadership"), 4, ["BBC", "Sky", "BBC", "ITV"]
    )
    [found] = await history.latest_alerted(db.conn, None, 5)
    assert (found.id, found.link, found.categories, found.alerted_at) == (
        story,
        "https://news.example/defects",
        ("defection", "leadership"),
        at(4),
    )
    assert sorted(found.outlets) == ["BBC", "ITV", "Sky"]


async def test_headlines_with_link_tell_what_became_of_each_oldest_first(db: Database) -> None:
    link = "https://news.example/a"
    story = await add_story(db, "Marchmont defects")
    async with db.transaction() as conn:
        first = headlines.NewHeadline(
            headline("g1", feed="BBC", link=link, title="Marchmont defects", published=at(-30)),
            ("defection",),
            {"defection": ["defection.defects_to (title): defects"]},
            "alerted",
            story,
        )
        await headlines.insert_headlines(conn, [first], T0)
    await add_headline(db, "g2", feed="Sky", link=link, decision="duplicate_url", now=at(2))
    await add_headline(db, "g3", feed="ITV", link="https://news.example/b")
    found = await history.headlines_with_link(db.conn, link)
    assert found == [
        history.SeenHeadline(
            feed="BBC",
            title="Marchmont defects",
            link=link,
            categories=("defection",),
            evidence={"defection": ["defection.defects_to (title): defects"]},
            decision="alerted",
            story_id=story,
            story_title="Marchmont defects",
            published_at=at(-30),
            first_seen_at=T0,
        ),
        history.SeenHeadline(
            feed="Sky",
            title="g2",
            link=link,
            categories=(),
            evidence={},
            decision="duplicate_url",
            story_id=None,
            story_title=None,
            published_at=None,
            first_seen_at=at(2),
        ),
    ]
    assert await history.headlines_with_link(db.conn, "https://news.example/never") == []
