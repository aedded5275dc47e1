"""Signed /westminster requests through the real Bolt app on the service's HTTP app."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import pytest

from bot.commands import REFUSAL
from bot.store import destinations as dest_store
from tests.support.slack_data import ADMIN, MANAGER, MEMBER, OWNER, TEAM_ID
from tests.transports.slack.helpers import (
    HttpClient,
    Rig,
    run_command,
    signed_headers,
    slash_payload,
)


async def test_a_signed_request_is_acked_and_answered_through_response_url(
    rig: Rig, http: HttpClient
) -> None:
    reply = await run_command(rig, http, "help")
    assert reply["response_type"] == "ephemeral"
    assert "subscribe [category]" in reply["text"]
    assert reply["unfurl_links"] is False


@pytest.mark.parametrize(
    ("secret", "age"),
    [("not-the-signing-secret", 0), (None, 6 * 60)],
    ids=["bad-signature", "stale-timestamp"],
)
async def test_bad_signature_and_stale_timestamp_are_401(
    rig: Rig, http: HttpClient, secret: str | None, age: float, caplog: pytest.LogCaptureFixture
) -> None:
    url, name = rig.next_response_url()
    body = urlencode(slash_payload("subscribe", url))
    headers = (
        signed_headers(body, age=age) if secret is None else signed_headers(body, secret=secret)
    )
    with caplog.at_level(logging.DEBUG):
        for _ in range(3):
            answer = await http.post("/slack/events", data=body, headers=headers)
            assert answer.status == 401
    # Nothing ran: no reply, no permission check, no subscription.
    assert await run_command(rig, http, "list")  # the app still works for signed requests
    assert rig.slack.replies(name) == []
    assert rig.slack.calls("users.info") == []
    # One line for three refusals, and never the forger's body (its text is theirs to choose).
    refusals = [r for r in caplog.records if "signature" in r.getMessage()]
    assert [r.levelno for r in refusals] == [logging.WARNING]
    assert "bad or stale signature from 127.0.0.1" in refusals[0].getMessage()
    assert not any("subscribe" in r.getMessage() for r in caplog.records)


async def test_members_are_refused_politely_and_only_they_see_it(
    rig: Rig, http: HttpClient
) -> None:
    for text in ("subscribe defection", "unsubscribe", "test"):
        reply = await run_command(rig, http, text, user=MEMBER)
        assert reply["text"] == REFUSAL
        assert reply["response_type"] == "ephemeral"
    assert await dest_store.scope_subscriptions(rig.db.conn, "slack", TEAM_ID) == []
    assert rig.slack.calls("chat.postMessage") == []
    assert [c.params["user"] for c in rig.slack.calls("users.info")] == [MEMBER] * 3


@pytest.mark.parametrize("user", [ADMIN, OWNER, MANAGER])
async def test_admins_owners_and_configured_managers_may_subscribe(
    rig: Rig, http: HttpClient, user: str
) -> None:
    reply = await run_command(rig, http, "subscribe defection", user=user)
    assert reply["response_type"] == "in_channel"
    assert reply["text"] == "Subscribed #politics to 🔀 Defection."
    rows = await dest_store.scope_subscriptions(rig.db.conn, "slack", TEAM_ID)
    assert [(r.key, r.category) for r in rows] == [(f"slack:{TEAM_ID}:C0POLITICS", "defection")]
    # Managers named in [slack] managers need no users.info round trip.
    assert len(rig.slack.calls("users.info")) == (0 if user == MANAGER else 1)


async def test_when_slack_cannot_say_who_the_user_is_nothing_changes(
    rig: Rig, http: HttpClient
) -> None:
    reply = await run_command(rig, http, "subscribe", user="U0GHOST")
    assert reply["text"].startswith("Sorry, I could not check your permissions with Slack")
    assert await dest_store.scope_subscriptions(rig.db.conn, "slack", TEAM_ID) == []
