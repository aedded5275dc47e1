"""The Discord bot's updates against the stand-in: edits, thread replies and what they meet."""

from __future__ import annotations

from typing import Any

import pytest

from bot.delivery.deliver import Editor
from bot.domain import Destination
from bot.errors import DeliveryError, EditsExhausted, MessageGone
from bot.transports.discord.editor import DiscordEditor
from bot.transports.discord.transport import DiscordTransport
from tests.support.discord_api import DiscordAPI
from tests.transports.discord.payloads import GUILD, HERE, ROLE
from tests.transports.events_data import alert, event, follow_up, hostile_event, huge_event

DEST = Destination(1, f"discord:{HERE}", "discord", "#politics", GUILD, HERE)


def editor_of(transport: DiscordTransport) -> Editor:
    assert transport.editor is not None
    return transport.editor


async def posted(transport: DiscordTransport, **changes: Any) -> str:
    """Post the event's first alert, as the outbox would; its message id."""
    remote_id = await transport.sender(DEST, alert(None, **changes))
    assert remote_id is not None
    return remote_id


def fields(body: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in body["embeds"][0]["fields"]}


async def test_an_edit_replaces_the_embed_with_the_event_as_it_stands(
    api: DiscordAPI, transport: DiscordTransport
) -> None:
    remote_id = await posted(transport, mention=ROLE)
    await editor_of(transport).edit(DEST, remote_id, alert(event(4), mention=ROLE))
    [call] = api.calls("PATCH", f"/channels/{HERE}/messages/{remote_id}")
    assert call.status == 200
    [body] = api.edits(HERE)
    shown = fields(body)
    assert shown["Coverage"].startswith("4 reports · BBC News, The Guardian, The Telegraph")
    assert shown["Latest"].count("\n") == 2
    assert "(https://news.example/report-3)" in shown["Latest"]
    assert body["content"] == f"<@&{ROLE}>"  # the mention line stays; an edit pings nobody
    assert body["allowed_mentions"]["parse"] == []
    assert [str(r) for r in body["allowed_mentions"]["roles"]] == [ROLE]


async def test_hostile_event_text_never_pings_in_edits_or_thread_replies(
    api: DiscordAPI, transport: DiscordTransport
) -> None:
    remote_id = await posted(transport)
    editor = editor_of(transport)
    await editor.edit(DEST, remote_id, alert(hostile_event()))
    await editor.reply(DEST, remote_id, follow_up(3, latest=hostile_event().latest))
    [edit] = api.edits(HERE)
    [reply] = api.messages(remote_id)
    for body in (edit, reply):
        assert (
            body["allowed_mentions"]
            == {
                "parse": [],
                "replied_user": False,
            }
            or body["allowed_mentions"]["parse"] == []
        )
        assert not body.get("content")
        text = str(body["embeds"])
        assert "@everyone" not in text
        assert "<@&123456>" not in text


async def test_an_edit_with_200_reports_and_huge_titles_stays_within_limits(
    api: DiscordAPI, transport: DiscordTransport
) -> None:
    remote_id = await posted(transport)
    await editor_of(transport).edit(DEST, remote_id, alert(huge_event(), title="T" * 9000))
    [body] = api.edits(HERE)
    embed = body["embeds"][0]
    assert len(embed["title"]) <= 256
    assert all(len(v) <= 1024 for v in fields(body).values())


async def test_a_deleted_alert_is_message_gone(
    api: DiscordAPI, transport: DiscordTransport
) -> None:
    remote_id = await posted(transport)
    api.delete(HERE, remote_id)
    editor = editor_of(transport)
    with pytest.raises(MessageGone):
        await editor.edit(DEST, remote_id, alert(event(4)))
    with pytest.raises(MessageGone):
        await editor.reply(DEST, remote_id, follow_up())
    api.fail_edit(HERE, 404)
    with pytest.raises(MessageGone):
        await editor.edit(DEST, await posted(transport), alert(event(4)))


async def test_the_edit_cap_is_edits_exhausted(
    api: DiscordAPI, transport: DiscordTransport
) -> None:
    remote_id = await posted(transport)
    api.fail_edit(HERE, (400, 30046))
    with pytest.raises(EditsExhausted) as caught:
        await editor_of(transport).edit(DEST, remote_id, alert(event(4)))
    assert not caught.value.retryable


async def test_a_429_on_an_edit_is_waited_out_and_a_503_retried_later(
    api: DiscordAPI, transport: DiscordTransport
) -> None:
    remote_id = await posted(transport)
    editor = editor_of(transport)
    api.fail_edit(HERE, 429)
    await editor.edit(DEST, remote_id, alert(event(4)))
    statuses = [c.status for c in api.calls("PATCH", f"/channels/{HERE}/messages/")]
    assert statuses == [429, 200]
    api.fail_edit(HERE, 503)
    with pytest.raises(DeliveryError) as caught:
        await editor.edit(DEST, remote_id, alert(event(5)))
    assert caught.value.retryable
    assert not isinstance(caught.value, MessageGone | EditsExhausted)


async def test_missing_permission_and_a_deleted_channel_stay_what_they_are_for_posts(
    api: DiscordAPI, transport: DiscordTransport
) -> None:
    remote_id = await posted(transport)
    editor = editor_of(transport)
    api.fail_edit(HERE, 403, (404, 10003))
    with pytest.raises(DeliveryError, match="missing permission") as forbidden:
        await editor.edit(DEST, remote_id, alert(event(4)))
    with pytest.raises(DeliveryError, match="channel deleted") as deleted:
        await editor.edit(DEST, remote_id, alert(event(4)))
    for error in (forbidden.value, deleted.value):
        assert type(error) is DeliveryError
        assert not error.retryable


async def test_thread_replies_start_the_thread_once_and_post_into_it(
    api: DiscordAPI, transport: DiscordTransport
) -> None:
    remote_id = await posted(transport)
    editor = editor_of(transport)
    long_title = "Johnson misled Parliament <@&1> " + "x" * 300
    first = await editor.reply(DEST, remote_id, follow_up(2, title=long_title))
    second = await editor.reply(DEST, remote_id, follow_up(3))
    threads = api.calls("POST", f"/channels/{HERE}/messages/{remote_id}/threads")
    assert len(threads) == 1
    name = api.threads()[remote_id]
    assert name.startswith("Johnson misled Parliament")
    assert len(name) <= 100
    replies = api.messages(remote_id)  # a thread started from a message has the message's id
    assert [r["embeds"][0]["title"].split(" on ")[0] for r in replies] == [
        "📰 2 more reports",
        "📰 3 more reports",
    ]
    assert first is not None
    assert second is not None
    assert first != second
    assert first.isdigit()


async def test_after_a_restart_an_existing_thread_is_posted_into(
    api: DiscordAPI, transport: DiscordTransport
) -> None:
    remote_id = await posted(transport)
    await editor_of(transport).reply(DEST, remote_id, follow_up(2))
    fresh = DiscordEditor(transport.client, transport.health)  # forgets which threads it started
    assert await fresh.reply(DEST, remote_id, follow_up(3)) is not None
    threads = api.calls("POST", f"/channels/{HERE}/messages/{remote_id}/threads")
    assert [c.status for c in threads] == [200, 400]  # 160004: it exists already
    assert len(api.messages(remote_id)) == 2


async def test_a_deleted_thread_is_message_gone_not_a_lost_channel(
    api: DiscordAPI, transport: DiscordTransport
) -> None:
    remote_id = await posted(transport)
    editor = editor_of(transport)
    await editor.reply(DEST, remote_id, follow_up(2))
    api.delete_thread(remote_id)
    with pytest.raises(MessageGone):
        await editor.reply(DEST, remote_id, follow_up(3))
    assert len(api.messages(remote_id)) == 1
