"""Which way /westminster is served: Socket Mode, HTTP mode, or not at all (alerts only)."""

from __future__ import annotations

import logging

import pytest

from tests.support.slack_api import SlackApi
from tests.support.slack_data import APP_TOKEN, MEMBER, SIGNING_SECRET, Failure
from tests.transports.slack.conftest import MakeRig
from tests.transports.slack.helpers import Rig, slash_payload


def routes(made: Rig) -> set[str]:
    """The paths the service's HTTP app serves."""
    app = made.http_app
    return {r.resource.canonical for r in app.router.routes() if r.resource is not None}


async def test_socket_mode_answers_over_the_websocket_and_wins_over_http(
    make_rig: MakeRig, slack: SlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    made = await make_rig(app_token=APP_TOKEN, signing_secret=SIGNING_SECRET)
    assert "/slack/events" not in routes(made)  # both secrets set: Socket Mode wins
    with caplog.at_level(logging.INFO, logger="bot.transports.slack"):
        await made.transport.start()
        await slack.wait_for(lambda: made.transport.connected)
    assert "Socket Mode" in caplog.text
    assert len(slack.calls("apps.connections.open")) == 1

    url, name = made.next_response_url()
    envelope = await slack.send_envelope("slash_commands", slash_payload("list", url, user=MEMBER))
    await slack.wait_for(lambda: {"envelope_id": envelope} in slack.acks())
    await slack.wait_for(lambda: len(slack.replies(name)) == 1)
    assert slack.replies(name)[0]["text"].startswith("No channel here is subscribed yet")

    await made.transport.stop()
    await slack.wait_for(lambda: slack.sockets_open == 0)
    assert not made.transport.connected
    await made.transport.stop()  # twice is fine


async def test_a_refused_app_token_is_one_error_and_no_reconnect_loop(
    make_rig: MakeRig, slack: SlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    slack.refuse(APP_TOKEN)
    made = await make_rig(app_token=APP_TOKEN)
    with caplog.at_level(logging.INFO, logger="bot.transports.slack"):
        await made.transport.start()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "SLACK_APP_TOKEN" in errors[0].getMessage()
    assert not made.transport.connected  # /healthz says so
    assert len(slack.calls("apps.connections.open")) == 1
    assert slack.sockets_open == 0


async def test_http_mode_serves_slack_events_on_the_service_app(
    make_rig: MakeRig, caplog: pytest.LogCaptureFixture
) -> None:
    made = await make_rig(signing_secret=SIGNING_SECRET)
    assert "/slack/events" in routes(made)
    with caplog.at_level(logging.INFO, logger="bot.transports.slack"):
        await made.transport.start()
    assert "HTTP mode" in caplog.text
    assert made.transport.connected


async def test_bot_token_alone_delivers_alerts_and_says_commands_are_off(
    make_rig: MakeRig, caplog: pytest.LogCaptureFixture
) -> None:
    made = await make_rig(signing_secret=None)
    assert "/slack/events" not in routes(made)
    with caplog.at_level(logging.INFO, logger="bot.transports.slack"):
        await made.transport.start()
    said = [r.getMessage() for r in caplog.records if "not served" in r.getMessage()]
    assert len(said) == 1
    assert made.transport.connected
    assert made.transport.kinds == ("slack",)


async def test_slack_unreachable_at_start_is_retried_in_the_background(
    make_rig: MakeRig, slack: SlackApi
) -> None:
    slack.fail("auth.test", Failure(status=503), Failure(status=502))
    made = await make_rig(sign_in_retry_first_s=0.01)
    await made.transport.start()  # returns at once; health is red until Slack answers
    assert not made.transport.connected
    await slack.wait_for(lambda: made.transport.connected)
    assert [c.status for c in slack.calls("auth.test")] == [503, 502, 200]
