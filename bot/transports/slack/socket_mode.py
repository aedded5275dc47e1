"""Socket Mode: /westminster over Slack's websocket, so no public URL is needed."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot.transports.slack.api import AUTH_ERRORS, error_code

log = logging.getLogger("bot.transports.slack")


class SocketMode:
    """One Socket Mode connection for a Bolt app; it reconnects by itself once up."""

    def __init__(self, bolt: AsyncApp, app_token: str) -> None:
        self.bolt = bolt
        self.app_token = app_token
        self.handler: AsyncSocketModeHandler | None = None
        self.refused: str | None = None
        self._connecting: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Check the app token, then connect in the background; return at once."""
        url = await self._open_connection()
        if self.refused:
            return
        self.handler = AsyncSocketModeHandler(
            self.bolt, self.app_token, logger=logging.getLogger("bot.transports.slack.socket")
        )
        # Reuse the URL the check just issued; without it the client asks for another.
        self.handler.client.wss_uri = url
        self._connecting = asyncio.create_task(self._connect(), name="slack-socket-mode")

    async def _open_connection(self) -> str | None:
        # The Socket Mode client retries a refused app token every few seconds forever, an
        # ERROR each time; one check first turns a bad token into one clear line instead.
        try:
            response = await self.bolt.client.apps_connections_open(app_token=self.app_token)
        except SlackApiError as exc:
            code = error_code(exc)
            if code in AUTH_ERRORS:
                self.refused = code
                log.error(
                    "Slack refused SLACK_APP_TOKEN (%s): /westminster is not served; alerts "
                    "still go out. Generate an app-level token with connections:write and "
                    "restart",
                    code,
                )
                return None
            log.warning("Slack apps.connections.open failed (%s); Socket Mode keeps trying", code)
            return None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning("cannot reach Slack for Socket Mode (%s); it keeps trying", exc)
            return None
        url = response.get("url")
        return str(url) if url else None

    async def _connect(self) -> None:
        assert self.handler is not None  # noqa: S101 - set before this task starts
        await self.handler.connect_async()  # type: ignore[no-untyped-call]
        log.info("Slack: Socket Mode connected; /westminster is live")

    @property
    def connected(self) -> bool:
        """Whether the websocket is open and fresh."""
        if self.handler is None:
            return False
        client = self.handler.client
        session = client.current_session
        return bool(session is not None and not session.closed and not client.closed) and not (
            client.stale
        )

    async def stop(self) -> None:
        """Close the websocket and the client's tasks; safe twice."""
        task, self._connecting = self._connecting, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        handler, self.handler = self.handler, None
        if handler is not None:
            await handler.close_async()  # type: ignore[no-untyped-call]
