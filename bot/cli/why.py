"""`division-bell why URL`: what became of a headline the database has seen, and why."""

from __future__ import annotations

from typing import TextIO

from bot.commands import Commands
from bot.config import Settings
from bot.pipeline.classify import Classifier
from bot.pipeline.normalise import canonical_url
from bot.store import history
from bot.store.opening import open_store


async def explain(settings: Settings, url: str, out: TextIO) -> int:
    """Print the `why` answer; exit 1 for a URL no polled feed has carried (or not a link)."""
    db = await open_store(settings.storage.path, settings.storage.url)
    try:
        categories = Classifier.load(settings.rules).categories
        commands = Commands(
            db, categories, settings.feeds, polling=settings.polling, display=settings.display
        )
        reply = await commands.why(url)
        link = canonical_url(url.strip())
        seen = bool(link) and bool(await history.headlines_with_link(db.conn, link))
    finally:
        await db.close()
    out.write(reply.plain() + "\n")
    return 0 if seen else 1
