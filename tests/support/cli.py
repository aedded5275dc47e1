"""Run the real `division-bell` CLI as a subprocess against a config written for the test."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

# Variables a developer's shell may carry that must not leak into a test run.
_SCRUB = (
    "DIVISION_BELL_CONFIG",
    "DIVISION_BELL_HTTP_LISTEN",
    "DISCORD_TOKEN",
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
)


def toml_string(value: str) -> str:
    """A TOML basic string."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# Set by the `cli_backend` fixture while a test runs on PostgreSQL: configs then name this
# variable in [storage] url_env (the fixture sets it to a fresh database's URL).
DEFAULT_DATABASE_ENV: str | None = None


def write_config(
    folder: Path,
    *,
    feeds: Mapping[str, str],
    webhooks: Sequence[Mapping[str, object]] = (),
    console: bool = False,
    extra: str = "",
    database_env: str | None = None,
) -> Path:
    """A config file with these feeds and webhooks and a database in `folder` (or, with
    `database_env`, the PostgreSQL database whose URL that variable holds)."""
    lines = [
        "[storage]",
        'path = "db.sqlite3"',
        *(
            [f"url_env = {toml_string(database_env or DEFAULT_DATABASE_ENV)}"]
            if database_env or DEFAULT_DATABASE_ENV
            else []
        ),
        "",
        "[console]",
        f"enabled = {'true' if console else 'false'}",
        "",
    ]
    for name, url in feeds.items():
        lines += ["[[feeds]]", f"name = {toml_string(name)}", f"url = {toml_string(url)}", ""]
    for hook in webhooks:
        lines.append("[[webhooks]]")
        for key, value in hook.items():
            if isinstance(value, list):
                rendered = "[" + ", ".join(toml_string(str(v)) for v in value) + "]"
            else:
                rendered = toml_string(str(value))
            lines.append(f"{key} = {rendered}")
        lines.append("")
    path = folder / "division-bell.toml"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def run_cli(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` in `cwd`, with a clean environment and its data kept in `cwd`."""
    environ = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    environ["DIVISION_BELL_DATA"] = str(cwd / "data")
    environ["NO_PROXY"] = "127.0.0.1,localhost"
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=environ,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
