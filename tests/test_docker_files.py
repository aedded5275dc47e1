"""The Docker files agree with the code: env variables, paths, the healthcheck and the entrypoint.

Building and running the image is tests/docker/smoke.sh (it needs root and a private dockerd).
"""

from __future__ import annotations

import http.server
import json
import re
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import load_settings

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
COMPOSE = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
ENV_EXAMPLE = (ROOT / ".env.example").read_text(encoding="utf-8")
SHIM = ROOT / "docker" / "division-bell"
SERVICES: dict[str, dict[str, Any]] = yaml.safe_load(COMPOSE)["services"]
REPLICAS_COMMAND = "docker compose --profile replicas up -d replica-1 replica-2"


def healthcheck_code(text: str) -> str:
    """The Python one-liner of a HEALTHCHECK (Dockerfile) or healthcheck test (compose)."""
    found = re.search(r'"-c", "(import os, urllib[^"]+)"', text) or re.search(
        r'- "(import os, urllib[^"]+)"', text
    )
    assert found, "no Python healthcheck found"
    return found.group(1)


def test_every_variable_the_code_reads_is_in_env_example() -> None:
    read_by_code = set()
    for path in (ROOT / "bot").rglob("*.py"):
        read_by_code |= set(
            re.findall(r'"((?:DIVISION_BELL|DISCORD|SLACK)_[A-Z_]+)"', path.read_text())
        )
    example_config = (ROOT / "config" / "division-bell.example.toml").read_text(encoding="utf-8")
    named_in_config = set(re.findall(r'url_env = "([A-Z_]+)"', example_config))
    assert named_in_config, "the example config names no webhook variables"
    listed = set(re.findall(r"^#? ?([A-Z_]+)=", ENV_EXAMPLE, flags=re.MULTILINE))
    assert read_by_code | named_in_config <= listed
    for line in ENV_EXAMPLE.splitlines():
        if re.match(r"(DISCORD|SLACK)_|[A-Z_]*WEBHOOK", line):
            assert line.endswith("="), f"a secret with a value in .env.example: {line}"


def test_image_settings_match_the_code_and_the_entrypoint() -> None:
    assert "DIVISION_BELL_DATA=/data" in DOCKERFILE
    assert "DIVISION_BELL_HTTP_LISTEN=0.0.0.0:8080" in DOCKERFILE
    assert "DIVISION_BELL_CONFIG=/config/division-bell.toml" in DOCKERFILE
    assert "/config/division-bell.toml" in SHIM.read_text(encoding="utf-8")
    assert 'ENTRYPOINT ["/usr/local/bin/division-bell"]' in DOCKERFILE
    assert 'CMD ["run"]' in DOCKERFILE
    assert "USER 10001:10001" in DOCKERFILE
    assert healthcheck_code(DOCKERFILE) == healthcheck_code(COMPOSE)
    assert "restart: unless-stopped" in COMPOSE
    assert "env_file: .env" in COMPOSE


def shim_env(tmp_path: Path, config: str | None) -> dict[str, str]:
    """What the entrypoint hands the app, with the app replaced by `env`."""
    shim = tmp_path / "shim"
    shim.write_text(SHIM.read_text().replace("/opt/venv/bin/division-bell", "env"))
    environ = {"PATH": "/usr/bin:/bin"}
    if config is not None:
        environ["DIVISION_BELL_CONFIG"] = config
    result = subprocess.run(
        ["/bin/sh", str(shim)], env=environ, capture_output=True, text=True, check=True
    )
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


def test_entrypoint_drops_the_image_config_path_only_when_nothing_is_mounted(
    tmp_path: Path,
) -> None:
    if Path("/config/division-bell.toml").exists():
        pytest.skip("this machine has a /config/division-bell.toml")
    assert "DIVISION_BELL_CONFIG" not in shim_env(tmp_path, "/config/division-bell.toml")
    mine = str(tmp_path / "typo.toml")  # a path the user chose: a missing file stays an error
    assert shim_env(tmp_path, mine)["DIVISION_BELL_CONFIG"] == mine
    assert "DIVISION_BELL_CONFIG" not in shim_env(tmp_path, None)


class Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        body = json.dumps({"path": self.path}).encode()
        self.send_response(self.status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def health_server() -> Iterator[http.server.HTTPServer]:
    server = http.server.HTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("status", "exit_code"), [(200, 0), (503, 1)])
def test_the_healthcheck_one_liner_follows_the_listen_port_and_fails_on_503(
    health_server: http.server.HTTPServer, status: int, exit_code: int
) -> None:
    Health.status = status
    port = health_server.server_address[1]
    result = subprocess.run(
        [sys.executable, "-c", healthcheck_code(DOCKERFILE)],
        env={"DIVISION_BELL_HTTP_LISTEN": f"0.0.0.0:{port}", "HTTP_PROXY": "http://192.0.2.1:9"},
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert result.returncode == exit_code, shlex.quote(result.stderr)


def in_profile(profile: str | None) -> set[str]:
    """The services `docker compose up` starts with just this profile (None: no profile)."""
    return {
        name
        for name, service in SERVICES.items()
        if not service.get("profiles") or profile in service["profiles"]
    }


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${NAME:-default} and ${NAME}, from `env`."""
    return re.sub(r"\$\{(\w+)(?::-([^}]*))?\}", lambda m: env.get(m[1]) or m[2] or "", value)


def test_plain_up_still_runs_only_the_single_sqlite_service() -> None:
    assert in_profile(None) == {"division-bell"}
    single = SERVICES["division-bell"]
    assert "division-bell-data:/data" in single["volumes"]
    assert single["ports"] == ["127.0.0.1:${DIVISION_BELL_PORT:-8080}:8080"]
    assert "environment" not in single  # no DATABASE_URL, no replica config: SQLite in /data
    assert single["env_file"] == ".env"


def test_the_replicas_profile_adds_postgresql_and_two_replicas_that_wait_for_it() -> None:
    assert in_profile("replicas") - in_profile(None) == {"postgres", "replica-1", "replica-2"}
    postgres = SERVICES["postgres"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert "ports" not in postgres  # never published on the host
    assert "env_file" not in postgres  # the bot's tokens stay out of the database's container
    [volume] = postgres["volumes"]
    assert volume.split(":")[0] in yaml.safe_load(COMPOSE)["volumes"]  # named, not a bind mount
    ports = []
    for name in ("replica-1", "replica-2"):
        replica = SERVICES[name]
        assert replica["depends_on"] == {"postgres": {"condition": "service_healthy"}}
        assert replica["restart"] == "unless-stopped"
        assert replica["read_only"] is True
        [port] = replica["ports"]
        assert port.startswith("127.0.0.1:")
        ports.append(port)
    assert len(set(ports)) == 2
    # Naming the replicas keeps division-bell (no profile, so in every profile) stopped.
    assert REPLICAS_COMMAND in COMPOSE
    assert REPLICAS_COMMAND in (ROOT / "README.md").read_text(encoding="utf-8")


def test_no_password_is_written_in_the_compose_file() -> None:
    assert SERVICES["postgres"]["environment"]["POSTGRES_PASSWORD"] == "${POSTGRES_PASSWORD:-}"
    for name in ("replica-1", "replica-2"):
        url = SERVICES[name]["environment"]["DATABASE_URL"]
        assert ":${POSTGRES_PASSWORD:-}@" in url
    literal = re.sub(r"\$\{[^}]*\}", "", COMPOSE)  # what is left once .env's values are out
    assert not re.search(r"PASSWORD\w*: *[^\s#]", literal)
    assert not re.search(r"postgres(?:ql)?://[^:@/\s]+:[^@\s]+@", literal)
    assert re.search(r"^POSTGRES_PASSWORD=$", ENV_EXAMPLE, flags=re.MULTILINE)


def test_each_replica_uses_postgresql_and_runs_its_own_discord_shards(tmp_path: Path) -> None:
    env = {"POSTGRES_PASSWORD": "s3cret", "DIVISION_BELL_DATA": str(tmp_path)}
    registering, shards = [], []
    for name in ("replica-1", "replica-2"):
        environment = {k: interpolate(v, env) for k, v in SERVICES[name]["environment"].items()}
        mounted = environment["DIVISION_BELL_CONFIG"].removeprefix("/config/")
        assert (ROOT / "config" / mounted.replace(".toml", ".example.toml")).is_file()
        settings = load_settings(
            ROOT / "config" / "division-bell.replicas.example.toml", env=env | environment
        )
        assert (
            settings.storage.url == "postgresql://division_bell:s3cret@postgres:5432/division_bell"
        )
        assert settings.discord.shard_count == 2
        shards.extend(settings.discord.shard_ids or ())
        registering.append(settings.discord.registers_commands)
    assert sorted(shards) == [0, 1]  # every shard run once: no command answered twice
    assert registering.count(True) == 1
