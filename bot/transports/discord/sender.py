"""Discord bot sender: an Alert, Overflow, FollowUp or Digest as an embed posted to a channel
over REST.

The embed, the role mention and its allowed_mentions come from the same renderer the Discord
webhooks use (bot/transports/discord/format.py), so the bot and webhooks post identical alerts.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

import aiohttp
import discord

from bot.delivery.messages import Message
from bot.domain import Alert, Destination, DestinationKey, Digest, FollowUp, story_key
from bot.errors import DeliveryError, EditsExhausted, MessageGone
from bot.retry import parse_retry_after
from bot.transports.common import TransportHealth
from bot.transports.discord.format import discord_webhook_payload

log = logging.getLogger(__name__)

SEND_TIMEOUT_S = 60.0  # one send, including discord.py's own short 429 waits
LOGIN_REFUSED = "the bot token (DISCORD_TOKEN) was refused by Discord"
NONCE_LEN = 25  # Discord's limit for a string nonce
_UNKNOWN_CHANNEL = 10003
# discord.py documents a NotFound when a nonce matches a message deleted since: the first try
# of this outbox row got through, so it counts as delivered. We expect Discord's Unknown Message
# code there (not verified against the live API); any other 404 is taken as a lost channel.
_UNKNOWN_MESSAGE = 10008
_EDITS_EXHAUSTED = 30046  # "Maximum number of edits to messages older than 1 hour reached"


def nonce_for(destination: Destination, message: Message) -> str:
    """A nonce that is the same every time this outbox row is sent, and differs between rows.

    Only what identifies the row goes in: "also reported by" may grow between tries.
    """
    if isinstance(message, Alert):
        identity = story_key(message.story_id)
    elif isinstance(message, FollowUp):
        newest = message.latest[0].link if message.latest else ""
        identity = f"followup:{message.event_id}:{message.more}:{newest}"
    elif isinstance(message, Digest):
        events = ",".join(str(item.event_id) for item in message.items)
        period = f"{message.since.isoformat()}/{message.until.isoformat()}"
        identity = f"digest:{message.reason}:{period}:{message.part}/{message.parts}:{events}"
    else:
        identity = "overflow:" + "\n".join(
            [message.feed, *(f"{i.link} {i.title}" for i in message.items)]
        )
    digest = hashlib.sha256(f"{destination.key}\n{identity}".encode()).hexdigest()
    return digest[:NONCE_LEN]


def render(message: Message) -> tuple[discord.Embed, str | None, discord.AllowedMentions]:
    """The embed, the message content (a role mention or None) and what may be pinged."""
    payload: dict[str, Any] = discord_webhook_payload(message)
    embed = discord.Embed.from_dict(payload["embeds"][0])
    roles = payload["allowed_mentions"].get("roles", [])
    # Explicit False everywhere: an unset field would inherit from the client's default.
    allowed = discord.AllowedMentions(
        everyone=False,
        users=False,
        roles=[discord.Object(int(r)) for r in roles] if roles else False,
        replied_user=False,
    )
    return embed, payload.get("content"), allowed


class TokenRefused(DeliveryError):
    """Discord answered 401: the bot token itself is no longer valid (revoked or reset)."""

    def __init__(self, label: str) -> None:
        super().__init__(label, "bot token refused", retryable=True)


def _retry_after(response: Any) -> float | None:
    """Seconds from a response's Retry-After header, or None."""
    headers = getattr(response, "headers", None) or {}
    return parse_retry_after(headers.get("Retry-After"))


def _edit_error(exc: discord.HTTPException, label: str) -> DeliveryError | None:
    """What only an edit or a thread reply can meet: the alert deleted, or no more edits."""
    if exc.code == _EDITS_EXHAUSTED:
        return EditsExhausted(label, f"Discord allows no more edits of this alert ({exc.text})")
    # Unknown Channel stays a lost channel, as for a post; any other 404 is the message.
    if isinstance(exc, discord.NotFound) and exc.code != _UNKNOWN_CHANNEL:
        return MessageGone(label, f"the alert message was deleted ({exc.text or 'not found'})")
    return None


def _http_error(exc: discord.HTTPException, label: str) -> DeliveryError:
    if exc.status == 429:
        # discord.py waits out each 429 itself, but gives up after five tries per request and
        # raises it as a plain HTTPException. A storm that outlasts that is still temporary:
        # back to the outbox, never a paused subscription (which lost every queued alert).
        wait = _retry_after(exc.response)
        return DeliveryError(label, "rate limited by Discord", retryable=True, retry_after=wait)
    if isinstance(exc, discord.Forbidden):
        return DeliveryError(label, f"missing permission to post in {label}", retryable=False)
    if isinstance(exc, discord.NotFound):
        reason = (
            "channel deleted" if exc.code in (_UNKNOWN_CHANNEL, 0) else f"not found: {exc.text}"
        )
        return DeliveryError(label, reason, retryable=False)
    if exc.status >= 500:
        return DeliveryError(label, f"Discord error HTTP {exc.status}", retryable=True)
    if exc.status == 401:
        return TokenRefused(label)
    # Any other 4xx (say, an embed Discord rejects) fails the same way on every try.
    detail = exc.text or "refused"
    return DeliveryError(label, f"Discord refused the message: {detail}", retryable=False)


def delivery_error(
    exc: Exception, label: str, timeout_s: float = SEND_TIMEOUT_S, *, editing: bool = False
) -> DeliveryError:
    """Translate a discord.py or network failure into our error tree (`editing`: an update)."""
    if isinstance(exc, discord.HTTPException):
        gone = _edit_error(exc, label) if editing else None
        return gone if gone is not None else _http_error(exc, label)
    if isinstance(exc, discord.RateLimited):
        reason = f"rate limited for {exc.retry_after:.0f}s"
        return DeliveryError(label, reason, retryable=True, retry_after=exc.retry_after)
    if isinstance(exc, TimeoutError):
        return DeliveryError(label, f"timed out after {timeout_s:g}s", retryable=True)
    return DeliveryError(label, f"connection failed ({type(exc).__name__})", retryable=True)


async def post(
    client: discord.Client,
    channel_id: int,
    message: Message,
    *,
    label: str,
    nonce: str | None,
    timeout_s: float = SEND_TIMEOUT_S,
) -> discord.Message | None:
    """Post one message to a channel (None: an earlier try got through); raise DeliveryError.

    With a nonce, discord.py also sends enforce_nonce, so Discord drops a repeat of the same
    nonce in that channel (a resend after a crash) and answers with the first message instead.
    """
    embed, content, allowed = render(message)
    channel = client.get_partial_messageable(channel_id)
    try:
        async with asyncio.timeout(timeout_s):
            if nonce is None:
                return await channel.send(content, embed=embed, allowed_mentions=allowed)
            return await channel.send(content, embed=embed, allowed_mentions=allowed, nonce=nonce)
    except discord.NotFound as exc:
        if nonce is not None and exc.code == _UNKNOWN_MESSAGE:
            return None
        raise delivery_error(exc, label, timeout_s) from None
    except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise delivery_error(exc, label, timeout_s) from None


class DiscordSender:
    """The outbox sender for destinations of kind "discord" (key "discord:<channel id>")."""

    def __init__(
        self,
        client: discord.Client,
        health: TransportHealth,
        *,
        send_timeout_s: float = SEND_TIMEOUT_S,
    ) -> None:
        self.client = client
        self.health = health
        self.send_timeout_s = send_timeout_s

    async def __call__(self, destination: Destination, message: Message) -> str | None:
        """Post the alert to the destination's channel; return the Discord message id."""
        label = destination.label
        problem = self.health.problem()
        if problem is not None:
            # Not tried until logged in; and once down, not tried at all: a token Discord
            # refused stays refused (only a restart with a new one helps), and every refused
            # call counts towards Discord's ban on clients making too many invalid requests.
            raise self.health.unavailable(label, problem)
        channel = destination.channel or DestinationKey.channel_of(destination.key)
        if not channel.isdigit():
            raise DeliveryError(label, f"not a Discord channel id: {channel!r}", retryable=False)
        try:
            sent = await post(
                self.client,
                int(channel),
                message,
                label=label,
                nonce=nonce_for(destination, message),
                timeout_s=self.send_timeout_s,
            )
        except TokenRefused as exc:
            # Revoked while running: the transport goes down (loudly, once) rather than every
            # queued alert logging its own 401.
            self.health.mark_down(LOGIN_REFUSED)
            raise self.health.unavailable(label, exc.reason) from None
        if sent is None:
            return None
        log.debug("discord %s: posted message %s", label, sent.id)
        return str(sent.id)
