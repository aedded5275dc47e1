"""[storage] url / url_env: PostgreSQL chosen by URL, the password never in the file or output."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.config.show import render_settings
from bot.errors import ConfigError
from tests.support.cli import run_cli

URL = "postgresql://bell:s3cretPassw0rd@db.internal:5432/division_bell"


def load(tmp_path: Path, storage: str, env: dict[str, str] | None = None) -> Settings:
    path = tmp_path / "conf.toml"
    path.write_text(f"[storage]\n{storage}\n", encoding="utf-8")
    return load_settings(path, env={"DIVISION_BELL_DATA": str(tmp_path), **(env or {})})


def test_without_a_url_the_store_is_the_sqlite_file(tmp_path: Path) -> None:
    settings = load(tmp_path, 'path = "bell.sqlite3"')
    assert settings.storage.url is None
    assert settings.storage.path == tmp_path / "bell.sqlite3"


def test_url_env_reads_the_url_from_the_environment_and_show_masks_its_password(
    tmp_path: Path,
) -> None:
    settings = load(tmp_path, 'url_env = "DATABASE_URL"', {"DATABASE_URL": URL})
    assert settings.storage.url == URL
    shown = render_settings(settings)
    assert "s3cretPassw0rd" not in shown
    assert 'url = "postgresql://bell:***@db.internal:5432/division_bell"' in shown


def test_an_inline_url_without_a_password_is_accepted(tmp_path: Path) -> None:
    settings = load(tmp_path, 'url = "postgresql://bell@/division_bell?host=/run/postgresql"')
    assert settings.storage.url == "postgresql://bell@/division_bell?host=/run/postgresql"


@pytest.mark.parametrize(
    ("storage", "env", "message"),
    [
        (
            'url_env = "DATABASE_URL"',
            {},
            "[storage] url_env (DATABASE_URL): the variable is unset or blank",
        ),
        (
            'url_env = "DATABASE_URL"',
            {"DATABASE_URL": "  "},
            "[storage] url_env (DATABASE_URL): the variable is unset or blank",
        ),
        (f'url = "{URL}"', {}, "[storage] url: a password does not belong in the config file"),
        (
            'url = "postgresql://a@b/c"\nurl_env = "X"',
            {"X": URL},
            "[storage] url: give url or url_env, not both",
        ),
        (
            'url_env = "DATABASE_URL"',
            {"DATABASE_URL": "mysql://u:s3cretPassw0rd@h/d"},
            "[storage] url_env (DATABASE_URL): not a postgresql:// URL",
        ),
        ("url = 5", {}, "[storage] url"),
        ('urls = "x"', {}, "urls"),
    ],
    ids=["unset", "blank", "inline password", "both", "not postgresql", "not a string", "typo"],
)
def test_bad_storage_urls_are_errors_that_never_echo_the_url(
    tmp_path: Path, storage: str, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, storage, env)
    assert message in str(caught.value)
    assert "s3cretPassw0rd" not in str(caught.value)


def write_postgres_config(tmp_path: Path) -> None:
    (tmp_path / "division-bell.toml").write_text(
        '[storage]\nurl_env = "DATABASE_URL"\n[console]\nenabled = false\n', encoding="utf-8"
    )


def test_check_config_asks_the_server_and_never_prints_the_password(
    tmp_path: Path, postgres_dsn: str
) -> None:
    write_postgres_config(tmp_path)
    good = run_cli(
        ["--config", "division-bell.toml", "check-config"],
        cwd=tmp_path,
        env={"DATABASE_URL": postgres_dsn},
    )
    assert good.returncode == 0, good.stderr
    assert "url = " in good.stdout
    down = run_cli(
        ["--config", "division-bell.toml", "check-config"],
        cwd=tmp_path,
        env={"DATABASE_URL": "postgresql://bell:s3cretPassw0rd@127.0.0.1:9/division_bell"},
    )
    assert down.returncode == 2
    assert (
        "[storage] postgresql://bell:***@127.0.0.1:9/division_bell: cannot connect" in down.stderr
    )
    assert "s3cretPassw0rd" not in down.stdout + down.stderr


def test_backup_refuses_postgresql_and_points_at_pg_dump(tmp_path: Path) -> None:
    write_postgres_config(tmp_path)
    result = run_cli(
        ["--config", "division-bell.toml", "backup", str(tmp_path / "copy.sqlite3")],
        cwd=tmp_path,
        env={"DATABASE_URL": "postgresql://bell:s3cretPassw0rd@127.0.0.1:9/division_bell"},
    )
    assert result.returncode == 2
    assert "pg_dump" in result.stderr
    assert not (tmp_path / "copy.sqlite3").exists()
    assert "s3cretPassw0rd" not in result.stdout + result.stderr
