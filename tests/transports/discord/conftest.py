"""Fixtures: the Discord stand-in, a real SQLite store and the real transport logged in to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import discord
import pytest

from bot.commands import Commands
from bot.pipeline.classify import Classifier
from bot.store.connection import Database
from bot.transports.discord.transport import DiscordTransport
from tests.support.discord_api import TOKEN, DiscordAPI
from tests.transports.discord.payloads import MANAGER_ROLE

NOW = datetime(2024, 3, 6, 12, 0, tzinfo=UTC)


@pytest.fixture
async def api() -> AsyncIterator[DiscordAPI]:
    async with DiscordAPI() as server:
        yield server


@pytest.fixture
def use_cases(db: Database) -> Commands:
    return Commands(db, Classifier.load().categories, (), lambda: NOW)


@pytest.fixture
def make_transport(
    api: DiscordAPI, db: Database, use_cases: Commands
) -> Callable[..., DiscordTransport]:
    def make(**kwargs: Any) -> DiscordTransport:
        options: dict[str, Any] = {"token": TOKEN, "manager_roles": (MANAGER_ROLE,)} | kwargs
        return DiscordTransport(api_base=api.api_base, db=db, commands=use_cases, **options)

    return make


@pytest.fixture
async def transport(
    make_transport: Callable[..., DiscordTransport],
) -> AsyncIterator[DiscordTransport]:
    bot = make_transport()
    await bot.open_rest()
    try:
        yield bot
    finally:
        await bot.stop()


@pytest.fixture
def invoke(transport: DiscordTransport) -> Callable[[dict[str, Any]], Any]:
    """Dispatch an interaction payload through the real CommandTree, as the gateway would."""

    async def call(payload: dict[str, Any]) -> discord.Interaction[Any]:
        client = transport.client
        interaction: discord.Interaction[Any] = discord.Interaction(
            data=payload,  # type: ignore[arg-type]
            state=client._connection,
        )
        await client.tree._call(interaction)
        return interaction

    return call
