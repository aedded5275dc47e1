"""Slack alerts: chat.postMessage with Block Kit and a plain-text fallback; errors translated.

The sender is also the Slack Editor: `chat.update` edits an alert in place, and a follow-up is
posted in the alert's thread (`thread_ts` = the alert's ts).
"""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery.messages import Message
from bot.domain import Alert, Destination, DestinationKey, FollowUp
from bot.errors import DeliveryError, EditsExhausted, MessageGone
from bot.transports.common import TransportHealth
from bot.transports.slack.api import AUTH_ERRORS, error_code, retry_after, status_of
from bot.transports.slack.format import slack_webhook_payload

# Errors no retry can fix for this channel: the subscription is paused with this reason, shown in
# /westminster status, until someone fixes it and subscribes again.
PAUSE_REASONS = {
    "not_in_channel": (
        "Division Bell is not in this channel: invite it (/invite @Division Bell), "
        "then run /westminster subscribe again"
    ),
    "channel_not_found": (
        "the channel was not found: it was deleted, or it is private and Division Bell "
        "was never invited"
    ),
    "is_archived": "the channel is archived: unarchive it, then run /westminster subscribe again",
}


# What only an update can meet: the alert (the thread's parent) deleted, or no edit allowed.
_GONE = frozenset({"message_not_found", "thread_not_found"})
_NO_MORE_EDITS = frozenset({"cant_update_message", "edit_window_closed"})


def _update_error(label: str, code: str) -> DeliveryError | None:
    """MessageGone or EditsExhausted for the errors only an update meets, else None."""
    if code in _GONE:
        return MessageGone(label, f"the alert message was deleted ({code})")
    if code in _NO_MORE_EDITS:
        return EditsExhausted(label, f"Slack allows no more edits of this alert ({code})")
    return None


def token_refused(code: str) -> str:
    """Why the transport is down, for its health and the one ERROR line."""
    return f"Slack refused the bot token ({code})"


def channel_of(destination: Destination) -> str:
    """The Slack channel id of a destination ("slack:<team>:<channel>")."""
    return destination.channel or DestinationKey.channel_of(destination.key)


class SlackSender:
    """Posts alerts to Slack channels with the bot token; the outbox's Sender for kind "slack"."""

    def __init__(self, client: AsyncWebClient, health: TransportHealth) -> None:
        self.client = client
        self.health = health

    async def __call__(self, destination: Destination, message: Message) -> str | None:
        """Post one alert; returns the message ts, or raises DeliveryError."""
        return await self._post(destination, message)

    async def edit(self, destination: Destination, remote_id: str, message: Alert) -> None:
        """chat.update the alert (its ts) with the event as it stands."""
        payload = slack_webhook_payload(message)
        await self._call(
            destination.label,
            self.client.chat_update,
            editing=True,
            channel=channel_of(destination),
            ts=remote_id,
            text=payload["text"],
            blocks=payload["blocks"],
        )

    async def reply(
        self, destination: Destination, remote_id: str, message: FollowUp
    ) -> str | None:
        """Post the follow-up in the alert's thread; return the reply's ts."""
        return await self._post(destination, message, editing=True, thread_ts=remote_id)

    async def _post(
        self, destination: Destination, message: Message, *, editing: bool = False, **extra: Any
    ) -> str | None:
        # The same blocks and fallback text as a Slack incoming webhook: escaped feed text,
        # unfurling off, and the subscription's user group as the only possible mention.
        payload = slack_webhook_payload(message)
        response = await self._call(
            destination.label,
            self.client.chat_postMessage,
            editing=editing,
            channel=channel_of(destination),
            text=payload["text"],
            blocks=payload["blocks"],
            unfurl_links=False,
            unfurl_media=False,
            **extra,
        )
        ts = response.get("ts")
        return str(ts) if ts else None

    async def _call(self, label: str, method: Any, *, editing: bool = False, **args: Any) -> Any:
        """One Web API call; a refusal or network failure as DeliveryError."""
        try:
            response = await method(**args)
        except SlackApiError as exc:
            raise self._refused(label, exc, editing=editing) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            reason = f"cannot reach Slack ({type(exc).__name__})"
            raise DeliveryError(label, reason, retryable=True) from None
        self.health.mark_up()
        return response

    def _refused(self, label: str, exc: SlackApiError, *, editing: bool = False) -> DeliveryError:
        code = error_code(exc)
        status = status_of(exc)
        if editing and (update_error := _update_error(label, code)) is not None:
            return update_error
        if code in PAUSE_REASONS:
            return DeliveryError(label, PAUSE_REASONS[code], retryable=False)
        if code in AUTH_ERRORS:
            # Still tried while down (unlike Discord): a refusal such as missing_scope or
            # account_inactive can be fixed on Slack's side with the same token.
            self.health.mark_down(token_refused(code))
            reason = f"Slack transport down: the bot token was refused ({code})"
            return self.health.unavailable(label, reason)
        if code == "ratelimited" or status == 429:
            wait = retry_after(getattr(exc.response, "headers", None))
            return DeliveryError(label, "rate limited by Slack", retryable=True, retry_after=wait)
        if status >= 500:
            return DeliveryError(label, f"Slack server error (HTTP {status})", retryable=True)
        # Anything else (a Slack-side glitch, a new error code) is retried with backoff rather
        # than pausing a channel's subscription on a guess.
        return DeliveryError(label, f"Slack refused the message ({code})", retryable=True)
