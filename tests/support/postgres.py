"""A throwaway PostgreSQL server for tests: initdb in a temporary folder, loopback and socket only.

`PostgresCluster.start()` runs the server binaries Debian's `postgresql` package installs (found on
PATH, under /usr/lib/postgresql/<version>/bin, or in $DIVISION_BELL_PG_BIN) as an unprivileged
user; `PostgresServer` wraps any server the tests may create databases on, ours or an existing one
($DIVISION_BELL_TEST_POSTGRES_DSN). Both hand out fresh databases by DSN, one per test.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

from tests.support.waiting import free_port

PG_BIN_ENV = "DIVISION_BELL_PG_BIN"
SERVER_BINARIES = ("initdb", "pg_ctl", "postgres")
DEBIAN_VERSIONS = Path("/usr/lib/postgresql")
SUPERUSER = "postgres"
# Speed over durability: a test cluster is thrown away, so nothing need survive a crash.
TEST_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_connections": "200",
    "shared_buffers": "32MB",
    "autovacuum": "off",
    "log_min_messages": "warning",
}
START_TIMEOUT_S = 30
# Memory-backed when there is room: CREATE DATABASE writes a whole template's files, an order of
# magnitude slower on a busy disk. Docker's default 64 MB /dev/shm is too small, hence the floor.
SHM = Path("/dev/shm")  # noqa: S108 (a private mkdtemp folder inside it)
SHM_FLOOR_BYTES = 1 << 30

T = TypeVar("T")


class PostgresNotFound(RuntimeError):
    """No directory holding initdb, pg_ctl and postgres together was found."""


def find_server_binaries() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres: $DIVISION_BELL_PG_BIN, PATH, Debian's."""
    override = os.environ.get(PG_BIN_ENV)
    if override:
        return Path(override) if _has_binaries(Path(override)) else None
    on_path = shutil.which("initdb")
    if on_path:
        # Debian puts none on PATH; a symlink there leads to the version's folder of all three.
        for folder in (Path(on_path).parent, Path(on_path).resolve().parent):
            if _has_binaries(folder):
                return folder
    versions = [d / "bin" for d in DEBIAN_VERSIONS.glob("*") if re.fullmatch(r"[\d.]+", d.name)]
    versions.sort(key=lambda d: tuple(int(p) for p in d.parent.name.split(".")), reverse=True)
    return next((folder for folder in versions if _has_binaries(folder)), None)


def _has_binaries(folder: Path) -> bool:
    return all(os.access(folder / name, os.X_OK) for name in SERVER_BINARIES)


def _default_base_dir() -> Path | None:
    """The shared-memory tmpfs when roomy and writable, else None (the usual temporary folder)."""
    try:
        stats = os.statvfs(SHM)
    except OSError:
        return None
    roomy = stats.f_bavail * stats.f_frsize >= SHM_FLOOR_BYTES
    return SHM if roomy and os.access(SHM, os.W_OK | os.X_OK) else None


def _unprivileged_user() -> pwd.struct_passwd | None:
    """Whom to run the server as: initdb refuses root, so `postgres` (or `nobody`) when we are."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise PostgresNotFound("running as root, and neither a 'postgres' nor a 'nobody' user exists")


class _LoopThread:
    """A private event loop in a daemon thread, so the sync API works inside any test's loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on the private loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def close(self) -> None:
        """Stop the loop and its thread."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


class PostgresServer:
    """A running server the tests create throwaway databases on, through one admin connection.

    CREATE DATABASE copies a template's files, too slow to sit on every test's path, so a
    background task keeps a few empty databases made ahead, and drops run behind the tests.
    """

    def __init__(self, admin_dsn: str, *, ready_ahead: int = 2) -> None:
        self.admin_dsn = admin_dsn
        self._loop = _LoopThread()
        self._admin: asyncpg.Connection | None = None
        try:
            self._admin = self._loop.run(asyncpg.connect(admin_dsn))
            self.version: str = self._loop.run(self._admin.fetchval("SHOW server_version"))
            self._pool = self._loop.run(_DatabasePool.create(self._admin, ready_ahead))
        except BaseException:
            self._loop.run(self._close_admin())
            self._loop.close()
            raise

    def dsn(self, database: str) -> str:
        """A DSN for `database` on this server (the admin DSN with its database replaced)."""
        parts = urlsplit(self.admin_dsn)
        return urlunsplit(parts._replace(path="/" + quote(database)))

    def create_database(self) -> str:
        """The DSN of a new, empty, uniquely named database (made ahead when there was time)."""
        return self.dsn(self._loop.run(self._pool.take()))

    def drop_database(self, name: str, *, wait: bool = False) -> None:
        """Drop `name` (a name or a DSN from create_database), ending its sessions."""
        if "://" in name:
            name = urlsplit(name).path.lstrip("/")
        self._loop.run(self._pool.drop(name, wait=wait))

    def close(self) -> None:
        """Finish pending drops, drop unused databases and close (the server keeps running)."""
        if self._admin is not None:
            try:
                self._loop.run(self._pool.close())
            finally:
                self._loop.run(self._close_admin())
                self._loop.close()

    async def _close_admin(self) -> None:
        if self._admin is not None:
            admin, self._admin = self._admin, None
            await admin.close(timeout=5)


class _DatabasePool:
    """Empty databases made ahead by a background task, and drops done behind; on one loop."""

    def __init__(self, admin: asyncpg.Connection, ready_ahead: int) -> None:
        self._admin = admin
        self._lock = asyncio.Lock()  # one connection runs one statement at a time
        self._ready: asyncio.Queue[str] = asyncio.Queue(maxsize=max(ready_ahead - 1, 1))
        self._maker: asyncio.Task[None] | None = None
        self._drops: set[asyncio.Task[None]] = set()
        self._unused: set[str] = set()  # made (or being made) and not yet handed out

    @classmethod
    async def create(cls, admin: asyncpg.Connection, ready_ahead: int) -> _DatabasePool:
        """A pool on the running loop (its queue and lock belong to that loop)."""
        return cls(admin, ready_ahead)

    async def take(self) -> str:
        """A ready database's name; the first call starts the maker (a cluster may make none)."""
        if self._maker is None:
            self._maker = asyncio.create_task(self._make_ahead())
        getter = asyncio.ensure_future(self._ready.get())
        await asyncio.wait({getter, self._maker}, return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            self._unused.discard(getter.result())
            return getter.result()
        getter.cancel()
        self._maker.result()  # raises what stopped it
        raise RuntimeError("the database maker stopped")

    async def drop(self, name: str, *, wait: bool) -> None:
        """Drop `name` in the background (or now, with `wait`)."""
        task = asyncio.create_task(self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._drops.add(task)
        task.add_done_callback(self._drops.discard)
        if wait:
            await task

    async def close(self) -> None:
        """Stop making databases, drop the unused ones and wait for every drop."""
        if self._maker is not None:
            self._maker.cancel()
            await asyncio.gather(self._maker, return_exceptions=True)
        for name in self._unused:
            await self.drop(name, wait=False)
        self._unused.clear()
        await asyncio.gather(*self._drops)

    async def _make_ahead(self) -> None:
        while True:
            name = f"division_bell_test_{uuid.uuid4().hex[:16]}"
            self._unused.add(name)
            # template0: never touched by anyone, so always empty and always copyable. Shielded:
            # a cancelled close must not interrupt a statement on the shared connection.
            create = f'CREATE DATABASE "{name}" TEMPLATE template0'
            await asyncio.shield(self._execute(create))
            await self._ready.put(name)  # waits while enough are ready

    async def _execute(self, statement: str) -> None:
        async with self._lock:
            await self._admin.execute(statement)


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where a cluster keeps everything: one temporary folder, removed at stop."""

    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"


class PostgresCluster(PostgresServer):
    """Our own server: initdb in a temporary folder, listening on a socket there and 127.0.0.1."""

    def __init__(self, binaries: Path, layout: _Layout, port: int) -> None:
        self.binaries = binaries
        self.folder = layout.root
        self.port = port
        self._layout = layout
        socket_dsn = f"postgresql://{SUPERUSER}@/postgres?host={quote(str(layout.root))}"
        super().__init__(f"{socket_dsn}&port={port}")

    @classmethod
    def start(cls, binaries: Path | None = None, base_dir: Path | None = None) -> PostgresCluster:
        """initdb a new cluster in a temporary folder and start it, ready for connections."""
        binaries = binaries or find_server_binaries()
        if binaries is None:
            raise PostgresNotFound("PostgreSQL server binaries not found (initdb/postgres)")
        user = _unprivileged_user()
        base_dir = base_dir or _default_base_dir()
        layout = _Layout(Path(tempfile.mkdtemp(prefix="division-bell-pg-", dir=base_dir)))
        try:
            if user is not None:
                os.chown(layout.root, user.pw_uid, user.pw_gid)
            _run(binaries, user, layout, "initdb", *_initdb_args(layout))
            port = _start_server(binaries, user, layout)
            return cls(binaries, layout, port)
        except BaseException:
            _stop_server(binaries, user, layout)
            shutil.rmtree(layout.root, ignore_errors=True)
            raise

    def tcp_dsn(self, database: str) -> str:
        """A DSN for `database` over TCP on 127.0.0.1 instead of the Unix socket."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{quote(database)}"

    def stop(self) -> None:
        """Stop the server at once (nothing in it matters) and remove its folder."""
        try:
            self.close()
        finally:
            _stop_server(self.binaries, _unprivileged_user(), self._layout)
            shutil.rmtree(self.folder, ignore_errors=True)


def _initdb_args(layout: _Layout) -> list[str]:
    return [
        f"--pgdata={layout.data}",
        f"--username={SUPERUSER}",
        "--auth=trust",  # only this folder's socket and 127.0.0.1 can reach it
        "--encoding=UTF8",
        "--locale=C",
        "--no-sync",
        "--no-instructions",
    ]


def _start_server(binaries: Path, user: pwd.struct_passwd | None, layout: _Layout) -> int:
    """Start the server on a free loopback port; retry if another process takes the port first."""
    for attempt in range(3):
        port = free_port()
        settings = {
            **TEST_SETTINGS,
            "port": str(port),
            "unix_socket_directories": f"'{layout.root}'",
        }
        conf = "".join(f"{key} = {value}\n" for key, value in settings.items())
        auto_conf = layout.data / "postgresql.auto.conf"
        auto_conf.write_text(conf)
        if user is not None:  # the server's own file, as initdb left it
            os.chown(auto_conf, user.pw_uid, user.pw_gid)
        try:
            _run(binaries, user, layout, "pg_ctl", "start", "--wait", *_pg_ctl_args(layout))
            return port
        except PostgresStartFailed:
            if attempt == 2 or "Address already in use" not in _log_tail(layout):
                raise
    raise AssertionError("unreachable")


def _pg_ctl_args(layout: _Layout) -> list[str]:
    return [f"--timeout={START_TIMEOUT_S}", f"--pgdata={layout.data}", f"--log={layout.log}"]


def _stop_server(binaries: Path, user: pwd.struct_passwd | None, layout: _Layout) -> None:
    if (layout.data / "postmaster.pid").exists():
        pgdata = f"--pgdata={layout.data}"
        _run(binaries, user, layout, "pg_ctl", "stop", "--mode=immediate", pgdata, check=False)


class PostgresStartFailed(RuntimeError):
    """initdb or pg_ctl failed; the message carries its output and the server log's tail."""


def _run(
    binaries: Path,
    user: pwd.struct_passwd | None,
    layout: _Layout,
    program: str,
    *args: str,
    check: bool = True,
) -> None:
    """Run one server binary as the cluster's user, in its folder, with a C locale."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "HOME": str(layout.root)}
    identity: dict[str, Any] = {}
    if user is not None:
        identity = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    result = subprocess.run(
        [str(binaries / program), *args],
        cwd=layout.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S + 30,
        check=False,
        **identity,
    )
    if check and result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        tail = _log_tail(layout)
        raise PostgresStartFailed(f"{program} failed ({result.returncode}): {output}\n{tail}")


def _log_tail(layout: _Layout, lines: int = 20) -> str:
    try:
        return "\n".join(layout.log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
