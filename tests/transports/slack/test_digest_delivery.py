"""Digests posted by the Slack app: through the real outbox and Deliverer to the stand-in."""

from __future__ import annotations

import json

from bot.domain import Destination
from bot.transports.slack.format import slack_webhook_payload
from tests.support.slack_data import TEAM_ID
from tests.transports.digest_data import digest, hostile_digest, huge_digest
from tests.transports.slack.helpers import POLITICS, Rig
from tests.transports.slack.test_delivery import pending, queue
from tests.transports.test_digest_slack_console import PINGS, within_slack_limits

DEST = Destination(1, f"slack:{TEAM_ID}:C0POLITICS", "slack", "#politics", TEAM_ID, "C0POLITICS")


async def test_the_deliverer_posts_a_queued_digest_as_blocks_without_a_mention(rig: Rig) -> None:
    sample = digest("quiet")
    # The channel's subscription pings a user group on alerts; its digest pings nobody.
    await queue(rig, POLITICS, sample, mention="S0WHIPS")  # type: ignore[arg-type]
    report = await rig.deliverer.deliver_due()
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    [post] = rig.slack.posts("C0POLITICS")
    expected = slack_webhook_payload(sample)
    assert post["blocks"] == expected["blocks"]
    assert post["text"] == expected["text"]
    assert post["blocks"][0]["text"]["text"].startswith("*🌙 While quiet hours were on (<!date^")
    assert "thread_ts" not in post  # a plain new message
    assert post["unfurl_links"] is False
    assert "<!subteam" not in json.dumps(post)
    [row] = await pending(rig)
    assert row["status"] == "sent"


async def test_huge_and_hostile_digests_are_accepted_and_ping_nobody(rig: Rig) -> None:
    await rig.transport.open_rest()
    for message in (huge_digest(10), huge_digest(60, part=2, parts=2), hostile_digest()):
        # The stand-in refuses what Slack would: over 50 blocks, a text over 3000.
        assert await rig.transport.sender(DEST, message) is not None
    huge, many, hostile = rig.slack.posts("C0POLITICS")
    for post in (huge, many, hostile):
        within_slack_limits(post)
    assert len(huge["blocks"]) == 11
    assert many["blocks"][0]["text"]["text"].endswith("(continued, 2/2)*")
    sent = json.dumps(hostile, ensure_ascii=False)
    for ping in PINGS:
        assert ping not in sent
