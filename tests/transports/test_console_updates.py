"""The console as `replay` shows a channel: the alert, its updates, and thread replies."""

from __future__ import annotations

import io

from bot.config import DisplaySettings
from bot.delivery.deliver import Editor
from bot.domain import Destination, DestinationKey
from bot.transports.console import ConsoleSender
from tests.transports.events_data import alert, event, follow_up

CONSOLE = Destination(1, DestinationKey.CONSOLE, "console", "console")


async def test_the_console_prints_an_alert_then_its_update_then_a_reply() -> None:
    stream = io.StringIO()
    console = ConsoleSender(stream, DisplaySettings("Europe/London"))
    editor: Editor = console  # the console is its own editor
    remote_id = await console(CONSOLE, alert(None))
    assert remote_id == "story:9"  # an id, so the deliverer can send it updates
    await editor.edit(CONSOLE, remote_id, alert(event(4)))
    assert await editor.reply(CONSOLE, remote_id, follow_up(2)) is None
    alert_block, update_block, reply_block, rest = stream.getvalue().split("\n\n")
    assert rest == ""
    assert "reports" not in alert_block
    update = update_block.split("\n")
    assert update[0] == "↻ UPDATE"
    assert update[1].startswith("⚖️ Standards: Johnson misled Parliament")
    assert "  4 reports · BBC News, The Guardian, The Telegraph" in update
    assert "  First report 06 Mar 12:00 GMT · latest 06 Mar 12:30 GMT" in update
    reply = reply_block.split("\n")
    assert reply[0] == "↳ IN THREAD"
    assert reply[1].startswith("📰 2 more reports on Johnson misled Parliament")


async def test_a_follow_up_prints_as_a_message_of_its_own() -> None:
    stream = io.StringIO()
    assert await ConsoleSender(stream)(CONSOLE, follow_up(3)) is None
    assert stream.getvalue().startswith("📰 3 more reports on Johnson misled Parliament")
