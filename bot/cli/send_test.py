"""`division-bell send-test [NAME…]`: a labelled test message to each destination, one line each.

Names: a webhook's `name`, `console`, `discord:<channel id>` or `slack:<channel id>`; none means
every destination. A delivered test clears a broken mark, so the alerts held for that destination
go out at the next poll.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from bot.app import open_runtime
from bot.config import Settings
from bot.delivery.deliver import Sender
from bot.domain import Alert, Destination, DestinationKey
from bot.errors import DeliveryError
from bot.store import destinations as dest_store
from bot.store.sql import Store

_ADVICE = {
    "webhook:discord": "check the URL (a new one under the same name keeps its alerts) and that "
    'platform = "discord" is right',
    "webhook:slack": "check the URL (a new one under the same name keeps its alerts) and that "
    'platform = "slack" is right',
    "discord": "the bot needs View Channel, Send Messages and Embed Links in that channel",
    "slack": "invite the app to the channel (/invite @Division Bell) and check its scopes",
}
_TRANSPORT_OFF = {
    "discord": "the Discord bot is off: set DISCORD_TOKEN",
    "slack": "the Slack app is off: set SLACK_BOT_TOKEN",
}


async def send_test(settings: Settings, names: Sequence[str], out: TextIO) -> int:
    """Send to each named destination (every one when `names` is empty); 0 when all delivered."""
    async with open_runtime(settings, stdout=out) as runtime:
        for transport in runtime.transports:
            await transport.open_rest()
        known = await dest_store.active_destinations(runtime.db.conn)
        if not known:
            out.write(
                "no destinations: add a [[webhooks]] entry, turn [console] on, or subscribe a "
                "channel with /westminster subscribe\n"
            )
            return 1
        chosen, unknown = select(known, names)
        for name in unknown:
            choices = ", ".join(display_name(d) for d in known) or "none"
            out.write(f"{name}: NOT sent: no such destination (known: {choices})\n")
        delivered = 0
        for destination in chosen:
            sender = runtime.deliverer.senders.get(destination.kind)
            line = await _try(destination, sender, runtime.commands.sample_alert())
            if line is None:
                delivered += 1
                line = "delivered"
                if destination.broken_reason is not None:
                    line += await _clear_broken(runtime.db, destination)
            out.write(f"{display_name(destination)}: {line}\n")
    return 0 if delivered == len(chosen) and not unknown and chosen else 1


async def _try(destination: Destination, sender: Sender | None, alert: Alert) -> str | None:
    """None when delivered, else the line saying why not and what to do."""
    if sender is None:
        reason = _TRANSPORT_OFF.get(destination.kind, "no sender for this kind of destination")
        return f"NOT sent: {reason}"
    try:
        await sender(destination, alert)
    except DeliveryError as exc:
        if exc.retryable:
            return f"NOT delivered: {exc.reason}; the platform did not take it, try again later"
        advice = _ADVICE.get(destination.kind, "")
        return f"NOT delivered: {exc.reason}; {advice}".rstrip("; ")
    return None


async def _clear_broken(db: Store, destination: Destination) -> str:
    # The destination answered, so whatever broke it is fixed: its held alerts may go again.
    async with db.transaction() as conn:
        await dest_store.clear_broken(conn, destination.id)
    return " (it was marked broken; that mark is cleared and its held alerts go at the next poll)"


def display_name(destination: Destination) -> str:
    """How send-test names a destination: webhooks by name, bot channels as kind:channel."""
    if destination.kind in ("discord", "slack"):
        return f"{destination.kind}:{DestinationKey.channel_of(destination.key)}"
    return destination.label


def select(
    known: Sequence[Destination], names: Sequence[str]
) -> tuple[list[Destination], list[str]]:
    """The destinations `names` mean (all when empty), and the names that match none."""
    if not names:
        return list(known), []
    chosen: list[Destination] = []
    unknown: list[str] = []
    for name in names:
        found = [d for d in known if name in (display_name(d), d.label)]
        if not found:
            unknown.append(name)
        chosen += [d for d in found if d not in chosen]
    return chosen, unknown
