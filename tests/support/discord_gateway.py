"""A minimal loopback Discord gateway: HELLO, READY, GUILD_CREATE, heartbeat ACKs, and events.

Served by tests.support.discord_api (its /gateway/bot points here). Frames are plain JSON text,
which discord.py accepts even when it asked for compression. Enough for discord.py to connect
shards, become ready, and receive the events a test dispatches (GUILD_DELETE, CHANNEL_DELETE,
INTERACTION_CREATE).
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from aiohttp import WSMsgType, web

HELLO, HEARTBEAT, IDENTIFY, DISPATCH, HEARTBEAT_ACK = 10, 1, 2, 0, 11
TEXT_CHANNEL = 0


def guild_payload(guild_id: str, channels: dict[str, str]) -> dict[str, Any]:
    """A GUILD_CREATE body: the guild, its @everyone role and text channels by id → name."""
    return {
        "id": guild_id,
        "name": f"Guild {guild_id}",
        "unavailable": False,
        "owner_id": "1",
        "member_count": 2,
        "features": [],
        "emojis": [],
        "stickers": [],
        "members": [],
        "presences": [],
        "voice_states": [],
        "threads": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "roles": [
            {
                "id": guild_id,
                "name": "@everyone",
                "permissions": "0",
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
            }
        ],
        "channels": [
            {"id": cid, "type": TEXT_CHANNEL, "name": name, "position": i, "guild_id": guild_id}
            for i, (cid, name) in enumerate(channels.items())
        ],
    }


class Gateway:
    """The websocket side of the stand-in; one connection per shard."""

    def __init__(self, bot_user: dict[str, Any], app_id: str) -> None:
        self.bot_user = bot_user
        self.app_id = app_id
        self.guilds: dict[str, dict[str, str]] = {}
        self.identified: list[dict[str, Any]] = []
        self._sockets: list[tuple[web.WebSocketResponse, list[int]]] = []
        self._seq = itertools.count(1)

    def add_guild(self, guild_id: str, channels: dict[str, str]) -> None:
        """A guild the bot is in, sent at READY (before the first connection)."""
        self.guilds[guild_id] = channels

    def _shard_of(self, guild_id: str, shard: list[int]) -> bool:
        return (int(guild_id) >> 22) % shard[1] == shard[0]

    async def _send(self, ws: web.WebSocketResponse, op: int, data: Any, event: str | None) -> None:
        frame: dict[str, Any] = {"op": op, "d": data, "s": None, "t": event}
        if op == DISPATCH:
            frame["s"] = next(self._seq)
        await ws.send_json(frame)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send an event to the shard that owns its guild (every shard when there is none)."""
        guild_id = data.get("guild_id") or (data.get("id") if event.startswith("GUILD_") else None)
        for ws, shard in list(self._sockets):
            if guild_id is None or self._shard_of(str(guild_id), shard):
                await self._send(ws, DISPATCH, data, event)

    async def _identify(self, ws: web.WebSocketResponse, payload: dict[str, Any]) -> list[int]:
        self.identified.append(payload)
        shard = payload.get("shard") or [0, 1]
        mine = [g for g in self.guilds if self._shard_of(g, shard)]
        ready = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": g, "unavailable": True} for g in mine],
            "session_id": f"session-{shard[0]}",
            "resume_gateway_url": "ws://127.0.0.1:1/",
            "application": {"id": self.app_id, "flags": 0},
            "shard": shard,
        }
        await self._send(ws, DISPATCH, ready, "READY")
        for guild_id in mine:
            await self._send(
                ws, DISPATCH, guild_payload(guild_id, self.guilds[guild_id]), "GUILD_CREATE"
            )
        return list(shard)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """One shard's connection."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await self._send(ws, HELLO, {"heartbeat_interval": 45_000}, None)
        entry: tuple[web.WebSocketResponse, list[int]] | None = None
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = msg.json()
                if frame["op"] == IDENTIFY:
                    entry = (ws, await self._identify(ws, frame["d"]))
                    self._sockets.append(entry)
                elif frame["op"] == HEARTBEAT:
                    await self._send(ws, HEARTBEAT_ACK, None, None)
        finally:
            if entry in self._sockets:
                self._sockets.remove(entry)
        return ws

    async def close(self) -> None:
        """Close every open connection."""
        for ws, _ in list(self._sockets):
            await ws.close()
        await asyncio.sleep(0)
