"""`division-bell people refresh` through the real CLI, against the loopback Members API."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from bot.knowledge.current import current_register
from tests.support import stored
from tests.support.cli import run_cli, toml_string, write_config
from tests.support.members_api import MembersApiServer, SampleMember, Spell

AFTER_THE_CHANGE = date(2026, 10, 1)  # after the shipped register (2026-06-27) and the switch

# Tests of what a refresh stores run on SQLite and again on PostgreSQL; those only about the
# Members API's answers or the config run once, on SQLite.
ON_BOTH_BACKENDS = pytest.mark.usefixtures("cli_backend")


def sample_members(patel_party: str = "Reform UK") -> list[SampleMember]:
    """Two MPs the register knows (one who changed party), a known peer and a new one."""
    patel = [Spell("Conservative", "2010-05-06", "2026-09-01"), Spell(patel_party, "2026-09-01")]
    if patel_party == "Conservative":
        patel = [Spell("Conservative", "2010-05-06")]
    return [
        SampleMember(
            4871,
            "Christian Wakeford",
            "commons",
            "Bury South",
            [Spell("Conservative", "2019-12-12", "2022-01-19"), Spell("Labour", "2022-01-19")],
            start="2019-12-12",
        ),
        SampleMember(4066, "Priti Patel", "commons", "Witham", patel, start="2010-05-06"),
        SampleMember(
            33,
            "Lord Pickles",
            "lords",
            "Life peer",
            [Spell("Conservative", "1992-04-09")],
            start="2018-06-18",
            houses=[("commons", "Brentwood and Ongar", "1992-04-09", "2017-05-03")],
        ),
        SampleMember(
            900001, "Baroness Newcomer", "lords", "Life peer", [Spell("Crossbench", "2026-10-01")]
        ),
    ]


@pytest.fixture
def api() -> Iterator[MembersApiServer]:
    server = MembersApiServer(sample_members()).serve_in_thread()
    try:
        yield server
    finally:
        server.stop()


def configure(folder: Path, api: MembersApiServer, *, enabled: bool = True) -> None:
    """A config whose [parliament] points at the stand-in."""
    write_config(
        folder,
        feeds={},
        extra=(
            "[parliament]\n"
            f"members_api = {toml_string(api.url())}\n"
            f"enabled = {'true' if enabled else 'false'}\n"
            "timeout = 1\n"
        ),
    )


def refresh(folder: Path) -> tuple[int, str, str]:
    result = run_cli(["--config", "division-bell.toml", "people", "refresh"], cwd=folder)
    return result.returncode, result.stdout, result.stderr


def dump(folder: Path) -> tuple[list[tuple[object, ...]], ...]:
    """Every refreshed row, in a stable order."""
    return (
        stored.fetch(folder, "SELECT * FROM people ORDER BY id"),
        stored.fetch(folder, "SELECT * FROM party_spells ORDER BY person_id, start_date"),
        stored.fetch(folder, "SELECT * FROM people_refresh"),
    )


@ON_BOTH_BACKENDS
def test_refresh_records_a_party_change(tmp_path: Path, api: MembersApiServer) -> None:
    configure(tmp_path, api)
    code, out, err = refresh(tmp_path)
    assert (code, err) == (0, "")
    assert out == (
        "refreshed 2 MPs and 2 peers (1 not in the shipped register); 1 party change since the "
        "shipped register: Priti Patel (Conservative → Reform UK)\n"
    )
    people, spells, refreshed = dump(tmp_path)
    assert [row[0] for row in people] == [33, 4066, 4871, 900001]
    assert [s[1:] for s in spells if s[0] == 4066] == [
        ("Conservative", "2010-05-06", "2026-09-01", "commons"),
        ("Reform UK", "2026-09-01", "", "commons"),
    ]
    # Lord Pickles: one Conservative spell in the API, split where he left the Commons.
    assert [s[1:] for s in spells if s[0] == 33] == [
        ("Conservative", "1992-04-09", "2017-05-03", "commons"),
        ("Conservative", "2018-06-18", "", "lords"),
    ]
    assert refreshed[0][2] == api.url()
    histories = [q.getall("ids") for path, q in api.requests if path.endswith("History")]
    assert histories == [["4066", "4871", "33", "900001"]]  # one batch for four ids


@ON_BOTH_BACKENDS
def test_runtime_register_prefers_the_refresh(tmp_path: Path, api: MembersApiServer) -> None:
    configure(tmp_path, api)
    assert refresh(tmp_path)[0] == 0

    async def registers() -> tuple[str | None, str | None, bool]:
        db = await stored.open_test_store(tmp_path)
        try:
            register = await current_register(db)
        finally:
            await db.close()
        pickles = register[33]
        return (
            register[4066].party_on(AFTER_THE_CHANGE),
            pickles.party_on(date(2017, 12, 1)),
            pickles.is_member(AFTER_THE_CHANGE),
        )

    patel_now, pickles_between_houses, pickles_sitting = asyncio.run(registers())
    assert patel_now == "Reform UK"
    assert pickles_between_houses is None
    assert pickles_sitting


@ON_BOTH_BACKENDS
def test_second_refresh_replaces_not_duplicates(tmp_path: Path, api: MembersApiServer) -> None:
    configure(tmp_path, api)
    assert refresh(tmp_path)[0] == 0
    api.set_members(sample_members("Conservative")[:2])  # Patel back; the peers gone
    code, out, _ = refresh(tmp_path)
    assert code == 0
    assert out == "refreshed 2 MPs and 0 peers; no party changes since the shipped register\n"
    people, spells, refreshed = dump(tmp_path)
    assert [row[0] for row in people] == [4066, 4871]
    assert [s[1:3] for s in spells] == [
        ("Conservative", "2010-05-06"),
        ("Conservative", "2019-12-12"),
        ("Labour", "2022-01-19"),
    ]
    assert len(refreshed) == 1


FAULTS = [
    pytest.param(("status", {"status": 500}), "/api/Members/Search: HTTP 500", id="500"),
    pytest.param(("slow", {"delay": 3}), "/api/Members/Search: no answer within 1 s", id="timeout"),
    pytest.param(
        ("malformed", {}),
        "/api/Members/Search: malformed JSON (Expecting ',' delimiter at line 1 column 30)",
        id="malformed",
    ),
    # Midway: every Search page read, then History fails.
    pytest.param(
        ("status", {"status": 500, "paths": ["History"]}),
        "/api/Members/History: HTTP 500",
        id="history-500",
    ),
]


@pytest.mark.parametrize(
    ("cli_backend", "fault", "reason"),
    [
        *(pytest.param("sqlite", *case.values, id=f"sqlite-{case.id}") for case in FAULTS),
        # On PostgreSQL, the failure midway: what was read must not be half-stored.
        pytest.param("postgresql", *FAULTS[-1].values, id="postgresql-history-500"),
    ],
    indirect=["cli_backend"],
)
def test_api_failure_is_one_line_and_changes_nothing(
    tmp_path: Path,
    api: MembersApiServer,
    cli_backend: str,
    fault: tuple[str, dict[str, object]],
    reason: str,
) -> None:
    configure(tmp_path, api)
    assert refresh(tmp_path)[0] == 0
    before = dump(tmp_path)
    api.set_members(sample_members("Conservative"))
    api.fault = fault
    code, out, err = refresh(tmp_path)
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert err == (
        "division-bell: people refresh: cannot read the Members API ([parliament] members_api "
        f"in division-bell.toml): {api.url()}{reason}; the stored people are unchanged\n"
    )
    assert dump(tmp_path) == before


def test_unreachable_api_is_one_line(tmp_path: Path, api: MembersApiServer) -> None:
    configure(tmp_path, api)
    config = tmp_path / "division-bell.toml"
    config.write_text(config.read_text().replace(api.url(), "http://127.0.0.1:9"))
    code, _, err = refresh(tmp_path)
    assert code == 1
    assert err.count("\n") == 1
    assert "http://127.0.0.1:9/api/Members/Search: cannot connect (Connection refused);" in err


def test_disabled_fetches_nothing(tmp_path: Path, api: MembersApiServer) -> None:
    configure(tmp_path, api, enabled=False)
    code, out, err = refresh(tmp_path)
    assert (code, err) == (0, "")
    assert "[parliament] enabled = false" in out
    assert "nothing fetched" in out
    assert api.requests == []


def test_check_config_shows_parliament(tmp_path: Path, api: MembersApiServer) -> None:
    configure(tmp_path, api)
    result = run_cli(["--config", "division-bell.toml", "check-config"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    shown = result.stdout.split("[parliament]\n", 1)[1].split("\n\n", 1)[0]
    assert shown == f'members_api = "{api.url()}"\nenabled = true\ntimeout = 1'
