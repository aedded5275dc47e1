"""`people refresh`: bring the register of Westminster people up to date from the Members API."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TextIO

from bot.config import Settings
from bot.knowledge.members_api import MembersApi, MembersApiError
from bot.knowledge.refresh import RefreshSummary, refresh_people
from bot.knowledge.register import Register
from bot.store.opening import open_store

EXIT_API_DOWN = 1


def run_people(action: str, settings: Settings, *, out: TextIO, err: TextIO) -> int:
    """`people refresh`: one summary line and exit 0, or one error line and exit 1."""
    if action != "refresh":  # argparse allows only refresh; kept explicit for new actions
        raise ValueError(f"unknown people action {action!r}")
    where = settings.source or "the built-in defaults"
    if not settings.parliament.enabled:
        print(f"people refresh: [parliament] enabled = false ({where}); nothing fetched", file=out)
        return 0
    try:
        summary = asyncio.run(_refresh(settings))
    except MembersApiError as exc:
        print(
            f"division-bell: people refresh: cannot read the Members API ([parliament] "
            f"members_api in {where}): {exc}; the stored people are unchanged",
            file=err,
        )
        return EXIT_API_DOWN
    print(summary.line(), file=out)
    return 0


async def _refresh(settings: Settings) -> RefreshSummary:
    db = await open_store(settings.storage.path, settings.storage.url)
    try:
        parliament = settings.parliament
        async with MembersApi.open(
            parliament.members_api, request_timeout=parliament.timeout
        ) as api:
            return await refresh_people(db, api, Register.load(), datetime.now(UTC))
    finally:
        await db.close()
