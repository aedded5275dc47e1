"""The Slack Web API client as this app uses it: base URL, timeout, retries and error codes."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.retry import parse_retry_after

log = logging.getLogger("bot.transports.slack")

# A 429 asking for at most this long is waited out in place (keeping a channel's alerts in
# order); a longer wait goes back to the outbox, which stays free to serve other channels.
WAIT_IN_PLACE_S = 5.0
API_TIMEOUT_S = 15  # below `poll`'s 20 s send window, so one hung call cannot use it all
# The token itself is refused: nothing works until it is replaced or the app reinstalled.
AUTH_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "not_allowed_token_type",
    }
)


def retry_after(headers: Mapping[str, Any] | None) -> float | None:
    """Seconds from a Retry-After header (its value may be a string or a list of them)."""
    if not headers:
        return None
    for name, value in headers.items():
        if name.lower() != "retry-after":
            continue
        raw = value[0] if isinstance(value, list) and value else value
        return parse_retry_after(raw) if isinstance(raw, str | int | float) else None
    return None


class ShortRateLimitRetry(AsyncRateLimitErrorRetryHandler):
    """Waits out a 429 in place, once, only when Slack asks for a short wait."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = retry_after(response.headers)
        return wait is not None and wait <= WAIT_IN_PLACE_S


def make_client(
    api_base: str, token: str | None, *, timeout_s: int = API_TIMEOUT_S
) -> AsyncWebClient:
    """An AsyncWebClient on `[slack] api_base`: connection resets and short 429s retried once."""
    handlers: list[AsyncRetryHandler] = [
        AsyncConnectionErrorRetryHandler(max_retry_count=1),
        ShortRateLimitRetry(max_retry_count=1),
    ]
    base = api_base if api_base.endswith("/") else api_base + "/"
    return AsyncWebClient(
        token=token, base_url=base, timeout=timeout_s, retry_handlers=handlers, logger=log
    )


def error_code(exc: SlackApiError) -> str:
    """Slack's error code ("not_in_channel"), or "http_<status>" when the body had none."""
    response = exc.response
    data = getattr(response, "data", None)
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return f"http_{getattr(response, 'status_code', 0)}"


def status_of(exc: SlackApiError) -> int:
    """The HTTP status of a failed call."""
    return int(getattr(exc.response, "status_code", 0) or 0)
