"""What `replay`'s channel was sent, message by message: alerts, updates and follow-ups.

Update rows are re-armed, not added, as an event grows (bot.delivery.updates), so the outbox
holds one row for many edits; the channel's own count is taken where messages leave.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.delivery.deliver import Deliverer, Editor, Sender
from bot.delivery.messages import Message
from bot.domain import Alert, Destination, FollowUp

Sent = list[tuple[str, datetime]]  # (kind: "alert", "edit", "reply", "followup"; when)


class CountingConsole:
    """The console's sender and editor, noting each message it is given before passing it on."""

    def __init__(self, sender: Sender, editor: Editor, clock: Callable[[], datetime]) -> None:
        self.sender = sender
        self.editor = editor
        self.clock = clock
        self.sent: Sent = []

    async def __call__(self, destination: Destination, message: Message) -> str | None:
        """Send an alert, overflow notice or follow-up."""
        self.sent.append(("followup" if isinstance(message, FollowUp) else "alert", self.clock()))
        return await self.sender(destination, message)

    async def edit(self, destination: Destination, remote_id: str, message: Alert) -> None:
        """Edit a sent alert."""
        self.sent.append(("edit", self.clock()))
        await self.editor.edit(destination, remote_id, message)

    async def reply(
        self, destination: Destination, remote_id: str, message: FollowUp
    ) -> str | None:
        """Reply under a sent alert."""
        self.sent.append(("reply", self.clock()))
        return await self.editor.reply(destination, remote_id, message)


def count_console(deliverer: Deliverer, clock: Callable[[], datetime]) -> CountingConsole:
    """Put a counting wrapper around the deliverer's console sender and editor."""
    counting = CountingConsole(deliverer.senders["console"], deliverer.editors["console"], clock)
    deliverer.senders = {**deliverer.senders, "console": counting}
    deliverer.editors = {**deliverer.editors, "console": counting}
    return counting
