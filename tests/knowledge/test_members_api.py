"""The Members API client against the loopback stand-in: paging, batching, retries, failures."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot import USER_AGENT
from bot.knowledge.members_api import MembersApi, MembersApiError, OutageLog
from bot.knowledge.members_records import history_from, member_from
from tests.support.members_api import MembersApiServer, SampleMember, Spell


def mps(count: int, first_id: int = 1000) -> list[SampleMember]:
    """`count` Labour MPs with distinct ids and seats."""
    return [
        SampleMember(
            first_id + n, f"Member {n}", "commons", f"Seat {n}", [Spell("Labour", "2024-07-04")]
        )
        for n in range(count)
    ]


@pytest.fixture
async def server() -> AsyncIterator[MembersApiServer]:
    async with MembersApiServer(mps(45)) as running:
        yield running


async def test_search_reads_every_page(server: MembersApiServer) -> None:
    async with MembersApi.open(server.url()) as api:
        members = await api.search("commons")
    assert [m.id for m in members] == list(range(1000, 1045))
    pages = [query for path, query in server.requests if path.endswith("Search")]
    assert [(q["skip"], q["take"]) for q in pages] == [("0", "20"), ("20", "20"), ("40", "20")]
    assert all(q["House"] == "1" and q["IsCurrentMember"] == "true" for q in pages)
    assert members[0].party is not None
    assert members[0].party.name == "Labour"
    assert (members[0].house, members[0].seat, members[0].start) == (
        "commons",
        "Seat 0",
        "2024-07-04",
    )


async def test_search_by_name_and_house(server: MembersApiServer) -> None:
    server.set_members(
        [
            *mps(2),
            SampleMember(
                7, "Lord Smith", "lords", "Life peer", [Spell("Crossbench", "2020-01-01")]
            ),
        ]
    )
    async with MembersApi.open(server.url()) as api:
        peers = await api.search("lords", name="Smith")
    assert [p.id for p in peers] == [7]
    assert server.requests[-1][1]["House"] == "2"
    assert server.requests[-1][1]["Name"] == "Smith"


async def test_history_batches_ids(server: MembersApiServer) -> None:
    async with MembersApi.open(server.url()) as api:
        histories = await api.history([*range(1000, 1045), 1000])  # a repeat is asked once
    assert [h.id for h in histories] == list(range(1000, 1045))
    batches = [query.getall("ids") for path, query in server.requests if path.endswith("History")]
    assert [len(b) for b in batches] == [20, 20, 5]
    assert histories[0].parties[0].party.name == "Labour"
    assert histories[0].houses[0].house == "commons"


async def test_member_by_id_sends_our_user_agent(server: MembersApiServer) -> None:
    seen: list[str] = []

    async def trace(
        _session: object, _context: object, params: aiohttp.TraceRequestStartParams
    ) -> None:
        seen.append(params.headers["User-Agent"])

    tracing = aiohttp.TraceConfig()
    tracing.on_request_start.append(trace)
    async with aiohttp.ClientSession(
        headers={"User-Agent": USER_AGENT}, trace_configs=[tracing]
    ) as session:
        member = await MembersApi(server.url(), session).member(1003)
    assert (member.id, member.name) == (1003, "Member 3")
    assert seen == [USER_AGENT]


async def test_open_sets_the_user_agent(server: MembersApiServer) -> None:
    async with MembersApi.open(server.url()) as api:
        assert api.session.headers["User-Agent"] == USER_AGENT


async def test_429_waits_as_asked_then_succeeds(server: MembersApiServer) -> None:
    server.fault = ("rate_limit", {"retry_after": "7", "times": 2})
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async with aiohttp.ClientSession() as session:
        member = await MembersApi(server.url(), session, sleep=sleep).member(1001)
    assert member.id == 1001
    assert waits == [7.0, 7.0]


async def test_429_asking_too_long_fails_at_once(server: MembersApiServer) -> None:
    server.fault = ("rate_limit", {"retry_after": "3600", "times": 5})
    async with MembersApi.open(server.url()) as api:
        with pytest.raises(MembersApiError, match=r"HTTP 429, asked to wait 3600 s"):
            await api.member(1001)
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (("status", {"status": 500}), r"/api/Members/Search: HTTP 500$"),
        (("malformed", {}), r"/api/Members/Search: malformed JSON"),
        (("slow", {"delay": 5}), r"/api/Members/Search: no answer within 0.5 s"),
    ],
)
async def test_failures_are_one_clear_error(
    server: MembersApiServer, fault: tuple[str, dict[str, object]], message: str
) -> None:
    server.fault = fault
    async with MembersApi.open(server.url(), request_timeout=0.5) as api:
        with pytest.raises(MembersApiError, match=message) as caught:
            await api.search("commons")
    assert str(caught.value).startswith(server.url())


async def test_connection_refused_is_clear() -> None:
    async with MembersApi.open("http://127.0.0.1:9") as api:
        with pytest.raises(MembersApiError, match=r"127.0.0.1:9/api/Members/1: cannot connect"):
            await api.member(1)


async def test_outage_is_logged_once_and_its_end_once(
    server: MembersApiServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.knowledge.members_api")
    server.fault = ("status", {"status": 500})
    async with MembersApi.open(server.url(), outages=OutageLog()) as api:
        for _ in range(3):
            with pytest.raises(MembersApiError):
                await api.member(1001)
        server.fault = None
        await api.member(1001)
        await api.member(1001)
    lines = [r.getMessage() for r in caplog.records if r.levelname in ("WARNING", "INFO")]
    assert lines == [f"{server.url()}/api/Members/1001: HTTP 500", "members API reachable again"]


async def test_unexpected_shape_names_where(server: MembersApiServer) -> None:
    server.members[1001].value = lambda: {"id": 1001, "latestParty": None}  # type: ignore[method-assign]
    async with MembersApi.open(server.url()) as api:
        with pytest.raises(MembersApiError) as caught:
            await api.member(1001)
    assert str(caught.value) == (
        f"{server.url()}: unexpected response: Members/1001.latestHouseMembership: missing"
    )


def test_the_shared_samples_parse(shared_dir: Path) -> None:
    samples = shared_dir / "westminster" / "members-api-samples"
    search = json.loads((samples / "search-name-christian-wakeford.json").read_text())
    member = member_from(search["items"][0]["value"], "sample")
    assert (member.id, member.name, member.house, member.seat) == (
        4871,
        "Christian Wakeford",
        "commons",
        "Bury South",
    )
    assert member.party is not None
    assert member.party.name == "Labour"
    assert member.active
    assert member.end == ""
    histories = json.loads((samples / "history-4871-4066.json").read_text())
    wakeford = history_from(histories[0]["value"], "sample")
    assert [(p.party.name, p.start, p.end) for p in wakeford.parties] == [
        ("Conservative", "2019-12-12", "2022-01-19"),
        ("Labour", "2022-01-19", ""),
    ]
    single = json.loads((samples / "member-4871.json").read_text())
    assert member_from(single["value"], "sample") == member
