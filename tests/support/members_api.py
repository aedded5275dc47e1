"""A loopback stand-in for the UK Parliament Members API: Search, Members/{id} and History.

Serves members given as SampleMember in the shapes of /work/shared/westminster/members-api-samples
(paged Search, batched History: script a party change with set_members), records every request
(history_requests() for History's ids), and misbehaves on request: HTTP errors, slow answers,
malformed JSON, and 429 with Retry-After. Async (`async with MembersApiServer()`)
or from a thread beside a CLI subprocess (`server.serve_in_thread()` … `server.stop()`).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aiohttp import web
from multidict import MultiDict

from tests.support.threaded import ThreadedServer

HOUSE_NUMBERS = {"commons": 1, "lords": 2}
PARTIES = {
    "Conservative": (4, "Con"),
    "Labour": (15, "Lab"),
    "Labour (Co-op)": (23, "Lab/Co-op"),
    "Liberal Democrat": (17, "LD"),
    "Independent": (8, "Ind"),
    "Reform UK": (1036, "RUK"),
    "Crossbench": (3, "XB"),
    "Scottish National Party": (29, "SNP"),
}
TRUNCATED = b'{"items": [{"value": {"id": 4'


class Spell(NamedTuple):
    """A party spell for a sample member; `end` None while open."""

    party: str
    start: str
    end: str | None = None


@dataclass
class SampleMember:
    """One member the stand-in serves."""

    id: int
    name: str
    house: str  # "commons" or "lords"
    seat: str
    parties: list[Spell]
    start: str = "2024-07-04"
    list_name: str = ""
    houses: list[tuple[str, str, str, str | None]] = field(default_factory=list)  # earlier

    def party_json(self, name: str) -> dict[str, Any]:
        """A party object as the API writes it."""
        party_id, abbreviation = PARTIES.get(name, (999, name[:3]))
        return {
            "id": party_id,
            "name": name,
            "abbreviation": abbreviation,
            "backgroundColour": "808080",
            "foregroundColour": "ffffff",
            "isLordsMainParty": False,
            "isLordsSpiritualParty": False,
            "governmentType": None,
            "isIndependentParty": name == "Independent",
        }

    def value(self) -> dict[str, Any]:
        """The `value` of a Search item or of Members/{id}."""
        return {
            "id": self.id,
            "nameListAs": self.list_name or self.name,
            "nameDisplayAs": self.name,
            "nameFullTitle": self.name,
            "nameAddressAs": None,
            "latestParty": self.party_json(self.parties[-1].party),
            "gender": "F",
            "latestHouseMembership": {
                "membershipFrom": self.seat,
                "membershipFromId": self.id,
                "house": HOUSE_NUMBERS[self.house],
                "membershipStartDate": f"{self.start}T00:00:00",
                "membershipEndDate": None,
                "membershipEndReason": None,
                "membershipEndReasonNotes": None,
                "membershipEndReasonId": None,
                "membershipStatus": {
                    "statusIsActive": True,
                    "statusDescription": "Current Member",
                    "statusNotes": None,
                    "statusId": 0,
                    "status": 0,
                    "statusStartDate": f"{self.start}T00:00:00",
                },
            },
            "thumbnailUrl": f"https://members-api.parliament.uk/api/Members/{self.id}/Thumbnail",
        }

    def history(self) -> dict[str, Any]:
        """One element of Members/History."""
        stamp = lambda day: None if day is None else f"{day}T00:00:00"  # noqa: E731
        houses = [*self.houses, (self.house, self.seat, self.start, None)]
        return {
            "value": {
                "id": self.id,
                "nameHistory": [
                    {"nameDisplayAs": self.name, "startDate": stamp(self.start), "endDate": None}
                ],
                "partyHistory": [
                    {
                        "startDate": stamp(s.start),
                        "endDate": stamp(s.end),
                        "party": self.party_json(s.party),
                    }
                    for s in self.parties
                ],
                "houseMembershipHistory": [
                    {
                        "membershipFrom": seat,
                        "house": HOUSE_NUMBERS[house],
                        "membershipStartDate": stamp(start),
                        "membershipEndDate": stamp(end),
                    }
                    for house, seat, start, end in houses
                ],
            },
            "links": [],
        }


class MembersApiServer(ThreadedServer):
    """Serves the three endpoints on 127.0.0.1 from `members`; `fault` makes it misbehave."""

    def __init__(self, members: list[SampleMember] | None = None) -> None:
        self.members: dict[int, SampleMember] = {m.id: m for m in members or []}
        self.requests: list[tuple[str, MultiDict[str]]] = []
        # ("status", {"status": 500}), ("slow", {"delay": 5}), ("malformed", {}),
        # ("rate_limit", {"retry_after": "1", "times": 1}); `paths` limits it to some endpoints.
        self.fault: tuple[str, dict[str, Any]] | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    def set_members(self, members: list[SampleMember]) -> None:
        """Serve these members from now on."""
        self.members = {m.id: m for m in members}

    def history_requests(self) -> list[list[int]]:
        """The ids each Members/History request asked for, in order (failed ones too)."""
        return [
            [int(i) for i in query.getall("ids", [])]
            for path, query in self.requests
            if path == "/api/Members/History"
        ]

    def url(self) -> str:
        """The base URL to configure as [parliament] members_api."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Bind a free port on 127.0.0.1 and serve."""
        app = web.Application()
        app.router.add_get("/api/Members/Search", self._search)
        app.router.add_get("/api/Members/History", self._history)
        app.router.add_get("/api/Members/{id}", self._member)
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _misbehave(self, request: web.Request) -> web.Response | None:
        self.requests.append((request.path, MultiDict(request.query)))
        kind, options = self.fault or ("", {})
        if options.get("paths") and request.path.rpartition("/")[2] not in options["paths"]:
            return None
        if kind == "status":
            return web.Response(status=options["status"], text="server error")
        if kind == "slow":
            await asyncio.sleep(options["delay"])
            return None
        if kind == "malformed":
            return web.Response(
                body=b'{"items": [{"value": {"id": 4', content_type="application/json"
            )
        if kind == "rate_limit" and options.get("times", 1) > 0:
            options["times"] = options.get("times", 1) - 1
            return web.Response(status=429, headers={"Retry-After": options["retry_after"]})
        return None

    async def _search(self, request: web.Request) -> web.Response:
        fault = await self._misbehave(request)
        if fault is not None:
            return fault
        query = request.query
        house = {"1": "commons", "2": "lords"}[query.get("House", "1")]
        name = query.get("Name", "").lower()
        skip, take = int(query.get("skip", "0")), min(int(query.get("take", "20")), 20)
        found = [
            m
            for m in sorted(self.members.values(), key=lambda m: m.id)
            if m.house == house and name in m.name.lower()
        ]
        page = found[skip : skip + take]
        return web.json_response(
            {
                "items": [
                    {"value": m.value(), "links": [{"rel": "self", "href": f"/Members/{m.id}"}]}
                    for m in page
                ],
                "totalResults": len(found),
                "resultContext": name,
                "skip": skip,
                "take": take,
                "links": [],
            }
        )

    async def _member(self, request: web.Request) -> web.Response:
        fault = await self._misbehave(request)
        if fault is not None:
            return fault
        member = self.members.get(int(request.match_info["id"]))
        if member is None:
            return web.Response(status=404)
        return web.json_response({"value": member.value(), "links": []})

    async def _history(self, request: web.Request) -> web.Response:
        fault = await self._misbehave(request)
        if fault is not None:
            return fault
        ids = [int(i) for i in request.query.getall("ids", [])]
        body = [self.members[i].history() for i in ids if i in self.members]
        return web.Response(text=json.dumps(body), content_type="application/json")
