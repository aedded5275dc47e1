"""The Slack app transport: alerts over the Web API, /westminster over Socket Mode or HTTP.

Socket Mode when SLACK_APP_TOKEN is set (it wins over a signing secret); else HTTP mode on the
service's POST /slack/events when SLACK_SIGNING_SECRET is set; else alerts only, no commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any, Literal

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError

from bot.delivery.deliver import Editor, Sender
from bot.transports.base import TransportContext
from bot.transports.common import SIGN_IN_RETRY_FIRST_S, TransportHealth
from bot.transports.slack.api import API_TIMEOUT_S, AUTH_ERRORS, error_code, make_client
from bot.transports.slack.sender import SlackSender, token_refused
from bot.transports.slack.slash import SlashHandler, register
from bot.transports.slack.socket_mode import SocketMode

log = logging.getLogger("bot.transports.slack")

EVENTS_PATH = "/slack/events"
Mode = Literal["socket", "http", "alerts-only"]


class _QuietTokenWarning(logging.Filter):
    """Drops Bolt's warning that the client we pass wins over SLACK_BOT_TOKEN.

    Bolt reads that variable itself; our client is tokenless on purpose (see _build_bolt), so
    the warning would tell every operator about a choice that is ours, not theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every other record."""
        return "`token` will be unused" not in record.getMessage()


BOLT_LOG = logging.getLogger("bot.transports.slack.bolt")
BOLT_LOG.addFilter(_QuietTokenWarning())


class SlackTransport:
    """The Transport for Slack: a sender for kind "slack", and the /westminster command."""

    name: str = "slack"
    kinds: tuple[str, ...] = ("slack",)

    def __init__(
        self,
        context: TransportContext,
        *,
        api_timeout_s: int = API_TIMEOUT_S,
        sign_in_retry_first_s: float = SIGN_IN_RETRY_FIRST_S,
    ) -> None:
        settings, secrets = context.settings, context.settings.secrets
        self.context = context
        self.token = secrets.slack_bot_token or ""
        self.health = TransportHealth(
            "Slack app",
            log,
            remedy="Check SLACK_BOT_TOKEN and the app's scopes (reinstall the app); alerts "
            "resume as soon as Slack accepts the token.",
            sign_in_retry_first_s=sign_in_retry_first_s,
        )
        self.identity: dict[str, Any] = {}  # auth.test's answer: who the bot is, where
        self.api_timeout_s = api_timeout_s
        self.client = make_client(settings.slack.api_base, self.token, timeout_s=api_timeout_s)
        self.slack_sender = SlackSender(self.client, self.health)
        self.sender: Sender = self.slack_sender
        self.editor: Editor | None = self.slack_sender  # chat.update, and thread_ts replies
        self.mode: Mode = (
            "socket"
            if secrets.slack_app_token
            else "http"
            if secrets.slack_signing_secret
            else "alerts-only"
        )
        self.bolt: AsyncApp | None = None
        self.socket: SocketMode | None = None
        self._retry_sign_in: asyncio.Task[None] | None = None
        self.refused_requests = 0  # forged or stale requests to /slack/events
        self._refusal_logged_at: float | None = None
        if self.mode != "alerts-only":
            self.bolt = self._build_bolt(secrets.slack_signing_secret or "")
        if self.mode == "http" and context.http_app is not None:
            # Added now: aiohttp freezes its routes once the service starts serving.
            context.http_app.router.add_post(EVENTS_PATH, self._events)

    def _build_bolt(self, signing_secret: str) -> AsyncApp:
        async def authorize(enterprise_id: str | None, team_id: str | None) -> Any:
            # Our own sign-in instead of Bolt's per-process auth.test on the first command,
            # which could make that command miss Slack's 3 s deadline.
            if not self.identity:
                await self.open_rest()
            identity = self.identity
            if not identity:
                return None
            return AuthorizeResult(
                enterprise_id=identity.get("enterprise_id") or enterprise_id,
                team_id=identity.get("team_id") or team_id,
                bot_user_id=identity.get("user_id"),
                bot_id=identity.get("bot_id"),
                bot_token=self.token,
            )

        bolt = AsyncApp(
            name="division-bell",
            # Tokenless: each request gets a client with the token `authorize` returns.
            client=make_client(
                self.context.settings.slack.api_base, None, timeout_s=self.api_timeout_s
            ),
            signing_secret=signing_secret,
            authorize=authorize,
            # Socket Mode requests are not signed; Bolt skips verification for them itself.
            request_verification_enabled=self.mode == "http",
            logger=BOLT_LOG,
        )
        # Bolt logs every refused request at INFO with its whole body: text chosen by whoever
        # forged it, one line per request. _events says it once a minute, without the body.
        # Set after AsyncApp(), which copies BOLT_LOG's level onto its middleware loggers.
        for name in ("slack_bolt.AsyncRequestVerification", "slack_bolt.RequestVerification"):
            logging.getLogger(name).setLevel(logging.WARNING)
        managers = self.context.settings.slack.managers
        handler = SlashHandler(self.context.commands, self.slack_sender, managers)
        register(bolt, handler)
        return bolt

    async def _events(self, request: web.Request) -> web.Response:
        """POST /slack/events: Bolt verifies the signature and timestamp (401 otherwise)."""
        assert self.bolt is not None  # noqa: S101 - the route exists only in HTTP mode
        response = await self.bolt.async_dispatch(await to_bolt_request(request))
        if response.status == 401:
            self._refused(request.remote)
        answer: web.Response = await to_aiohttp_response(response)
        return answer

    def _refused(self, remote: str | None) -> None:
        """Count a request Bolt refused (bad or stale signature); log at most once a minute."""
        self.refused_requests += 1
        now = time.monotonic()
        if self._refusal_logged_at is not None and now - self._refusal_logged_at < 60:
            return
        self._refusal_logged_at = now
        log.warning(
            "Slack HTTP mode: refused a request with a bad or stale signature from %s "
            "(%d refused so far; is SLACK_SIGNING_SECRET the app's?)",
            remote or "an unknown address",
            self.refused_requests,
        )

    async def open_rest(self) -> None:
        """auth.test with the bot token; a refusal marks the transport down, never raises."""
        try:
            response = await self.client.auth_test()
        except SlackApiError as exc:
            code = error_code(exc)
            if code in AUTH_ERRORS:
                self.health.mark_down(token_refused(code))
            else:
                log.warning("Slack auth.test failed (%s); alerts stay queued and are retried", code)
            return
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning(
                "cannot reach Slack at %s (%s); alerts stay queued and are retried",
                self.context.settings.slack.api_base,
                type(exc).__name__,
            )
            return
        data = response.data if isinstance(response.data, dict) else {}
        if data:
            self.identity = dict(data)
        self.health.mark_up()
        log.info(
            "Slack: signed in as %s to workspace %s (%s)",
            data.get("user"),
            data.get("team"),
            data.get("team_id"),
        )

    async def start(self) -> None:
        """Sign in, then serve /westminster by Socket Mode or HTTP (or say why not)."""
        await self.open_rest()
        if not self.health.signed_in and self.health.down_reason is None:
            # Slack was unreachable: keep trying, so health turns green without a restart.
            self._retry_sign_in = asyncio.create_task(
                self.health.sign_in_until_up(self.open_rest), name="slack-sign-in"
            )
        if self.mode == "alerts-only":
            log.info(
                "Slack: only SLACK_BOT_TOKEN is set, so alerts are delivered but /westminster is "
                "not served (add SLACK_APP_TOKEN for Socket Mode, or SLACK_SIGNING_SECRET for "
                "HTTP mode)"
            )
        elif self.mode == "http":
            if self.context.http_app is None:
                log.warning("Slack HTTP mode needs the service's HTTP app; /westminster is off")
            else:
                log.info(
                    "Slack: HTTP mode, /westminster served at POST %s on %s",
                    EVENTS_PATH,
                    self.context.settings.http_listen,
                )
        else:
            if self.context.settings.secrets.slack_signing_secret:
                log.info("Slack: both SLACK_APP_TOKEN and SLACK_SIGNING_SECRET set: Socket Mode")
            assert self.bolt is not None  # noqa: S101 - built for every mode with commands
            self.socket = SocketMode(self.bolt, self.context.settings.secrets.slack_app_token or "")
            await self.socket.start()

    async def stop(self) -> None:
        """Close the socket and background tasks; safe twice and after a failed start."""
        task, self._retry_sign_in = self._retry_sign_in, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        socket, self.socket = self.socket, None
        if socket is not None:
            await socket.stop()

    @property
    def connected(self) -> bool:
        """Signed in and not refused; in Socket Mode, also connected."""
        if not self.health.up:
            return False
        if self.mode == "socket":
            return self.socket is not None and self.socket.connected
        return True


def build(context: TransportContext) -> SlackTransport:
    """The Slack transport for this context (called when SLACK_BOT_TOKEN is set)."""
    return SlackTransport(context)
