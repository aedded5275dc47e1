"""A client for the three UK Parliament Members API endpoints Division Bell reads.

    GET /api/Members/Search?House=1&IsCurrentMember=true&skip=…&take=…   (paged)
    GET /api/Members/{id}
    GET /api/Members/History?ids=…&ids=…                                 (batched)

Every failure (connection, timeout, HTTP error, malformed JSON, a shape the API does not
document) is one MembersApiError whose message names the API and says what went wrong. A 429 or
a 502/503/504 is retried a few times, waiting as long as Retry-After asks when it asks. Data
read from the API is under the Open Parliament Licence v3.0.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from bot import USER_AGENT
from bot.errors import BotError
from bot.knowledge.members_records import (
    MalformedResponse,
    Member,
    MemberHistory,
    array,
    field,
    history_from,
    integer,
    member_from,
)
from bot.retry import parse_retry_after

log = logging.getLogger("bot.knowledge.members_api")

PAGE_SIZE = 20  # the most Search returns per page
# Ids per History call: a short URL (about 200 characters) and a reply about the size of a
# Search page, so ~1,500 current members take ~75 calls rather than 1,500.
HISTORY_BATCH = 20
MAX_ATTEMPTS = 3
MAX_WAIT_S = 60.0  # a longer Retry-After fails the call instead of stalling a refresh
RETRYABLE = frozenset({429, 502, 503, 504})
HOUSE_NUMBERS = {"commons": 1, "lords": 2}


class MembersApiError(BotError):
    """The Members API could not be read; the message says which call and why."""


class OutageLog:
    """Logs a Members API outage once when it starts and once when it ends, never per call."""

    def __init__(self, logger: logging.Logger = log) -> None:
        self.logger = logger
        self.down = False

    def failed(self, error: MembersApiError) -> None:
        """Record a failed call: a WARNING only for the first of an outage."""
        if self.down:
            self.logger.debug("%s (still down)", error)
            return
        self.down = True
        self.logger.warning("%s", error)

    def succeeded(self) -> None:
        """Record a good call: one INFO line when it ends an outage."""
        if self.down:
            self.down = False
            self.logger.info("members API reachable again")


class MembersApi:
    """Reads members and their histories; one aiohttp session, closed by `open()`'s exit."""

    def __init__(
        self,
        base_url: str,
        session: aiohttp.ClientSession,
        *,
        page_size: int = PAGE_SIZE,
        history_batch: int = HISTORY_BATCH,
        outages: OutageLog | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.page_size = page_size
        self.history_batch = history_batch
        self.outages = outages
        self.sleep = sleep

    @classmethod
    @asynccontextmanager
    async def open(
        cls, base_url: str, *, request_timeout: float = 20.0, outages: OutageLog | None = None
    ) -> AsyncIterator[MembersApi]:
        """A client with its own session: `request_timeout` seconds per request, our UA."""
        session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=request_timeout),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )
        try:
            yield cls(base_url, session, outages=outages)
        finally:
            await session.close()

    async def search(self, house: str, *, name: str | None = None) -> list[Member]:
        """Every current member of `house` ("commons"/"lords"), optionally by name, all pages."""
        members: dict[int, Member] = {}
        skip = 0
        while True:
            params = [("House", str(HOUSE_NUMBERS[house])), ("IsCurrentMember", "true")]
            if name:
                params.append(("Name", name))
            params += [("skip", str(skip)), ("take", str(self.page_size))]
            page = await self.get_json("/api/Members/Search", params)
            items, total = self._page(page)
            for number, item in enumerate(items):
                where = f"Search items[{skip + number}].value"
                member = self._read(member_from, field(item, "value", where), where)
                members.setdefault(member.id, member)  # a member moving pages mid-read counts once
            skip += len(items)
            if not items or skip >= total:
                return list(members.values())

    async def member(self, member_id: int) -> Member:
        """One member by id."""
        document = await self.get_json(f"/api/Members/{int(member_id)}", [])
        where = f"Members/{member_id}"
        member: Member = self._read(member_from, self._read(field, document, "value", where), where)
        return member

    async def history(self, ids: Iterable[int]) -> list[MemberHistory]:
        """The histories of every member in `ids`, several ids per call."""
        wanted = list(dict.fromkeys(ids))
        histories: list[MemberHistory] = []
        for first in range(0, len(wanted), self.history_batch):
            batch = wanted[first : first + self.history_batch]
            document = await self.get_json(
                "/api/Members/History", [("ids", str(member_id)) for member_id in batch]
            )
            if not isinstance(document, list):
                raise self._error("/api/Members/History", "expected a JSON array")
            for number, element in enumerate(document):
                where = f"History[{number}].value"
                value = self._read(field, element, "value", where)
                histories.append(self._read(history_from, value, where))
        return histories

    def _page(self, page: Any) -> tuple[list[Any], int]:
        items = self._read(array, page, "items", "Search")
        return items, self._read(integer, page, "totalResults", "Search")

    def _read(self, reader: Callable[..., Any], *args: Any) -> Any:
        try:
            return reader(*args)
        except MalformedResponse as exc:
            error = MembersApiError(f"{self.base_url}: unexpected response: {exc}")
            raise self._fail(error) from None

    def _error(self, path: str, reason: str) -> MembersApiError:
        return self._fail(MembersApiError(f"{self.base_url}{path}: {reason}"))

    def _fail(self, error: MembersApiError) -> MembersApiError:
        if self.outages is not None:
            self.outages.failed(error)
        return error

    async def get_json(self, path: str, params: list[tuple[str, str]]) -> Any:
        """GET one endpoint and decode its JSON, retrying 429 and 502–504 a few times."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            status, wait, body = await self._fetch(path, params)
            if status == 200:
                try:
                    document = json.loads(body)
                except json.JSONDecodeError as exc:
                    where = f"line {exc.lineno} column {exc.colno}"
                    raise self._error(path, f"malformed JSON ({exc.msg} at {where})") from None
                except ValueError:  # not UTF-8, UTF-16 or UTF-32
                    raise self._error(path, "malformed JSON (not Unicode text)") from None
                if self.outages is not None:
                    self.outages.succeeded()
                return document
            if status not in RETRYABLE or attempt == MAX_ATTEMPTS:
                break
            delay = float(attempt) if wait is None else wait
            if delay > MAX_WAIT_S:
                raise self._error(path, f"HTTP {status}, asked to wait {delay:.0f} s")
            log.debug("members API %s: HTTP %d, retrying in %.1f s", path, status, delay)
            await self.sleep(delay)
        raise self._error(path, f"HTTP {status}" + (" (rate limited)" if status == 429 else ""))

    async def _fetch(
        self, path: str, params: list[tuple[str, str]]
    ) -> tuple[int, float | None, bytes]:
        """(status, Retry-After seconds, body) of one GET; connection trouble is an error."""
        url = self.base_url + path
        try:
            async with self.session.get(url, params=params, allow_redirects=True) as response:
                body = await response.read()
                wait = parse_retry_after(response.headers.get("Retry-After"))
                return response.status, wait, body
        except TimeoutError:
            timeout = self.session.timeout.total
            raise self._error(path, f"no answer within {timeout:g} s") from None
        except aiohttp.ClientConnectorError as exc:
            raise self._error(path, f"cannot connect ({describe_os_error(exc.os_error)})") from None
        except aiohttp.ClientError as exc:
            raise self._error(path, f"request failed ({exc.__class__.__name__}: {exc})") from None


def describe_os_error(error: OSError) -> str:
    """'Connection refused', 'Name or service not known'…: the reason without the noise."""
    if error.errno and error.errno > 0:
        return os.strerror(error.errno)
    return error.strerror or str(error) or error.__class__.__name__
