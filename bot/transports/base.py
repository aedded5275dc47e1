"""What a chat transport (Discord bot, Slack app) offers the app: a sender, an editor, a start
and a stop."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.commands import Commands
from bot.config import Settings
from bot.delivery.deliver import Editor, Sender
from bot.store.sql import Store

if TYPE_CHECKING:  # slow to import, and only the Slack HTTP mode of `run` serves anything
    from aiohttp import web


@dataclass(frozen=True, slots=True)
class TransportContext:
    """Everything a transport may use; it reaches the core only through these."""

    settings: Settings
    db: Store
    commands: Commands
    clock: Callable[[], datetime]
    # The service's HTTP app (for Slack HTTP mode); None in `poll`, which serves nothing.
    http_app: web.Application | None = None


class Transport(Protocol):
    """A chat platform adapter."""

    name: str  # "discord", "slack": used in logs and health
    kinds: tuple[str, ...]  # destination kinds it delivers ("discord"; "slack")
    sender: Sender
    editor: Editor | None  # edits sent alerts and replies in threads under them; None: cannot

    async def open_rest(self) -> None:
        """Be ready to send over REST only (what `poll` needs): log in, no gateway/socket."""

    async def start(self) -> None:
        """Connect fully for `run` (gateway, Socket Mode, command handlers); return once started."""

    async def stop(self) -> None:
        """Disconnect and release everything; safe to call twice or after a failed start."""

    @property
    def connected(self) -> bool:
        """Whether the transport is up (for /healthz)."""
