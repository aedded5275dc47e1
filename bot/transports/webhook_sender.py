"""Webhook transport: config-defined Discord/Slack incoming webhooks as outbox senders."""

from __future__ import annotations

from collections.abc import Sequence

import aiohttp

from bot.config import WebhookSettings
from bot.delivery.messages import Message
from bot.domain import Destination
from bot.errors import DeliveryError
from bot.transports.discord.format import discord_webhook_payload
from bot.transports.slack.format import slack_webhook_payload
from bot.transports.webhooks import post_webhook

SEND_TIMEOUT_S = 15.0  # one POST; under `poll`'s 20 s send window


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

    async def __call__(self, destination: Destination, message: Message) -> str | None:
        """Render for the webhook's platform and post it."""
        hook = self.hooks.get(destination.key)
        if hook is None:
            raise DeliveryError(destination.label, "webhook no longer configured", retryable=True)
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
