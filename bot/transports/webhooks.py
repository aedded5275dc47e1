"""Webhook transport: config-defined Discord and Slack-format webhooks as outbox senders.

`post_webhook` POSTs one rendered payload (the ops notices use it too); `WebhookSender` renders a
message for its webhook's platform and posts it, and edits a Discord webhook's alert in place
(`PATCH …/messages/{id}`). Slack-format webhooks cannot edit, and no webhook can start a thread.

A webhook URL is a secret (its path carries the token), so it never appears in an error, a log
line or an exception chain; callers name the destination with a safe display string instead.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from yarl import URL

from bot.config import WebhookSettings
from bot.delivery.messages import Message
from bot.domain import Alert, Destination, FollowUp
from bot.errors import DeliveryError, EditsExhausted, MessageGone
from bot.retry import parse_retry_after
from bot.transports.discord.format import discord_webhook_payload
from bot.transports.slack.format import slack_webhook_payload

log = logging.getLogger(__name__)

SEND_TIMEOUT_S = 15.0  # one POST; under `poll`'s 20 s send window
_MAX_REPLY = 1_000_000  # bytes read from a reply; Discord echoes the message, a few KB
_DETAIL_MAX = 200

# Slack (and Slack-compatible) incoming-webhook error bodies that trying again cannot fix: the
# hook was removed, the channel archived or deleted, the team restricted, or our payload refused.
_SLACK_PERMANENT = frozenset(
    {
        "no_service",
        "no_team",
        "no_active_hooks",
        "invalid_token",
        "team_disabled",
        "channel_not_found",
        "channel_is_archived",
        "action_prohibited",
        "posting_to_general_channel_denied",
        "user_not_found",
        "no_text",
        "invalid_payload",
        "invalid_blocks",
        "invalid_blocks_format",
        "missing_text_or_fallback_or_attachments",
        "too_many_attachments",
    }
)


def _scrub(text: str, url: str) -> str:
    """A short, single-line reply excerpt with anything from the webhook URL cut out."""
    text = " ".join(text.split())[:_DETAIL_MAX]
    secrets = [url, *(s for s in urlsplit(url).path.split("/") if len(s) >= 8)]
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "…")
    return "".join(c for c in text if c.isprintable())


def _detail(body: bytes) -> tuple[str, Any]:
    """(text, parsed JSON or None) of a reply body."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        return text, json.loads(text)
    except ValueError:
        return text, None


def _json_wait(data: Any) -> float | None:
    """A JSON reply's retry_after (Discord's, a number of seconds), or None."""
    value = data.get("retry_after") if isinstance(data, dict) else None
    return parse_retry_after(value) if isinstance(value, str | int | float) else None


# Discord's JSON error codes that matter when editing a webhook's message.
UNKNOWN_WEBHOOK = 10015
UNKNOWN_MESSAGE = 10008
EDITS_EXHAUSTED = 30046  # "Maximum number of edits to messages older than 1 hour reached"


def _edit_error(status: int, data: Any, destination: str, reason: str) -> DeliveryError | None:
    """What only an edit can meet: the message deleted, or no more edits allowed."""
    code = data.get("code") if isinstance(data, dict) else None
    if code == EDITS_EXHAUSTED:
        return EditsExhausted(destination, reason)
    # An unknown webhook is the whole destination gone, as for a post; any other 404 is the
    # message (Discord says Unknown Message, 10008).
    if code == UNKNOWN_MESSAGE or (status == 404 and code != UNKNOWN_WEBHOOK):
        return MessageGone(destination, f"the alert message was deleted ({reason})")
    return None


def _classify(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    *,
    destination: str,
    url: str,
    editing: bool = False,
) -> DeliveryError:
    """The DeliveryError for a non-2xx reply: retryable or not, and any wait the API asked for."""
    text, data = _detail(body)
    reason = f"HTTP {status}"
    if isinstance(data, dict) and data.get("message"):
        reason += f": {data['message']}" + (f" (code {data['code']})" if data.get("code") else "")
    elif text:
        reason += f": {text}"
    reason = _scrub(reason, url)
    if editing and (gone := _edit_error(status, data, destination, reason)) is not None:
        return gone
    header_wait = parse_retry_after(headers.get("Retry-After"))
    if status == 429:
        # Discord's JSON retry_after has sub-second precision; the header is whole seconds.
        json_wait = _json_wait(data)
        wait = json_wait if json_wait is not None else header_wait
        if wait is None:
            wait = parse_retry_after(headers.get("X-RateLimit-Reset-After"))
        return DeliveryError(destination, reason, retryable=True, retry_after=wait)
    if text in _SLACK_PERMANENT:
        return DeliveryError(destination, reason, retryable=False)
    if status >= 500:
        return DeliveryError(destination, reason, retryable=True, retry_after=header_wait)
    # 401/403/404/410 mean the webhook or its channel is gone; any other 4xx (or a redirect,
    # which a webhook never legitimately sends) will fail the same way every time.
    return DeliveryError(destination, reason, retryable=False)


async def _read_capped(response: aiohttp.ClientResponse) -> bytes:
    """The reply body, at most _MAX_REPLY bytes: a hostile endpoint cannot exhaust memory."""
    body = bytearray()
    async for chunk in response.content.iter_chunked(65_536):
        body += chunk
        if len(body) >= _MAX_REPLY:
            break
    return bytes(body[:_MAX_REPLY])


def _message_id(body: bytes) -> str | None:
    _, data = _detail(body)
    if isinstance(data, dict) and data.get("id") is not None:
        return str(data["id"])
    return None


def _target(url: str, platform: str, destination: str, message_id: str | None) -> URL:
    """The URL to call: the webhook (Discord: ?wait=true) or, to edit, its message."""
    if platform not in {"discord", "slack"}:
        raise ValueError(f"unknown webhook platform {platform!r}")
    try:
        target = URL(url)
        if target.scheme not in {"http", "https"} or not target.host:
            raise ValueError("not an http(s) URL")
        if message_id is not None:
            if not message_id.isdigit():
                raise MessageGone(destination, f"not a Discord message id: {message_id!r}")
            # The query stays: a thread_id there says which thread the message is in.
            return target.with_path(f"{target.path.rstrip('/')}/messages/{message_id}").with_query(
                {k: v for k, v in target.query.items() if k != "wait"}
            )
        if platform == "discord":
            # wait=true makes Discord reply with the message (and its id) and report failures;
            # update_query keeps parameters already in the URL, such as thread_id.
            target = target.update_query(wait="true")
    except (ValueError, TypeError):
        raise DeliveryError(destination, "invalid webhook URL", retryable=False) from None
    return target


async def _call(
    session: aiohttp.ClientSession,
    method: str,
    target: URL,
    payload: dict[str, Any],
    *,
    destination: str,
    timeout: float,  # noqa: ASYNC109
) -> tuple[int, bytes, Mapping[str, str]]:
    """One request: status, capped body and headers; network failures as DeliveryError."""
    try:
        async with session.request(
            method,
            target,
            json=payload,
            timeout=aiohttp.ClientTimeout(total=timeout),
            allow_redirects=False,
            raise_for_status=False,  # whatever the session says: statuses are classified after
        ) as response:
            return response.status, await _read_capped(response), response.headers
    except TimeoutError:
        # `from None` throughout: aiohttp's own exceptions can carry the URL with its token.
        raise DeliveryError(destination, f"timed out after {timeout:g}s", retryable=True) from None
    except aiohttp.InvalidURL:
        raise DeliveryError(destination, "invalid webhook URL", retryable=False) from None
    except (aiohttp.ClientError, OSError) as exc:
        reason = f"connection failed ({type(exc).__name__})"
        raise DeliveryError(destination, reason, retryable=True) from None


async def post_webhook(
    session: aiohttp.ClientSession,
    *,
    platform: str,
    url: str,
    payload: dict[str, Any],
    destination: str,
    # A per-request aiohttp ClientTimeout, part of the transport's contract with the cycle.
    timeout: float = SEND_TIMEOUT_S,  # noqa: ASYNC109
) -> str | None:
    """POST payload as JSON; return Discord's message id (Slack: None) or raise DeliveryError."""
    target = _target(url, platform, destination, None)
    status, body, headers = await _call(
        session, "POST", target, payload, destination=destination, timeout=timeout
    )
    if not 200 <= status < 300:
        raise _classify(status, body, headers, destination=destination, url=url)
    log.debug("webhook %s: delivered (HTTP %d)", destination, status)
    # Slack answers "ok"; Mattermost and Rocket.Chat answer other 2xx bodies, equally successful.
    return _message_id(body) if platform == "discord" else None


async def edit_webhook_message(
    session: aiohttp.ClientSession,
    *,
    url: str,
    message_id: str,
    payload: dict[str, Any],
    destination: str,
    timeout: float = SEND_TIMEOUT_S,  # noqa: ASYNC109
) -> None:
    """PATCH a Discord webhook's message; MessageGone, EditsExhausted or DeliveryError if not."""
    target = _target(url, "discord", destination, message_id)
    status, body, headers = await _call(
        session, "PATCH", target, payload, destination=destination, timeout=timeout
    )
    if not 200 <= status < 300:
        raise _classify(status, body, headers, destination=destination, url=url, editing=True)
    log.debug("webhook %s: edited message %s (HTTP %d)", destination, message_id, status)


class WebhookSender:
    """Posts to the webhook a destination key stands for; URLs stay in memory, never in the DB."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        hooks: Sequence[WebhookSettings],
        *,
        timeout: float = SEND_TIMEOUT_S,
    ) -> None:
        self.session = session
        self.hooks = {hook.key: hook for hook in hooks}
        self.timeout = timeout

    def _hook(self, destination: Destination) -> WebhookSettings:
        hook = self.hooks.get(destination.key)
        if hook is None:
            raise DeliveryError(destination.label, "webhook no longer configured", retryable=True)
        return hook

    async def __call__(self, destination: Destination, message: Message) -> str | None:
        """Render for the webhook's platform and post it."""
        hook = self._hook(destination)
        payload = (
            discord_webhook_payload(message)
            if hook.platform == "discord"
            else slack_webhook_payload(message)
        )
        return await post_webhook(
            self.session,
            platform=hook.platform,
            url=hook.url,
            payload=payload,
            destination=hook.name,
            timeout=self.timeout,
        )

    async def edit(self, destination: Destination, remote_id: str, message: Alert) -> None:
        """Edit the alert a Discord webhook posted; a Slack-format webhook cannot edit."""
        hook = self._hook(destination)
        if hook.platform != "discord":
            raise DeliveryError(
                hook.name, "a Slack-format webhook cannot edit its messages", retryable=False
            )
        # The payload of the post, mention and allowed_mentions included (an edit pings nobody);
        # the username is fixed when a message is created and is not an edit field.
        payload = discord_webhook_payload(message)
        payload.pop("username", None)
        await edit_webhook_message(
            self.session,
            url=hook.url,
            message_id=remote_id,
            payload=payload,
            destination=hook.name,
            timeout=self.timeout,
        )

    async def reply(
        self, destination: Destination, remote_id: str, message: FollowUp
    ) -> str | None:
        """Webhooks cannot start threads: always a non-retryable DeliveryError."""
        hook = self._hook(destination)
        reason = 'webhooks cannot reply in threads: updates = "thread" needs the bot'
        raise DeliveryError(hook.name, reason, retryable=False)
