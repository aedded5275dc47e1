"""Headlines: which entries a feed has shown, the story a link joins, and what is kept of each."""

from __future__ import annotations

import json
import sqlite3

import asyncpg
import pytest

from bot.store import headlines
from bot.store.connection import Database, to_db
from tests.store.helpers import T0, add_headline, add_story, at, fetch, headline


async def test_known_keys_are_per_feed_and_answer_past_the_parameter_limit(db: Database) -> None:
    keys = [f"k{n}" for n in range(1200)]
    async with db.transaction() as conn:
        rows = [headlines.NewHeadline(headline(k), (), {}, "no_category", None) for k in keys]
        await headlines.insert_headlines(conn, rows[::3], T0)  # every third key is known
    await add_headline(db, "k1", feed="Sky")  # the same key in another feed does not count
    found = await headlines.known_keys(db.conn, "BBC", [*keys, "never"])
    assert found == set(keys[::3])
    assert await headlines.known_keys(db.conn, "Sky", keys[:3]) == {"k1"}
    assert await headlines.known_keys(db.conn, "BBC", []) == set()


async def test_touch_moves_last_seen_for_those_entries_of_that_feed_only(db: Database) -> None:
    for feed, key in [("BBC", "a"), ("BBC", "b"), ("Sky", "a")]:
        await add_headline(db, key, feed=feed)
    async with db.transaction() as conn:
        await headlines.touch(conn, "BBC", ["a", "missing"], at(30))
    rows = await fetch(db, "SELECT feed, entry_key, first_seen_at, last_seen_at FROM headlines")
    assert sorted(rows) == [
        ("BBC", "a", to_db(T0), to_db(at(30))),
        ("BBC", "b", to_db(T0), to_db(T0)),
        ("Sky", "a", to_db(T0), to_db(T0)),
    ]


# Earlier headlines with the link, oldest first, as (story number or None); the answer is the
# story number a new headline with that link joins.
LINK_CASES = {
    "unseen": ([], "absent"),
    "seen once, in no story": ([None], None),
    "seen once, in a story": ([1], 1),
    "a story beats an older row without one": ([None, 2], 2),
    "the oldest row with a story wins": ([None, 1, 2], 1),
    "no row has a story": ([None, None], None),
}


@pytest.mark.parametrize(("earlier", "expected"), LINK_CASES.values(), ids=LINK_CASES.keys())
async def test_find_by_links_answers_the_story_a_link_joins(
    db: Database, earlier: list[int | None], expected: int | str | None
) -> None:
    story_ids = {1: await add_story(db, "one"), 2: await add_story(db, "two")}
    link = "https://news.example/a"
    for number, story in enumerate(earlier):
        await add_headline(db, f"e{number}", link=link, story_id=story_ids.get(story))
    await add_headline(db, "other", link="https://news.example/b", story_id=story_ids[2])
    found = await headlines.find_by_links(db.conn, [link])
    wanted = story_ids[expected] if isinstance(expected, int) else expected
    assert found.get(link, "absent") == wanted
    assert set(found) <= {link}


async def test_find_by_links_ignores_empty_links_and_answers_past_the_parameter_limit(
    db: Database,
) -> None:
    story = await add_story(db)
    await add_headline(db, "no-link", link="", story_id=story)
    links = [f"https://news.example/{n}" for n in range(1200)]
    async with db.transaction() as conn:
        rows = [
            headlines.NewHeadline(headline(f"k{n}", link=link), (), {}, "alerted", story)
            for n, link in enumerate(links)
        ]
        await headlines.insert_headlines(conn, rows[::2], T0)
    found = await headlines.find_by_links(db.conn, ["", *links])
    assert found == dict.fromkeys(links[::2], story)


async def test_insert_headlines_keeps_every_field_in_order(db: Database) -> None:
    story = await add_story(db)
    published = at(-90)
    rows = [
        headlines.NewHeadline(
            headline(
                "guid-1",
                link="https://news.example/1",
                title="Tory MP defects",
                summary="She said…",
                outlet="BBC News",
                published=published,
            ),
            ("defection", "leadership"),
            {"defection": ["defection.defects_to (title): defects"]},
            "alerted",
            story,
        ),
        headlines.NewHeadline(headline("guid-2"), (), {}, "no_category", None),
    ]
    async with db.transaction() as conn:
        await headlines.insert_headlines(conn, rows, at(5))
        await headlines.insert_headlines(conn, [], at(6))  # nothing to keep: no statement
    stored = await fetch(
        db,
        "SELECT feed, entry_key, link, title, summary, outlet, published_at, first_seen_at, "
        "last_seen_at, categories, evidence, decision, story_id FROM headlines ORDER BY id",
    )
    assert stored == [
        (
            "BBC",
            "guid-1",
            "https://news.example/1",
            "Tory MP defects",
            "She said…",
            "BBC News",
            to_db(published),
            to_db(at(5)),
            to_db(at(5)),
            "defection,leadership",
            json.dumps({"defection": ["defection.defects_to (title): defects"]}),
            "alerted",
            story,
        ),
        (
            "BBC",
            "guid-2",
            "",
            "guid-2",
            "",
            "BBC",
            None,
            to_db(at(5)),
            to_db(at(5)),
            "",
            "{}",
            "no_category",
            None,
        ),
    ]


async def test_an_entry_is_kept_once_per_feed(db: Database) -> None:
    await add_headline(db, "same")
    with pytest.raises((sqlite3.IntegrityError, asyncpg.UniqueViolationError)):
        await add_headline(db, "same")
    await add_headline(db, "same", feed="Sky")
    assert await fetch(db, "SELECT feed FROM headlines ORDER BY feed") == [("BBC",), ("Sky",)]
