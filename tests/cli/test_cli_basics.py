"""`contact360 --version`, `db upgrade`, `status`, run as a user would (a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from contact360_desktop import __version__
from tests.cli.helpers import run_cli


@pytest.fixture()
def fresh_database_env(pg_server_url: str, tmp_path) -> Iterator[dict[str, str]]:
    name = f"c360_cli_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_server_url).set(database=name).render_as_string(hide_password=False)
    yield {
        "CONTACT360_DATABASE_URL": url,
        "CONTACT360_DATA_DIR": str(tmp_path),
        "CONTACT360_CONFIG": str(tmp_path / "none.toml"),
    }
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"contact360 {__version__}"


def test_console_script_and_module_are_the_same_command() -> None:
    script = os.path.join(os.path.dirname(sys.executable), "contact360")
    result = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == f"contact360 {__version__}"


def test_db_upgrade_twice_changes_nothing_the_second_time(fresh_database_env: dict[str, str]) -> None:
    first = run_cli("db", "upgrade", env=fresh_database_env)
    assert first.returncode == 0, first.stderr
    assert "Upgraded database from empty" in first.stdout
    second = run_cli("db", "upgrade", env=fresh_database_env)
    assert second.returncode == 0, second.stderr
    assert "up to date" in second.stdout


def test_status_reports_database_and_broker(fresh_database_env: dict[str, str]) -> None:
    result = run_cli("status", "--json", env=fresh_database_env)
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["database"] == "server"
    assert status["database_reachable"] is True
    assert status["database_version"].split(".")[0].isdigit()
    assert status["broker"] == "embedded"


def test_status_when_the_database_is_unreachable(tmp_path) -> None:
    env = {
        "CONTACT360_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nowhere",
        "CONTACT360_CONFIG": str(tmp_path / "none.toml"),
    }
    result = run_cli("status", "--json", env=env)
    assert result.returncode == 1
    status = json.loads(result.stdout)
    assert status["database_reachable"] is False and status["database_error"]


def test_bad_setting_is_one_clear_line(tmp_path) -> None:
    env = {"CONTACT360_WORKER_CONCURRENCY": "lots", "CONTACT360_CONFIG": str(tmp_path / "none.toml")}
    result = run_cli("db", "upgrade", env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "contact360: CONTACT360_WORKER_CONCURRENCY must be a whole number, got 'lots'"
    )
