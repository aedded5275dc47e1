"""Alerts through the real Deliverer and outbox to the Slack stand-in, and each error's effect."""

from __future__ import annotations

import json
import logging
import types
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from slack_sdk.http_retry import builtin_async_handlers

from bot.commands import Channel
from bot.delivery.messages import dump_message
from bot.delivery.updates import arm
from bot.domain import Alert, Destination, Headline, Overflow, OverflowItem, story_key
from bot.pipeline.classify import Classifier
from bot.store import destinations as dest_store
from bot.store import headlines, outbox
from bot.store.connection import from_db
from bot.transports.slack.sender import PAUSE_REASONS
from tests.store.helpers import add_story
from tests.support.slack_api import SlackApi
from tests.support.slack_data import BOT_TOKEN, Failure, ratelimited
from tests.transports.slack.conftest import MakeRig
from tests.transports.slack.helpers import ADMIN_CALLER, POLITICS, START, Rig

LOBBY = Channel("C0LOBBY", "#lobby")
CATEGORIES = Classifier.load().categories


def alert(story_id: int, title: str = "Tory MP Jane Marchmont defects to Labour") -> Alert:
    """A defection alert as routing would queue it (no mention)."""
    return Alert(
        story_id=story_id,
        title=title,
        link=f"https://news.example/story-{story_id}",
        summary="The MP for Somewhere said the party had left her.",
        outlet="BBC News",
        published=START,
        categories=(CATEGORIES["defection"],),
        evidence=('title: "defects to Labour"',),
    )


async def queue(
    rig: Rig, channel: Channel, *alerts: Alert | Overflow, mention: str | None = None
) -> int:
    """Subscribe `channel` the way /westminster does, and queue alerts for it; its id."""
    reply = await rig.commands.subscribe(ADMIN_CALLER, channel, "defection", mention=mention)
    assert reply.ok
    destination = await dest_store.find_destination(rig.db.conn, channel.key(ADMIN_CALLER))
    assert destination is not None
    async with rig.db.transaction() as conn:
        for number, item in enumerate(alerts):
            await outbox.enqueue(
                conn, destination.id, f"item:{number}", dump_message(item), rig.clock()
            )
    return destination.id


async def pending(rig: Rig) -> list[dict[str, Any]]:
    """Every outbox row's status, next attempt and last error, oldest first."""
    async with rig.db.conn.execute(
        "SELECT status, next_attempt_at, last_error FROM outbox ORDER BY id"
    ) as cursor:
        rows = await cursor.fetchall()
    return [{"status": r[0], "next": from_db(r[1]), "error": r[2]} for r in rows]


async def test_alert_is_posted_with_blocks_fallback_text_and_no_unfurls(rig: Rig) -> None:
    # Routing copies the subscription's user group into the alert when it is queued.
    await queue(rig, POLITICS, replace(alert(1), mention="S0WHIPS"), mention="S0WHIPS")
    report = await rig.deliverer.deliver_due()
    assert report.sent == 1
    [post] = rig.slack.posts("C0POLITICS")
    heading = post["blocks"][0]["text"]["text"]
    assert heading == (
        "<!subteam^S0WHIPS> 🔀 Defection: "
        "<https://news.example/story-1|Tory MP Jane Marchmont defects to Labour>"
    )
    assert post["blocks"][-1]["type"] == "context"
    context = " ".join(e["text"] for e in post["blocks"][-1]["elements"])
    assert "BBC News" in context
    assert "<!date^1709726400^{date_short_pretty} {time}|06 Mar 2024 12:00 UTC>" in context
    assert post["text"].startswith("<!subteam^S0WHIPS> 🔀 Defection: <https://news.example/")
    assert post["unfurl_links"] is False
    assert post["unfurl_media"] is False
    [row] = await pending(rig)
    assert row["status"] == "sent"


async def test_feed_text_cannot_ping_or_inject_links(rig: Rig) -> None:
    hostile = alert(2, "<!channel> @here <!subteam^S0ALL> defects <https://evil.example|click>")
    await queue(rig, POLITICS, hostile)
    await rig.deliverer.deliver_due()
    [post] = rig.slack.posts("C0POLITICS")
    sent = json.dumps(post, ensure_ascii=False)
    for ping in ("<!channel>", "<!subteam^S0ALL>", "<!here>", "<https://evil.example"):
        assert ping not in sent
    assert "@here" not in sent  # Mattermost-style bare mentions are broken too
    assert "<!subteam" not in sent  # no mention was routed, so none at all


async def test_an_overflow_summary_is_posted_as_blocks_too(rig: Rig) -> None:
    items = tuple(
        OverflowItem(f"Headline {n} @channel", f"https://news.example/{n}", "pmqs")
        for n in range(12)
    )
    await queue(rig, POLITICS, Overflow("BBC", "BBC News", items))
    assert (await rig.deliverer.deliver_due()).sent == 1
    [post] = rig.slack.posts("C0POLITICS")
    assert post["blocks"][0]["text"]["text"] == "📰 12 more headlines from BBC News"
    assert post["blocks"][1]["text"]["text"].endswith("and 2 more")
    assert "@channel" not in json.dumps(post, ensure_ascii=False)


@pytest.mark.parametrize("code", sorted(PAUSE_REASONS))
async def test_channel_errors_pause_the_subscription_with_the_reason_in_status(
    rig: Rig, code: str
) -> None:
    rig.slack.fail("C0POLITICS", Failure(code))
    await queue(rig, POLITICS, alert(1), alert(2))
    report = await rig.deliverer.deliver_due()
    assert report.failed == 1
    destination = await dest_store.find_destination(rig.db.conn, POLITICS.key(ADMIN_CALLER))
    assert destination is not None
    assert destination.broken_reason == PAUSE_REASONS[code]
    status = (await rig.commands.status(ADMIN_CALLER)).plain()
    assert f"• #politics: {PAUSE_REASONS[code]}" in status
    # Paused means paused: nothing more is tried until someone subscribes again.
    rig.clock.advance(3600)
    assert (await rig.deliverer.deliver_due()).sent == 0
    assert len(rig.slack.calls("chat.postMessage")) == 1
    await rig.commands.subscribe(ADMIN_CALLER, POLITICS, "defection")
    # Both alerts go out once it is fixed, the refused one included: nothing is lost.
    assert (await rig.deliverer.deliver_due()).sent == 2


async def test_a_short_rate_limit_is_waited_out_in_place(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    # slack-sdk's rate-limit handler sleeps Retry-After plus up to 1 s of jitter.
    monkeypatch.setattr(builtin_async_handlers, "asyncio", types.SimpleNamespace(sleep=sleep))
    rig.slack.fail("C0POLITICS", ratelimited(2))
    await queue(rig, POLITICS, alert(1))
    report = await rig.deliverer.deliver_due()
    assert report.sent == 1
    assert len(waits) == 1
    assert 2 <= waits[0] <= 3
    assert [c.status for c in rig.slack.calls("chat.postMessage")] == [429, 200]


async def test_a_long_rate_limit_goes_back_to_the_outbox_until_due(rig: Rig) -> None:
    rig.slack.fail("C0POLITICS", ratelimited(30))
    await queue(rig, POLITICS, alert(1))
    assert (await rig.deliverer.deliver_due()).retrying == 1
    [row] = await pending(rig)
    assert row["next"] == START + timedelta(seconds=30)
    assert row["error"] == "rate limited by Slack"
    rig.clock.advance(29)
    assert (await rig.deliverer.deliver_due()).sent == 0
    rig.clock.advance(1)
    assert (await rig.deliverer.deliver_due()).sent == 1
    assert len(rig.slack.posts("C0POLITICS")) == 1


async def test_server_errors_are_retried_with_backoff(rig: Rig) -> None:
    rig.slack.fail("C0POLITICS", Failure(status=500), Failure(status=503))
    await queue(rig, POLITICS, alert(1))
    first = await rig.deliverer.deliver_due()
    assert first.retrying == 1
    [row] = await pending(rig)
    assert row["error"] == "Slack server error (HTTP 500)"
    assert row["next"] is not None
    assert row["next"] > rig.clock()
    rig.clock.advance(60)
    assert (await rig.deliverer.deliver_due()).retrying == 1
    rig.clock.advance(60)
    assert (await rig.deliverer.deliver_due()).sent == 1


async def test_a_refused_token_marks_the_transport_down_once_and_keeps_alerts(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    assert rig.transport.connected
    rig.slack.refuse(BOT_TOKEN, "token_revoked")
    await queue(rig, POLITICS, alert(1))
    await queue(rig, LOBBY, alert(1), alert(2))
    with caplog.at_level(logging.ERROR, logger="bot.transports.slack"):
        report = await rig.deliverer.deliver_due()
        rig.clock.advance(300)
        again = await rig.deliverer.deliver_due()
    assert (report.retrying, report.failed, again.retrying) == (2, 0, 2)
    assert not rig.transport.connected
    errors = [r for r in caplog.records if r.name == "bot.transports.slack"]
    assert len(errors) == 1
    assert "token_revoked" in errors[0].getMessage()
    rows = await pending(rig)
    assert [r["status"] for r in rows] == ["pending"] * 3
    assert all(dest.broken_reason is None for dest in await active_slack(rig))

    # A fixed token (here: Slack accepting it again) is noticed at the next try.
    rig.slack.accept(BOT_TOKEN)
    rig.clock.advance(300)
    assert (await rig.deliverer.deliver_due()).sent == 3
    assert rig.transport.connected


async def test_a_refused_token_at_sign_in_is_one_error_and_no_exception(
    make_rig: MakeRig, slack: SlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    slack.refuse(BOT_TOKEN)
    made = await make_rig(signing_secret=None)
    with caplog.at_level(logging.INFO, logger="bot.transports.slack"):
        await made.transport.start()
        await made.transport.open_rest()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "invalid_auth" in errors[0].getMessage()
    assert not made.transport.connected


async def active_slack(rig: Rig) -> list[Destination]:
    """The active Slack destinations."""
    return [d for d in await dest_store.active_destinations(rig.db.conn) if d.kind == "slack"]


async def _grow(rig: Rig, event_id: int, key: str, title: str) -> None:
    """Another outlet reports the event; its destinations' updates are armed, as deciding does."""
    row = headlines.NewHeadline(
        Headline("Sky", key, f"https://sky.example/{key}", title, "", START, "Sky News"),
        ("defection",),
        {},
        "joined_story",
        event_id,
        "same people: Jane Marchmont",
    )
    async with rig.db.transaction() as conn:
        await headlines.insert_headlines(conn, [row], rig.clock())
        await arm(conn, [event_id], now=rig.clock(), edit_interval=0)


async def _alerted_event(rig: Rig, mode: str) -> tuple[int, str]:
    """An event whose alert went to #politics, which has updates set to `mode`; (id, its ts)."""
    event_id = await add_story(rig.db, "Tory MP Jane Marchmont defects to Labour")
    await _grow(rig, event_id, "first", "Tory MP Jane Marchmont defects to Labour")
    destination = await queue(rig, POLITICS)
    assert (await rig.commands.set_updates(ADMIN_CALLER, POLITICS, mode)).ok
    async with rig.db.transaction() as conn:
        await outbox.enqueue_many(
            conn, [(destination, story_key(event_id), dump_message(alert(event_id)))], rig.clock()
        )
    await rig.deliverer.deliver_due()
    assert len(rig.slack.posts(POLITICS.id)) == 1
    ts = await rig.db.conn.execute_fetchall("SELECT remote_id FROM outbox WHERE kind = 'alert'")
    return event_id, str(next(iter(ts))[0])


async def test_a_growing_event_edits_its_alert_with_chat_update(rig: Rig) -> None:
    event_id, ts = await _alerted_event(rig, "edit")
    await _grow(rig, event_id, "second", "Jane Marchmont: why she defected")
    await rig.deliverer.deliver_due()
    [update] = rig.slack.updates(POLITICS.id)
    assert update["ts"] == ts
    assert "2 reports" in json.dumps(update, ensure_ascii=False)
    assert len(rig.slack.posts(POLITICS.id)) == 1  # no second message in the channel


async def test_a_channel_set_to_thread_gets_replies_under_its_alert(rig: Rig) -> None:
    event_id, ts = await _alerted_event(rig, "thread")
    await _grow(rig, event_id, "second", "Jane Marchmont: why she defected")
    await rig.deliverer.deliver_due()
    await _grow(rig, event_id, "third", "Jane Marchmont defection: the reaction")
    await rig.deliverer.deliver_due()
    replies = rig.slack.posts(POLITICS.id)[1:]
    assert [r.get("thread_ts") for r in replies] == [ts, ts]
    assert "1 more report on" in json.dumps(replies[1], ensure_ascii=False)
    assert "the reaction" in json.dumps(replies[1], ensure_ascii=False)
    assert rig.slack.updates() == []
