"""The real `division-bell poll`, as a subprocess, against a loopback feed server and webhooks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support import stored
from tests.support.chat_server import ChatServer
from tests.support.cli import run_cli, write_config
from tests.support.feed_server import FeedServerThread
from tests.support.rss import Item, atom_feed, rss_feed

# Tests of what is stored (events, outbox, destinations) run on SQLite and again on PostgreSQL;
# those only about fetching or formatting run once, on SQLite.
ON_BOTH_BACKENDS = pytest.mark.usefixtures("cli_backend")

NOW = datetime.now(UTC)


def ago(minutes: float) -> datetime:
    """A publication time `minutes` before the test started."""
    return NOW - timedelta(minutes=minutes)


DEFECTION = Item(
    "Tory MP Jane Marchmont defects to Labour",
    "https://news.example/politics/marchmont-defects?utm_source=rss",
    guid="bbc-1#0",
    published=ago(20),
    summary="The MP for Eastshire crossed the floor minutes before Prime Minister's Questions.",
)
LETTERS = Item(
    "Tory MPs submit letters of no confidence in the prime minister to the 1922 Committee",
    "https://news.example/politics/letters-1922",
    guid="bbc-2",
    published=ago(30),
)
PMQS = Item(
    "PMQs: Opposition leader tells prime minister to resign over parties",
    "https://news.example/politics/pmqs",
    guid="bbc-3",
    published=ago(25),
)
ORDINARY = Item(
    "Energy bills set to rise as price cap review nears",
    "https://news.example/business/energy",
    guid="bbc-4",
    published=ago(10),
)
OLD_DEFECTION = Item(
    "Lib Dem councillor Sam Oakley defects to the Greens",
    "https://news.example/politics/oakley",
    guid="bbc-5",
    published=ago(5 * 60),  # outside the 3-hour backfill window: silent on a first poll
)


def titles(posts: list[Any]) -> list[str]:
    """Headline titles from Discord webhook payloads (embed titles carry emoji and label)."""
    return [p["embeds"][0]["title"] for p in posts]


def poll(folder: Path) -> None:
    result = run_cli(["--config", str(folder / "division-bell.toml"), "poll"], cwd=folder)
    assert result.returncode == 0, result.stderr


@ON_BOTH_BACKENDS
def test_first_poll_alerts_recent_items_once_and_restart_asks_conditionally(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    feeds.set_feed("/bbc.xml", rss_feed("BBC", [DEFECTION, LETTERS, PMQS, ORDINARY, OLD_DEFECTION]))
    hook = "/discord/all"
    write_config(
        tmp_path,
        feeds={"BBC Politics": feeds.url("/bbc.xml")},
        webhooks=[{"platform": "discord", "url": chat.url(hook)}],
    )
    poll(tmp_path)
    got = titles(chat.received(hook))
    assert len(got) == 3
    assert any("Marchmont" in t for t in got)
    assert any("1922" in t for t in got)
    assert any("PMQs" in t for t in got)
    assert not any("Energy" in t or "Oakley" in t for t in got)

    # A restart: nothing new is sent, and the feed is asked conditionally.
    poll(tmp_path)
    assert len(chat.received(hook)) == 3
    second = feeds.requests_for("/bbc.xml")[-1]
    assert second.headers.get("If-None-Match")

    # A new item alerts once; a retitled, re-dated one does not; BBC's #1 GUID is the #0 entry.
    new = Item(
        "Privileges Committee opens inquiry into former minister",
        "https://news.example/p",
        guid="bbc-6",
        published=ago(1),
    )
    retitled = Item(
        "UPDATED: Tory MP Jane Marchmont defects to Labour party",
        DEFECTION.link,
        guid="bbc-1#1",
        published=ago(0.5),
    )
    feeds.set_feed("/bbc.xml", rss_feed("BBC", [new, retitled, LETTERS, PMQS, ORDINARY]))
    poll(tmp_path)
    got = titles(chat.received(hook))
    assert len(got) == 4
    assert "Privileges Committee" in got[-1]


@ON_BOTH_BACKENDS
def test_story_carried_by_two_outlets_alerts_once_but_two_defections_alert_twice(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    first = Item(
        "Tory MP Christian Wakeford defects to Labour",
        "https://one.example/wakeford",
        guid="one-1",
        published=ago(30),
    )
    same = Item(
        "Christian Wakeford: Tory MP defects to Labour in blow to Boris Johnson",
        "https://two.example/2022/wakeford",
        guid="two-1",
        published=ago(20),
    )
    other_mp = Item(
        "Tory MP Dan Poulter defects to Labour",
        "https://two.example/2022/poulter",
        guid="two-2",
        published=ago(10),
    )
    feeds.set_feed("/one.xml", rss_feed("One", [first]))
    feeds.set_feed("/two.atom", atom_feed("Two", [same, other_mp]))
    hook = "/discord/hook"
    write_config(
        tmp_path,
        feeds={"Outlet One": feeds.url("/one.xml"), "Outlet Two": feeds.url("/two.atom")},
        webhooks=[{"platform": "discord", "url": chat.url(hook)}],
    )
    poll(tmp_path)
    got = titles(chat.received(hook))
    assert sum("Wakeford" in t for t in got) == 1
    assert sum("Poulter" in t for t in got) == 1
    [(joined,)] = stored.fetch(
        tmp_path,
        "SELECT COUNT(*) FROM headlines WHERE decision IN ('joined_story', 'alerted') "
        "AND title LIKE '%Wakeford%'",
    )
    assert joined == 2  # both reports kept, one alert


def test_broken_and_down_feeds_do_not_stop_the_others(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    feeds.set_feed("/good.xml", rss_feed("Good", [DEFECTION]))
    feeds.set_fault("/broken.xml", "malformed")
    feeds.set_fault("/down.xml", "status", status=500)
    hook = "/discord/hook"
    write_config(
        tmp_path,
        feeds={
            "Broken Feed": feeds.url("/broken.xml"),
            "Down Feed": feeds.url("/down.xml"),
            "Refused Feed": "http://127.0.0.1:9/feed.xml",
            "Good Feed": feeds.url("/good.xml"),
        },
        webhooks=[{"platform": "discord", "url": chat.url(hook)}],
    )
    result = run_cli(["--config", "division-bell.toml", "poll"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(chat.received(hook)) == 1
    for name in ("Broken Feed", "Down Feed", "Refused Feed"):
        lines = [line for line in result.stderr.splitlines() if f"feed {name}:" in line]
        assert len(lines) == 1, (name, result.stderr)
    assert "Traceback" not in result.stderr


@ON_BOTH_BACKENDS
def test_webhook_429_then_500_still_gets_each_alert_exactly_once(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    feeds.set_feed("/bbc.xml", rss_feed("BBC", [DEFECTION, LETTERS]))
    hook = "/discord/flaky"
    chat.script(hook, [429, 500])
    write_config(
        tmp_path,
        feeds={"BBC": feeds.url("/bbc.xml")},
        webhooks=[{"platform": "discord", "url": chat.url(hook)}],
    )
    poll(tmp_path)
    got = titles(chat.received(hook))
    assert len(got) == 2
    assert len(set(got)) == 2
    assert len(chat.attempts(hook)) == 4
    poll(tmp_path)
    assert len(chat.received(hook)) == 2


@ON_BOTH_BACKENDS
def test_a_webhook_down_all_poll_leaves_each_alert_queued_once_and_says_so(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    feeds.set_feed("/bbc.xml", rss_feed("BBC", [DEFECTION, LETTERS]))
    hook = "/discord/down"
    chat.script(hook, [503] * 3)
    write_config(
        tmp_path,
        feeds={"BBC": feeds.url("/bbc.xml")},
        webhooks=[{"platform": "discord", "url": chat.url(hook)}],
    )
    result = run_cli(["--config", "division-bell.toml", "poll"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # 3 tries of the oldest; the other waits behind it so the channel keeps its order.
    assert len(chat.attempts(hook)) == 3, result.stderr
    # Two alerts wait (rows, not the three failed tries).
    assert "0 sent, 2 left queued, 0 held for broken or paused destinations" in result.stderr
    assert stored.fetch(tmp_path, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'") == [(2,)]


@ON_BOTH_BACKENDS
def test_deleted_webhook_is_marked_broken_and_not_retried_forever(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    feeds.set_feed("/bbc.xml", rss_feed("BBC", [DEFECTION, LETTERS]))
    hook = "/discord/deleted"
    chat.script(hook, [404, 404, 404, 404])
    write_config(
        tmp_path,
        feeds={"BBC": feeds.url("/bbc.xml")},
        webhooks=[{"platform": "discord", "url": chat.url(hook), "name": "desk hook"}],
    )
    result = run_cli(["--config", "division-bell.toml", "poll"], cwd=tmp_path)
    assert result.returncode == 0
    assert len(chat.attempts(hook)) == 1
    assert "0 sent, 0 left queued, 2 held for broken or paused destinations" in result.stderr
    assert "desk hook" in result.stderr
    assert chat.url(hook) not in result.stderr + result.stdout
    [(reason,)] = stored.fetch(
        tmp_path, "SELECT broken_reason FROM destinations WHERE label = 'desk hook'"
    )
    assert reason


@ON_BOTH_BACKENDS
def test_a_named_webhook_keeps_its_held_alerts_when_its_url_changes(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    feeds.set_feed("/bbc.xml", rss_feed("BBC", [DEFECTION, LETTERS]))
    deleted, replacement = "/discord/deleted", "/discord/new"
    chat.script(deleted, [404])

    def poll_with(path: str) -> str:
        write_config(
            tmp_path,
            feeds={"BBC": feeds.url("/bbc.xml")},
            webhooks=[{"platform": "discord", "url": chat.url(path), "name": "desk hook"}],
        )
        result = run_cli(["--config", "division-bell.toml", "poll"], cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        return result.stderr

    assert "2 held for broken or paused destinations" in poll_with(deleted)
    # The user pastes a new webhook URL under the same name: the held alerts go there.
    stderr = poll_with(replacement)
    assert "desk hook: its URL or platform changed; trying it again" in stderr
    assert "2 sent, 0 left queued, 0 held" in stderr
    got = titles(chat.received(replacement))
    assert len(got) == 2
    assert any("Marchmont" in t for t in got)
    assert any("letters of no confidence" in t for t in got)
    assert len(chat.attempts(deleted)) == 1
    rows = stored.fetch(tmp_path, "SELECT key, broken_reason FROM destinations")
    assert rows == [("webhook:name:desk hook", None)]
    assert chat.url(replacement) not in stderr


@ON_BOTH_BACKENDS
def test_poll_exits_3_when_no_feed_could_be_fetched_after_delivering_what_it_could(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    feeds.set_feed("/bbc.xml", rss_feed("BBC", [DEFECTION]))
    hook = "/discord/flaky"
    chat.script(hook, [500, 500, 500])  # the first poll leaves its alert queued
    config = {"webhooks": [{"platform": "discord", "url": chat.url(hook), "name": "desk"}]}
    write_config(tmp_path, feeds={"BBC": feeds.url("/bbc.xml")}, **config)
    first = run_cli(["--config", "division-bell.toml", "poll"], cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "0 sent, 1 left queued" in first.stderr
    # Its retry falls due at once.
    stored.execute(tmp_path, "UPDATE outbox SET next_attempt_at = '2000-01-01T00:00:00+00:00'")
    # Every feed down now (cron would want to know), but what is queued still goes out.
    feeds.set_fault("/bbc.xml", "status", status=503)
    second = run_cli(["--config", "division-bell.toml", "poll"], cwd=tmp_path)
    assert second.returncode == 3, second.stderr
    assert "1 sent, 0 left queued" in second.stderr
    assert "no feed could be fetched (1 failed, 0 backing off); exit 3" in second.stderr
    assert "Traceback" not in second.stderr
    assert len(chat.received(hook)) == 1


def test_configured_webhook_mentions_ping_exactly_that_and_nothing_from_the_feed(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    shouting = Item(
        "@everyone Tory MP Jane Marchmont defects to Labour @here <!channel>",
        "https://news.example/politics/marchmont",
        guid="m-1",
        published=ago(5),
    )
    feeds.set_feed("/bbc.xml", rss_feed("BBC", [shouting]))
    write_config(
        tmp_path,
        feeds={"BBC": feeds.url("/bbc.xml")},
        webhooks=[
            {
                "platform": "discord",
                "url": chat.url("/discord/desk"),
                "name": "desk",
                "mention": "<@&123456789012345678>",
            },
            {
                "platform": "slack",
                "url": chat.url("/slack/team"),
                "name": "team",
                "mention": "@here",
            },
        ],
    )
    result = run_cli(["--config", "division-bell.toml", "poll"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (discord,) = chat.received("/discord/desk")
    assert discord["content"] == "<@&123456789012345678>"
    assert discord["allowed_mentions"] == {"parse": [], "roles": ["123456789012345678"]}
    assert "@everyone" not in json.dumps(discord["embeds"], ensure_ascii=False)
    (slack,) = chat.received("/slack/team")
    assert slack["text"].startswith("<!here> ")
    assert slack["text"].count("<!") == 1  # the configured ping, and the feed's <!channel> inert


@ON_BOTH_BACKENDS
def test_a_new_webhook_with_recent_catches_up_on_the_last_day_and_others_do_not(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    feeds.set_feed("/bbc.xml", rss_feed("BBC", [DEFECTION]))
    desk = {"platform": "discord", "url": chat.url("/discord/desk"), "name": "desk"}
    write_config(tmp_path, feeds={"BBC": feeds.url("/bbc.xml")}, webhooks=[desk])
    assert run_cli(["--config", "division-bell.toml", "poll"], cwd=tmp_path).returncode == 0
    late = {"platform": "discord", "url": chat.url("/discord/late"), "name": "late"}
    quiet = {"platform": "slack", "url": chat.url("/slack/quiet"), "name": "quiet"}
    write_config(
        tmp_path,
        feeds={"BBC": feeds.url("/bbc.xml")},
        webhooks=[desk, {**late, "recent": "true"}, quiet],
    )
    text = (tmp_path / "division-bell.toml").read_text(encoding="utf-8")
    (tmp_path / "division-bell.toml").write_text(
        text.replace('recent = "true"', "recent = true"), encoding="utf-8"
    )
    second = run_cli(["--config", "division-bell.toml", "poll"], cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "webhook late: new; alerts from the last 24 hours queued: 1" in second.stderr
    assert titles(chat.received("/discord/late")) == titles(chat.received("/discord/desk"))
    assert len(chat.received("/discord/desk")) == 1  # never twice to the first one
    assert chat.received("/slack/quiet") == []  # off unless asked for


def test_hostile_feed_text_pings_nobody(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    hostile = Item(
        "@everyone Tory MP <@&123456789012345678> defects to Labour <!channel> @here",
        "https://news.example/hostile",
        guid="h-1",
        published=ago(5),
        summary="<!everyone> <@U024BE7LH> [click](javascript:alert(1)) @channel @all",
    )
    feeds.set_feed("/bbc.xml", rss_feed("BBC", [hostile]))
    write_config(
        tmp_path,
        feeds={"BBC": feeds.url("/bbc.xml")},
        webhooks=[
            {"platform": "discord", "url": chat.url("/discord/h")},
            {"platform": "slack", "url": chat.url("/slack/h")},
        ],
    )
    poll(tmp_path)
    [discord] = chat.received("/discord/h")
    assert discord["allowed_mentions"] == {"parse": []}
    assert "content" not in discord or "@everyone" not in discord["content"]
    [slack] = chat.received("/slack/h")
    text = json.dumps(slack, ensure_ascii=False)
    for ping in ("<!channel>", "<!everyone>", "<!here>", "<@U024BE7LH>", "<@&"):
        assert ping not in text
    for bare in ("@channel", "@here", "@everyone", "@all"):
        assert f" {bare} " not in f" {slack['text']} "
    assert "javascript:" not in text.replace("javascript:alert", "") or "](javascript" not in text


@ON_BOTH_BACKENDS
def test_slack_webhook_subscribed_to_one_category_gets_only_that_category(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    feeds.set_feed("/bbc.xml", rss_feed("BBC", [DEFECTION, LETTERS, PMQS]))
    write_config(
        tmp_path,
        feeds={"BBC": feeds.url("/bbc.xml")},
        webhooks=[{"platform": "slack", "url": chat.url("/slack/pmqs"), "categories": ["pmqs"]}],
    )
    poll(tmp_path)
    posts = chat.received("/slack/pmqs")
    assert len(posts) == 1
    assert "PMQs" in posts[0]["text"]
    assert posts[0]["unfurl_links"] is False


@ON_BOTH_BACKENDS
def test_two_polls_at_once_on_one_database_send_each_alert_once(
    tmp_path: Path, feeds: FeedServerThread, chat: ChatServer
) -> None:
    import subprocess
    import sys

    feeds.set_feed("/bbc.xml", rss_feed("BBC", [DEFECTION, LETTERS, PMQS]))
    hook = "/discord/both"
    write_config(
        tmp_path,
        feeds={"BBC": feeds.url("/bbc.xml")},
        webhooks=[{"platform": "discord", "url": chat.url(hook)}],
    )
    env = {"DIVISION_BELL_DATA": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    if url := stored.database_url():
        env["DATABASE_URL"] = url
    command = [sys.executable, "-m", "bot", "--config", "division-bell.toml", "poll"]
    running = [
        subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    finished = [(process.communicate(timeout=120)[1], process.returncode) for process in running]
    if stored.backend() == "sqlite":  # SQLite's write lock makes them take turns
        assert all(code == 0 for _, code in finished), finished
    else:  # PostgreSQL: one holds the leader lock; one racing it is refused, never doubled
        assert any(code == 0 for _, code in finished), finished
        for err, code in finished:
            assert code == 0 or (code == 1 and "holds the leader lock" in err), err
    got = titles(chat.received(hook))
    assert len(got) == 3
    assert len(set(got)) == 3
