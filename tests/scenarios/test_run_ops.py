"""The real `run` as operators see it: JSON logs, /healthz, /metrics, ops notices, a live backup."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.chat_server import ChatServer
from tests.support.cli import run_cli, write_config
from tests.support.feed_server import FeedServer
from tests.support.rss import Item, rss_feed
from tests.support.waiting import free_port, wait_for

HOOK_PATH = "/discord/777/HOOKSECRETHOOKSECRETHOOKSECRET"
OPS_PATH = "/discord/888/OPSSECRETOPSSECRETOPSSECRETOPS"
# Loopback only, whatever proxy the developer's shell names.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(port: int, path: str) -> tuple[int, str]:
    try:
        with OPENER.open(f"http://127.0.0.1:{port}{path}", timeout=5) as reply:
            return int(reply.status), reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def metric(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    raise AssertionError(f"no sample {name}{labels}")


def test_run_serves_health_and_metrics_tells_ops_and_backs_up_live(
    tmp_path: Path, cli_backend: str
) -> None:
    chat = ChatServer.start_in_thread()
    chat.script(HOOK_PATH, [404])  # the desk's webhook was deleted
    port = free_port()
    item = Item(
        "Tory MP Jane Marchmont defects to Labour",
        "https://news.example/m",
        guid="m-1",
        published=datetime.now(UTC) - timedelta(minutes=5),
    )
    try:
        with FeedServer.start_in_thread() as feeds:
            feeds.set_feed("/bbc.xml", rss_feed("BBC", [item]))
            config = write_config(
                tmp_path,
                feeds={"BBC": feeds.url("/bbc.xml")},
                webhooks=[{"platform": "discord", "url": chat.url(HOOK_PATH), "name": "desk"}],
                extra=(
                    f'[http]\nlisten = "127.0.0.1:{port}"\n[polling]\ninterval = 10\njitter = 0\n'
                    f'[ops]\nwebhook_url = "{chat.url(OPS_PATH)}"\n'
                ),
            )
            env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
            env.pop("DIVISION_BELL_HTTP_LISTEN", None)
            env["DIVISION_BELL_DATA"] = str(tmp_path / "data")
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bot",
                    "--log-format",
                    "json",
                    "--config",
                    str(config),
                    "run",
                ],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                if not wait_for(lambda: len(chat.received(OPS_PATH)) == 1):
                    process.kill()
                    pytest.fail(f"no ops notice: {process.communicate()[1]}")
                assert wait_for(lambda: fetch(port, "/healthz")[0] == 200), "never healthy"
                status, body = fetch(port, "/healthz")
                health = json.loads(body)
                assert (health["database"], health["polling"]) == ("ok", "ok")
                status, text = fetch(port, "/metrics")
                assert status == 200
                backup = run_cli(["--config", str(config), "backup", "live.sqlite3"], cwd=tmp_path)
            finally:
                process.send_signal(signal.SIGTERM)
                try:
                    _, stderr = process.communicate(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    raise
    finally:
        chat.stop()
    assert process.returncode == 0, stderr
    notice = chat.received(OPS_PATH)[0]["content"]
    assert "discord destination desk is broken, alerts paused: HTTP 404" in notice
    assert metric(text, "division_bell_polls_total", feed="BBC", outcome="changed") == 1
    assert metric(text, "division_bell_alerts_total", category="defection") == 1
    assert metric(text, "division_bell_sends_total", destination="desk", outcome="failed") == 1
    assert metric(text, "division_bell_outbox_depth") == 1  # held for the broken hook
    assert metric(text, "division_bell_event_loop_lag_seconds_count") >= 0
    if cli_backend == "sqlite":
        assert backup.returncode == 0, backup.stderr
        assert (tmp_path / "live.sqlite3").stat().st_size > 0
    else:  # PostgreSQL's own tools back it up; the command says so and writes nothing
        assert backup.returncode == 2, backup.stderr
        assert "pg_dump" in backup.stderr
        assert not (tmp_path / "live.sqlite3").exists()
    entries = [json.loads(line) for line in stderr.splitlines()]
    messages = [str(entry["message"]) for entry in entries]
    assert any(m.startswith("destination desk:") for m in messages)
    assert messages[-1] == "stopped"
    assert "HOOKSECRET" not in stderr
    assert "OPSSECRET" not in stderr
