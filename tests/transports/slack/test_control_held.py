"""Quiet hours set with the Slack slash command's use case hold a channel's alerts in the real
outbox; when they end, one digest reaches the Slack stand-in through the real Deliverer."""

from __future__ import annotations

from bot.channel_settings import ChannelSettings
from bot.delivery.holding import release_held
from tests.transports.control_helpers import TITLES, queue_alerts
from tests.transports.slack.helpers import ADMIN_CALLER, POLITICS, Rig


async def test_a_slack_channels_quiet_hours_hold_alerts_then_one_digest(rig: Rig) -> None:
    settings = ChannelSettings(rig.commands)
    assert (await rig.commands.subscribe(ADMIN_CALLER, POLITICS, "defection")).ok
    # The rig's clock reads 12:00 GMT: quiet hours from now for two hours, London time.
    assert (await settings.quiet(ADMIN_CALLER, POLITICS, "12:00-14:00", None)).ok
    key = POLITICS.key(ADMIN_CALLER)
    await queue_alerts(rig.db, key, rig.commands.sample_alert(), rig.clock())
    report = await rig.deliverer.deliver_due()
    assert (report.sent, report.held) == (0, 2)
    assert rig.slack.posts("C0POLITICS") == []

    rig.clock.advance(2 * 3600 + 60)
    assert await release_held(rig.db, now=rig.clock(), zone=rig.deliverer.zone) == 1
    report = await rig.deliverer.deliver_due()
    assert report.sent == 1
    [post] = rig.slack.posts("C0POLITICS")
    assert post["blocks"][0]["text"]["text"].startswith("*🌙 While quiet hours were on")
    text = str(post["blocks"])
    assert all(title in text for title in TITLES)
