"""What the chat transports share: whether the platform accepts our bot token, and what to do
while it does not (keep alerts queued, keep trying to sign in, say so loudly once)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.errors import DeliveryError

# How long a queued alert waits while its transport is down or not yet signed in. One minute,
# not five: alerts are news, and once the platform takes the token again (after a Slack app is
# reinstalled, or Discord answers after a restart) every queued alert should go within a minute.
# Waiting costs Discord nothing (its sender does not call the API while down) and Slack one
# refused call a minute per subscribed channel, far inside Slack's rate limits.
DOWN_RETRY_S = 60.0
# Sign-in when the platform was unreachable at start: soon at first, then doubling to five
# minutes, so a long outage is not hammered and a short one is over quickly.
SIGN_IN_RETRY_FIRST_S = 5.0
SIGN_IN_RETRY_MAX_S = 300.0


class TransportHealth:
    """Signed in, not yet signed in, or down (the token refused); logged once per change."""

    def __init__(
        self,
        name: str,
        log: logging.Logger,
        *,
        remedy: str,
        down_retry_s: float = DOWN_RETRY_S,
        sign_in_retry_first_s: float = SIGN_IN_RETRY_FIRST_S,
        sign_in_retry_max_s: float = SIGN_IN_RETRY_MAX_S,
    ) -> None:
        self.name = name  # "Discord bot", "Slack app": the start of every line it logs
        self.log = log  # the transport's own logger, so its lines carry the transport's name
        self.remedy = remedy  # a sentence: what the operator should do when it goes down
        self.down_retry_s = down_retry_s
        self.sign_in_retry_first_s = sign_in_retry_first_s
        self.sign_in_retry_max_s = sign_in_retry_max_s
        self.signed_in = False
        self.down_reason: str | None = None

    @property
    def up(self) -> bool:
        """Signed in at least once and not refused since."""
        return self.signed_in and self.down_reason is None

    def problem(self) -> str | None:
        """Why nothing can be sent right now, or None when it can."""
        if self.down_reason is not None:
            return f"{self.name} is down: {self.down_reason}"
        if not self.signed_in:
            return f"{self.name} is not logged in"
        return None

    def mark_up(self) -> None:
        """A call with the token succeeded."""
        if self.down_reason is not None:
            self.log.info("%s: the token is accepted again; queued alerts resume", self.name)
        self.signed_in = True
        self.down_reason = None

    def mark_down(self, reason: str) -> None:
        """The platform refused us: one ERROR line when it happens, never one per alert."""
        if self.down_reason == reason:
            return
        was_up, self.down_reason = self.down_reason is None, reason
        if not was_up:
            self.log.warning("%s is still DOWN, now because %s", self.name, reason)
            return
        self.log.error(
            "%s is DOWN: %s. Its alerts stay queued; nothing is lost. %s",
            self.name,
            reason,
            self.remedy,
        )

    def unavailable(self, label: str, reason: str) -> DeliveryError:
        """The error for an alert that must wait for the transport: retryable, after a while."""
        return DeliveryError(label, reason, retryable=True, retry_after=self.down_retry_s)

    async def sign_in_until_up(self, attempt: Callable[[], Awaitable[object]]) -> None:
        """Call `attempt` after growing pauses until signed in or refused; cancel to stop."""
        delay = self.sign_in_retry_first_s
        while not self.signed_in and self.down_reason is None:
            await asyncio.sleep(delay)
            await attempt()
            delay = min(delay * 2, self.sign_in_retry_max_s)
