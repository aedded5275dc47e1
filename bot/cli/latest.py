"""`division-bell latest`: the latest events, as `/westminster latest` lists them."""

from __future__ import annotations

from typing import TextIO

from bot.commands import Commands
from bot.config import Settings
from bot.pipeline.classify import Classifier
from bot.store.opening import open_store


async def show_latest(settings: Settings, category: str | None, count: int, out: TextIO) -> int:
    """Print the latest events; exit 2 for an unknown category (the answer says which exist)."""
    db = await open_store(settings.storage.path, settings.storage.url)
    try:
        categories = Classifier.load(settings.rules).categories
        commands = Commands(
            db, categories, settings.feeds, polling=settings.polling, display=settings.display
        )
        reply = await commands.latest(category, count)
    finally:
        await db.close()
    out.write(reply.plain() + "\n")
    return 0 if reply.ok else 2
