"""The throwaway PostgreSQL server the store's tests use (tests/support/postgres.py), checked with
plain asyncpg: fresh databases are independent, the server is reachable only locally and runs
unprivileged, it leaves nothing behind, and a run without server binaries skips visibly unless
DIVISION_BELL_REQUIRE_POSTGRES=1 makes that a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import asyncpg
import pytest

from tests.support.postgres import PostgresCluster, PostgresServer, find_server_binaries
from tests.support.waiting import wait_for

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def own_cluster(server: PostgresServer) -> PostgresCluster:
    """The session's server when it is our own cluster; skip when it is an existing server."""
    if not isinstance(server, PostgresCluster):
        pytest.skip("checks the throwaway cluster; this run uses DIVISION_BELL_TEST_POSTGRES_DSN")
    return server


async def test_two_new_databases_are_independent(postgres_cluster: PostgresServer) -> None:
    first, second = postgres_cluster.create_database(), postgres_cluster.create_database()
    try:
        assert first != second
        one = await asyncpg.connect(first)
        two = await asyncpg.connect(second)
        try:
            await one.execute("CREATE TABLE marks (id integer PRIMARY KEY)")
            await one.execute("INSERT INTO marks VALUES (1)")
            assert await one.fetchval("SELECT count(*) FROM marks") == 1
            assert await two.fetchval("SELECT to_regclass('marks')") is None
            tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            assert await two.fetchval(tables) == 0
            assert await one.fetchval("SELECT current_database()") != await two.fetchval(
                "SELECT current_database()"
            )
        finally:
            await one.close()
            await two.close()
    finally:
        postgres_cluster.drop_database(first, wait=True)
        postgres_cluster.drop_database(second, wait=True)


async def test_a_dropped_database_is_gone(postgres_cluster: PostgresServer) -> None:
    dsn = postgres_cluster.create_database()
    name = dsn.split("?")[0].rsplit("/", 1)[1]
    held = await asyncpg.connect(dsn)  # a session left open must not keep it alive
    postgres_cluster.drop_database(dsn, wait=True)
    admin = await asyncpg.connect(postgres_cluster.admin_dsn)
    try:
        assert (
            await admin.fetchval("SELECT count(*) FROM pg_database WHERE datname = $1", name) == 0
        )
    finally:
        await admin.close()
        await held.close(timeout=1)


async def test_each_test_gets_an_empty_utf8_database(postgres_dsn: str) -> None:
    conn = await asyncpg.connect(postgres_dsn)
    try:
        assert await conn.fetchval("SHOW server_encoding") == "UTF8"
        tables = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        assert await conn.fetchval(tables) == 0
    finally:
        await conn.close()


async def test_the_cluster_listens_only_on_loopback_and_its_own_socket(
    postgres_cluster: PostgresServer,
) -> None:
    cluster = own_cluster(postgres_cluster)
    conn = await asyncpg.connect(cluster.tcp_dsn("postgres"))
    try:
        assert await conn.fetchval("SHOW listen_addresses") == "127.0.0.1"
        assert await conn.fetchval("SHOW unix_socket_directories") == str(cluster.folder)
        assert await conn.fetchval("SHOW fsync") == "off"
        assert str(await conn.fetchval("SELECT inet_server_addr()")) == "127.0.0.1"
    finally:
        await conn.close()
    assert (cluster.folder / f".s.PGSQL.{cluster.port}").is_socket()


def test_the_server_runs_unprivileged(postgres_cluster: PostgresServer) -> None:
    cluster = own_cluster(postgres_cluster)
    pid = int((cluster.folder / "data" / "postmaster.pid").read_text().split()[0])
    uid = os.stat(f"/proc/{pid}").st_uid
    assert uid != 0, "initdb and the server must never run as root"
    assert uid == os.geteuid() or os.geteuid() == 0  # ours, or the dropped-to user under root


def process_ended(pid: int) -> bool:
    """Whether `pid` is gone or a zombie (its parent, init, may not have reaped it yet)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


async def test_stop_ends_the_server_and_removes_its_folder() -> None:
    binaries = find_server_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL server binaries not found (initdb/postgres)")
    cluster = PostgresCluster.start(binaries)
    pid = int((cluster.folder / "data" / "postmaster.pid").read_text().split()[0])
    dsn = cluster.create_database()
    assert await (await asyncpg.connect(dsn)).fetchval("SELECT 1") == 1  # left open on purpose
    cluster.stop()
    assert not cluster.folder.exists()
    # pg_ctl returns once postmaster.pid is gone, a moment before the process exits.
    assert wait_for(lambda: process_ended(pid), timeout=10)
    with pytest.raises(ConnectionRefusedError):
        await asyncpg.connect(cluster.tcp_dsn("postgres"), timeout=5)
    with pytest.raises(FileNotFoundError):  # the socket went with the folder
        await asyncpg.connect(dsn, timeout=5)


INNER_TEST = """
import asyncio

import asyncpg


def test_needs_postgres(postgres_dsn):
    async def ask():
        conn = await asyncpg.connect(postgres_dsn)
        try:
            return await conn.fetchval("SELECT 41 + 1")
        finally:
            await conn.close()

    assert asyncio.run(ask()) == 42
"""


def run_inner_session(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """A separate pytest session of one PostgreSQL test, with our fixtures and `env` set."""
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(INNER_TEST))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DIVISION_BELL_")}
    command = [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider"]
    command += ["-rs", "-c", str(tmp_path / "pytest.ini"), str(tmp_path / "test_inner.py")]
    return subprocess.run(
        command,
        check=False,
        cwd=PROJECT_ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_no_server_binaries_skips_with_the_reason(tmp_path: Path) -> None:
    result = run_inner_session(tmp_path, DIVISION_BELL_PG_BIN=str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout
    assert "PostgreSQL server binaries not found (initdb/postgres)" in result.stdout
    assert "PostgreSQL tests: 1 skipped: PostgreSQL server binaries not found" in result.stdout


def test_no_server_binaries_fails_when_postgres_is_required(tmp_path: Path) -> None:
    result = run_inner_session(
        tmp_path, DIVISION_BELL_PG_BIN=str(tmp_path), DIVISION_BELL_REQUIRE_POSTGRES="1"
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "skipped" not in result.stdout
    assert "DIVISION_BELL_REQUIRE_POSTGRES=1 forbids skipping" in result.stdout


def test_an_existing_server_is_used_instead_of_starting_one(
    tmp_path: Path, postgres_cluster: PostgresServer
) -> None:
    result = run_inner_session(tmp_path, DIVISION_BELL_TEST_POSTGRES_DSN=postgres_cluster.admin_dsn)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert "PostgreSQL tests: 1 ran, against the existing server" in result.stdout
