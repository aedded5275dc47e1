"""Shared pytest fixtures: ../shared, loopback servers a subprocess can reach, a new database."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from pathlib import Path

import pytest

from bot.store.connection import Database
from bot.store.postgres import PostgresDatabase
from bot.store.sql import Store
from tests.support import cli as cli_support
from tests.support.chat_server import ChatServer
from tests.support.feed_server import FeedServer, FeedServerThread
from tests.support.postgres import PostgresCluster, PostgresServer, find_server_binaries

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED = PROJECT_ROOT.parent / "shared"


@pytest.fixture
def shared_dir() -> Path:
    """../shared, or skip the test cleanly when it is not beside the checkout."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED


@pytest.fixture
def feeds() -> Iterator[FeedServerThread]:
    """A feed server in a thread, reachable from a subprocess."""
    with FeedServer.start_in_thread() as server:
        yield server


@pytest.fixture
def chat() -> Iterator[ChatServer]:
    """A webhook receiver in a thread, reachable from a subprocess."""
    server = ChatServer.start_in_thread()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest) -> str | None:
    """Each backend in turn: None for SQLite, else a fresh PostgreSQL database's URL."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_dsn"))
    return None


@pytest.fixture(params=["sqlite", "postgresql"])
def cli_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each backend in turn for tests of the real CLI and service: with PostgreSQL, configs from
    write_config take [storage] url_env = "DATABASE_URL", set to a fresh database's URL."""
    if request.param == "postgresql":
        monkeypatch.setenv("DATABASE_URL", str(request.getfixturevalue("postgres_dsn")))
        monkeypatch.setattr(cli_support, "DEFAULT_DATABASE_ENV", "DATABASE_URL")
    return str(request.param)


@pytest.fixture
def another_database(
    cli_backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[], str | None]]:
    """another_database() → for a test with two configs (one database each): on PostgreSQL the
    name of a new variable holding another fresh database's URL, for write_config's
    `database_env`; None on SQLite (each config's folder has its own file)."""
    made: list[str] = []

    def make() -> str | None:
        if cli_backend != "postgresql":
            return None
        made.append(request.getfixturevalue("postgres_cluster").create_database())
        variable = f"DATABASE_URL_{len(made)}"
        monkeypatch.setenv(variable, made[-1])
        return variable

    yield make
    for dsn in made:
        request.getfixturevalue("postgres_cluster").drop_database(dsn)


@pytest.fixture
async def db(store_url: str | None, tmp_path: Path) -> AsyncIterator[Store]:
    """A new, migrated database: a real SQLite file in the test's temporary folder, and (the
    same test again) a fresh database on the throwaway PostgreSQL server."""
    if store_url:
        database: Store = await PostgresDatabase.open(store_url)
    else:
        database = await Database.open(tmp_path / "db.sqlite3")
    try:
        yield database
    finally:
        await database.close()


# PostgreSQL: one throwaway cluster per session, started only when a test asks for it.
REQUIRE_POSTGRES_ENV = "DIVISION_BELL_REQUIRE_POSTGRES"
EXISTING_POSTGRES_ENV = "DIVISION_BELL_TEST_POSTGRES_DSN"
NO_SERVER_BINARIES = (
    "PostgreSQL server binaries not found (initdb/postgres); "
    "install Debian's postgresql package or set DIVISION_BELL_PG_BIN"
)
# What the session did about PostgreSQL, for the closing summary line.
_postgres_server: list[str] = []  # the server used, once there is one
_postgres_outcomes: Counter[str] = Counter()  # tests needing it: ran / skipped / errored
_postgres_unavailable: list[str] = []  # why there is no server, when there is none


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server: $DIVISION_BELL_TEST_POSTGRES_DSN's, or a throwaway one."""
    existing = os.environ.get(EXISTING_POSTGRES_ENV)
    if existing:
        server = PostgresServer(existing)
        _postgres_server.append(
            f"the existing server in ${EXISTING_POSTGRES_ENV} ({server.version})"
        )
        try:
            yield server
        finally:
            server.close()
        return
    binaries = find_server_binaries()
    if binaries is None:
        if os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
            reason = f"{NO_SERVER_BINARIES}; {REQUIRE_POSTGRES_ENV}=1 forbids skipping"
            _postgres_unavailable.append(reason)
            pytest.fail(reason, pytrace=False)
        _postgres_unavailable.append(NO_SERVER_BINARIES)
        pytest.skip(NO_SERVER_BINARIES)
    try:
        cluster = PostgresCluster.start(binaries)
    except Exception as error:  # binaries present but broken: an error, never a skip
        _postgres_unavailable.append(f"the cluster did not start: {str(error).splitlines()[0]}")
        raise
    _postgres_server.append(
        f"a throwaway cluster ({cluster.version}, {binaries}, {cluster.folder})"
    )
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgres_dsn(postgres_cluster: PostgresServer) -> Iterator[str]:
    """The DSN of a new, empty database of the test's own, dropped afterwards."""
    dsn = postgres_cluster.create_database()
    yield dsn
    postgres_cluster.drop_database(dsn)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Count what became of the tests that needed PostgreSQL (for the summary line)."""
    report: pytest.TestReport = yield
    params = getattr(getattr(item, "callspec", None), "params", {})
    on_postgres = "postgresql" in (params.get("store_url"), params.get("cli_backend"))
    if on_postgres or "postgres_cluster" in getattr(item, "fixturenames", ()):
        if report.skipped:
            _postgres_outcomes["skipped"] += 1
        elif report.failed and report.when == "setup":
            _postgres_outcomes["errored"] += 1
        elif report.when == "call":
            _postgres_outcomes["ran"] += 1
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line saying whether the PostgreSQL tests ran, and against what, or why not."""
    counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(_postgres_outcomes.items()))
    if not counts:
        line = "no test in this run needed a server"
    elif _postgres_server:
        line = f"{counts}, against {_postgres_server[0]}"
    elif _postgres_unavailable:
        line = f"{counts}: {_postgres_unavailable[0]}"
    else:
        line = f"{counts}: the server could not be reached (see the errors above)"
    terminalreporter.write_line(f"PostgreSQL tests: {line}")
