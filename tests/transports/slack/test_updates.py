"""The Slack app's updates against the stand-in: chat.update, thread_ts replies, what they meet."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.delivery.deliver import Editor
from bot.domain import Destination
from bot.errors import DeliveryError, EditsExhausted, MessageGone
from tests.support.slack_data import TEAM_ID, Failure, ratelimited
from tests.transports.events_data import alert, event, follow_up, hostile_event, huge_event
from tests.transports.slack.helpers import Rig

CHANNEL = "C0POLITICS"
DEST = Destination(1, f"slack:{TEAM_ID}:{CHANNEL}", "slack", "#politics", TEAM_ID, CHANNEL)
PINGS = ("<!channel>", "<!here>", "<!everyone>", "@everyone", "<@")


def editor_of(rig: Rig) -> Editor:
    assert rig.transport.editor is not None
    return rig.transport.editor


async def posted(rig: Rig, **changes: Any) -> str:
    """Post the event's first alert, as the outbox would; its ts."""
    ts = await rig.transport.sender(DEST, alert(None, **changes))
    assert ts is not None
    return ts


def blocks_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = body["blocks"]
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def all_text(body: dict[str, Any]) -> str:
    return body["text"] + json.dumps(blocks_of(body), ensure_ascii=False)


async def test_chat_update_shows_the_event_as_it_stands(rig: Rig) -> None:
    ts = await posted(rig, mention="S0NEWS")
    await editor_of(rig).edit(DEST, ts, alert(event(4), mention="S0NEWS"))
    [body] = rig.slack.updates(CHANNEL)
    assert body["ts"] == ts
    coverage = blocks_of(body)[2]["text"]["text"]
    assert coverage.startswith("*4 reports* · BBC News, The Guardian, The Telegraph")
    assert "<https://news.example/report-3|" in blocks_of(body)[3]["text"]["text"]
    assert "*4 reports*" in body["text"]
    # The user group stays in the text as posted; editing it in pings nobody again.
    assert body["text"].startswith("<!subteam^S0NEWS> ")


async def test_hostile_event_text_never_pings_in_updates_or_replies(rig: Rig) -> None:
    ts = await posted(rig)
    editor = editor_of(rig)
    await editor.edit(DEST, ts, alert(hostile_event()))
    await editor.reply(DEST, ts, follow_up(3, latest=hostile_event().latest))
    [update] = rig.slack.updates(CHANNEL)
    reply = rig.slack.posts(CHANNEL)[-1]
    for body in (update, reply):
        text = all_text(body)
        for ping in PINGS:
            assert ping not in text


async def test_an_update_of_200_reports_and_huge_titles_is_accepted(rig: Rig) -> None:
    ts = await posted(rig)
    await editor_of(rig).edit(DEST, ts, alert(huge_event(), title="T" * 9000))
    assert len(rig.slack.updates(CHANNEL)) == 1  # the stand-in refuses what Slack would


async def test_a_deleted_alert_is_message_gone(rig: Rig) -> None:
    ts = await posted(rig)
    rig.slack.delete(CHANNEL, ts)
    with pytest.raises(MessageGone):
        await editor_of(rig).edit(DEST, ts, alert(event(4)))


@pytest.mark.parametrize("code", ["cant_update_message", "edit_window_closed"])
async def test_no_more_edits_is_edits_exhausted(rig: Rig, code: str) -> None:
    ts = await posted(rig)
    rig.slack.fail("chat.update", Failure(code))
    with pytest.raises(EditsExhausted):
        await editor_of(rig).edit(DEST, ts, alert(event(4)))


async def test_a_long_rate_limit_is_retried_later_with_its_wait(rig: Rig) -> None:
    ts = await posted(rig)
    rig.slack.fail("chat.update", ratelimited(30))
    with pytest.raises(DeliveryError) as caught:
        await editor_of(rig).edit(DEST, ts, alert(event(4)))
    assert caught.value.retryable
    assert caught.value.retry_after == 30
    rig.slack.fail("chat.update", Failure(status=500))
    with pytest.raises(DeliveryError) as broken:
        await editor_of(rig).edit(DEST, ts, alert(event(4)))
    assert broken.value.retryable
    assert not isinstance(broken.value, MessageGone | EditsExhausted)


async def test_a_lost_channel_stays_what_it_is_for_posts(rig: Rig) -> None:
    ts = await posted(rig)
    rig.slack.fail("chat.update", Failure("channel_not_found"))
    with pytest.raises(DeliveryError, match="channel was not found") as caught:
        await editor_of(rig).edit(DEST, ts, alert(event(4)))
    assert type(caught.value) is DeliveryError
    assert not caught.value.retryable


async def test_replies_go_into_the_alerts_thread(rig: Rig) -> None:
    ts = await posted(rig)
    editor = editor_of(rig)
    first = await editor.reply(DEST, ts, follow_up(2))
    second = await editor.reply(DEST, ts, follow_up(3))
    replies = [p for p in rig.slack.posts(CHANNEL) if p.get("thread_ts")]
    assert [p["thread_ts"] for p in replies] == [ts, ts]
    assert replies[1]["text"].startswith("📰 3 more reports on <https://news.example/report-0|")
    assert first is not None
    assert second is not None
    assert len({ts, first, second}) == 3
