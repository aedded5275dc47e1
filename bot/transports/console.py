"""Console transport: alerts as readable text on standard output."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.messages import Message
from bot.pipeline.format import console_text
from bot.pipeline.route import Destination


class ConsoleSender:
    """Writes each alert to a text stream (standard output by default)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    async def __call__(self, destination: Destination, message: Message) -> str | None:
        """Print the alert; the console never refuses."""
        stream = self.stream or sys.stdout
        stream.write(console_text(message) + "\n\n")
        stream.flush()
        return None
