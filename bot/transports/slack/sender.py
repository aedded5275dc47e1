"""Slack alerts: chat.postMessage with Block Kit and a plain-text fallback; errors translated."""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery.messages import Message
from bot.domain import Destination, DestinationKey
from bot.errors import DeliveryError
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
        # The same blocks and fallback text as a Slack incoming webhook: escaped feed text,
        # unfurling off, and the subscription's user group as the only possible mention.
        payload = slack_webhook_payload(message)
        try:
            response = await self.client.chat_postMessage(
                channel=channel_of(destination),
                text=payload["text"],
                blocks=payload["blocks"],
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            raise self._refused(destination.label, exc) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            reason = f"cannot reach Slack ({type(exc).__name__})"
            raise DeliveryError(destination.label, reason, retryable=True) from None
        self.health.mark_up()
        ts = response.get("ts")
        return str(ts) if ts else None

    def _refused(self, label: str, exc: SlackApiError) -> DeliveryError:
        code = error_code(exc)
        status = status_of(exc)
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
