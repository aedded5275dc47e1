"""Load: 500 feeds × 50 items and 1,000 webhook subscriptions in one cycle, everything once.

Five stories are each carried by ten outlets (story dedupe makes each one alert); the other
items are uncategorised notices. So one cycle reads 25,000 items and sends 5 × 1,000 alerts.
Duration and peak RSS are printed, never asserted.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.reliability import documents as docs
from tests.reliability.figures import Row, mb, record
from tests.reliability.helpers import run_scenario
from tests.support.chat_server import ChatServer
from tests.support.feed_server import FeedServerThread
from tests.support.rss import Item, rss_feed

FEEDS, ITEMS, HOOKS, STORIES, OUTLETS_PER_STORY = 500, 50, 1000, 5, 10


def outlet_feed(number: int) -> bytes:
    """Feed `number`: maybe one outlet's report of a shared story, then its own notices."""
    items: list[Item] = []
    story = number // OUTLETS_PER_STORY
    if story < STORIES:
        shared = docs.defection("load", story, minutes_ago=10)
        # Each outlet words the link its own way; the story (same MP, same event) is one.
        shared.link = f"https://outlet{number}.example/politics/{story}"
        shared.guid = f"outlet{number}-story{story}"
        items.append(shared)
    items += [
        Item(
            f"Outlet {number} notice {i}: roadworks on the B{number}{i}",
            f"https://outlet{number}.example/notice/{i}",
            guid=f"outlet{number}-notice{i}",
            published=docs.now(),
        )
        for i in range(ITEMS - len(items))
    ]
    return rss_feed(f"Outlet {number}", items)


def hook_path(number: int) -> str:
    return f"/{'discord' if number % 2 else 'slack'}/load{number}"


def titles(chat: ChatServer, path: str) -> list[str]:
    posts = chat.received(path)
    if path.startswith("/slack"):
        return [post["text"] for post in posts]
    return [post["embeds"][0]["title"] for post in posts]


def test_500_feeds_and_1000_subscriptions_in_one_cycle_deliver_everything_once(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    for number in range(FEEDS):
        feeds.set_feed(f"/outlet{number}.xml", outlet_feed(number))
    report = run_scenario(
        tmp_path,
        feeds={f"Outlet {n}": feeds.url(f"/outlet{n}.xml") for n in range(FEEDS)},
        webhooks=[
            (hook_path(n).split("/")[1], chat.url(hook_path(n)), f"desk {n}", None)
            for n in range(HOOKS)
        ],
        polling={"timeout": 60},
    )
    outcomes = report["polls"][0]
    assert Counter(o["status"] for o in outcomes) == {"changed": FEEDS}
    assert sum(o["new"] for o in outcomes) == FEEDS * ITEMS
    assert sum(o["alerts"] for o in outcomes) == STORIES
    assert (report["sent"], report["retrying"], report["failed"]) == (STORIES * HOOKS, 0, 0)
    expected = [docs.defection("load", s).title for s in range(STORIES)]
    lost = repeats = 0
    for number in range(HOOKS):
        got = Counter(t for t in titles(chat, hook_path(number)) for e in expected if e in t)
        lost += sum(1 for e in expected if not any(e in t for t in got))
        repeats += sum(n - 1 for n in got.values())
    assert (lost, repeats) == (0, 0)
    seconds, peak = report["seconds"], report["peak_rss_kb"]
    record(
        Row(
            "load",
            f"{FEEDS} feeds × {ITEMS} items, {HOOKS} webhook subscriptions, one cycle",
            lost,
            repeats,
            peak_mb=f"{mb(peak['main'])} + worker {mb(peak['worker'])}",
            note=f"poll {seconds['poll']:.1f} s, deliver {STORIES * HOOKS} alerts "
            f"{seconds['deliver']:.1f} s",
        )
    )
