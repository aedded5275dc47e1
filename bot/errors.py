"""One error tree: every failure names the feed, destination or file it concerns."""

from __future__ import annotations


class BotError(Exception):
    """Base of every error Division Bell raises on purpose."""


class ConfigError(BotError):
    """A configuration file or value is wrong; the message names file and key."""


class FetchError(BotError):
    """A feed could not be fetched."""

    def __init__(self, feed: str, message: str, *, retry_after: float | None = None) -> None:
        # args hold the constructor's arguments so the error pickles across a process pool.
        super().__init__(feed, message)
        self.feed = feed
        self.reason = message
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"{self.feed}: {self.reason}"


class ParseError(BotError):
    """A feed body could not be read as RSS or Atom."""

    def __init__(self, feed: str, message: str) -> None:
        super().__init__(feed, message)
        self.feed = feed
        self.reason = message

    def __str__(self) -> str:
        return f"{self.feed}: {self.reason}"


class StorageError(BotError):
    """The database is unusable (locked, corrupt or from a newer version)."""


class DeliveryError(BotError):
    """A chat API refused or failed a send.

    `retryable` says whether trying again can help; `retry_after` is the wait the API asked for.
    """

    def __init__(
        self,
        destination: str,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(destination, message)
        self.destination = destination
        self.reason = message
        self.retryable = retryable
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"{self.destination}: {self.reason}"


class MessageGone(DeliveryError):
    """The message to edit or reply under was deleted: stop updating it, the channel still works."""

    def __init__(self, destination: str, message: str = "the alert message was deleted") -> None:
        super().__init__(destination, message, retryable=False)


class EditsExhausted(DeliveryError):
    """The platform takes no more edits of this message (Discord 30046): send follow-ups instead."""

    def __init__(
        self, destination: str, message: str = "the platform allows no more edits"
    ) -> None:
        super().__init__(destination, message, retryable=False)
