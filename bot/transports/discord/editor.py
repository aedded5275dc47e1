"""Discord bot updates: edit its own alert in place, or reply in a thread started under it.

A thread started from a message has the message's id, so the alert's id is all we keep. Errors
go through the sender's one mapping (`delivery_error`, editing=True): a deleted alert is
MessageGone, Discord's edit cap (30046) is EditsExhausted, 429 and 5xx are retried later.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable
from typing import Literal, TypeVar

import aiohttp
import discord

from bot.domain import Alert, Destination, DestinationKey, FollowUp
from bot.errors import DeliveryError, MessageGone
from bot.transports.common import TransportHealth
from bot.transports.discord.sender import (
    LOGIN_REFUSED,
    SEND_TIMEOUT_S,
    TokenRefused,
    delivery_error,
    nonce_for,
    render,
)
from bot.transports.text import clean_text, fit

log = logging.getLogger(__name__)

THREAD_NAME_MAX = 100  # Discord's limit for a channel (thread) name
THREAD_ARCHIVE_MINUTES: Literal[1440] = (
    1440  # a day without replies hides the thread; a reply brings it back
)
_UNKNOWN_MESSAGE = 10008
_THREAD_EXISTS = 160004  # "A thread has already been created for this message"
_KNOWN_THREADS = 10_000  # threads remembered as started, so each reply costs one call
_FAILURES = (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError)
T = TypeVar("T")


def thread_name(title: str) -> str:
    """The thread's name: the alert's title as plain text (names render no markup)."""
    return fit(title, clean_text, THREAD_NAME_MAX) or "Updates"


class DiscordEditor:
    """The Editor for destinations of kind "discord"."""

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
        self._threads: OrderedDict[int, None] = OrderedDict()

    async def edit(self, destination: Destination, remote_id: str, message: Alert) -> None:
        """Replace the alert's embed (and its mention line, unchanged) with the event's state."""
        channel, message_id = self._ids(destination, remote_id)
        embed, content, allowed = render(message)
        partial = self.client.get_partial_messageable(channel).get_partial_message(message_id)
        await self._run(
            destination.label,
            partial.edit(content=content, embed=embed, allowed_mentions=allowed),
        )
        log.debug("discord %s: edited message %s", destination.label, message_id)

    async def reply(
        self, destination: Destination, remote_id: str, message: FollowUp
    ) -> str | None:
        """Post the follow-up in the alert's thread, starting the thread first if needed."""
        label = destination.label
        channel, message_id = self._ids(destination, remote_id)
        if message_id not in self._threads:
            await self._start_thread(label, channel, message_id, message.title)
        return await self._post_in_thread(destination, message_id, message)

    async def _post_in_thread(
        self, destination: Destination, thread_id: int, message: FollowUp
    ) -> str | None:
        label = destination.label
        embed, content, allowed = render(message)
        thread = self.client.get_partial_messageable(thread_id)
        try:
            async with asyncio.timeout(self.send_timeout_s):
                # The nonce makes a resend of the same outbox row a no-op in the thread.
                sent = await thread.send(
                    content,
                    embed=embed,
                    allowed_mentions=allowed,
                    nonce=nonce_for(destination, message),
                )
        except discord.NotFound as exc:
            if exc.code == _UNKNOWN_MESSAGE:
                return None  # the nonce matched a reply deleted since: this one got through
            # The thread is a channel of its own: Unknown Channel here is the thread deleted
            # (with or without its alert), not the channel the destination stands for.
            self._threads.pop(thread_id, None)
            raise MessageGone(label, "the alert's thread was deleted") from None
        except _FAILURES as exc:
            raise self._translated(exc, label) from None
        return str(sent.id)

    async def _start_thread(self, label: str, channel: int, message_id: int, title: str) -> None:
        try:
            async with asyncio.timeout(self.send_timeout_s):
                await self.client.http.start_thread_with_message(
                    channel,
                    message_id,
                    name=thread_name(title),
                    auto_archive_duration=THREAD_ARCHIVE_MINUTES,
                )
        except discord.HTTPException as exc:
            if exc.code != _THREAD_EXISTS:  # started before (say, by a process since restarted)
                raise self._translated(exc, label) from None
        except _FAILURES as exc:
            raise self._translated(exc, label) from None
        self._threads[message_id] = None
        while len(self._threads) > _KNOWN_THREADS:
            self._threads.popitem(last=False)

    def _ids(self, destination: Destination, remote_id: str) -> tuple[int, int]:
        label = destination.label
        problem = self.health.problem()
        if problem is not None:  # as for posts: no call while logged out or refused
            raise self.health.unavailable(label, problem)
        channel = destination.channel or DestinationKey.channel_of(destination.key)
        if not channel.isdigit():
            raise DeliveryError(label, f"not a Discord channel id: {channel!r}", retryable=False)
        if not remote_id.isdigit():
            raise MessageGone(label, f"not a Discord message id: {remote_id!r}")
        return int(channel), int(remote_id)

    async def _run(self, label: str, call: Awaitable[T]) -> T:
        """Await one API call within the send timeout, its failures in our error tree."""
        try:
            async with asyncio.timeout(self.send_timeout_s):
                return await call
        except _FAILURES as exc:
            raise self._translated(exc, label) from None

    def _translated(self, exc: Exception, label: str) -> DeliveryError:
        error = delivery_error(exc, label, self.send_timeout_s, editing=True)
        if isinstance(error, TokenRefused):
            self.health.mark_down(LOGIN_REFUSED)
            return self.health.unavailable(label, error.reason)
        return error
