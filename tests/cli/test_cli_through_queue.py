"""`contact360 import|export --wait` as a user runs them: through the real queue (PostgreSQL broker),
with a one-worker local pool started because no worker serves the queue."""

from __future__ import annotations

import csv
import json
import uuid
from pathlib import Path

import pytest

from tests.cli.helpers import run_cli

pytestmark = [pytest.mark.usefixtures("clean_db"), pytest.mark.timeout(240)]


@pytest.fixture()
def cli_env(pg_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "CONTACT360_DATABASE_URL": pg_url,
        "CONTACT360_REDIS_URL": "",
        "CONTACT360_DATA_DIR": str(tmp_path / "data"),
        "CONTACT360_CONFIG": str(tmp_path / "none.toml"),
        "CONTACT360_USER": "tester",
        # A queue namespace of this test's own: other test runs may share the server.
        "CONTACT360_TASK_NAMESPACE": f"cliq{uuid.uuid4().hex[:8]}",
    }


def test_import_then_export_round_trip_through_the_queue(cli_env: dict[str, str], tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Email", "First Name", "Last Name", "Company", "Job Title"])
        writer.writerow(["ada@example.com", "Ada", "Lovelace", "Analytical Engines", "Engineer"])
        writer.writerow(["grace@example.com", "Grace", "Hopper", "Navy", "Rear Admiral"])
        writer.writerow(["not-an-email", "Bad", "Row", "", ""])

    imported = run_cli("import", str(source), "--wait", "--json", env=cli_env, timeout=200)
    assert imported.returncode == 0, imported.stderr
    job = json.loads(imported.stdout.strip().splitlines()[-1])
    assert (job["status"], job["inserted"], job["rejected"]) == ("completed", 2, 1)

    target = tmp_path / "out.csv"
    exported = run_cli("export", "contacts", "--raw", "--to", str(target), "--wait", "--json", env=cli_env, timeout=200)
    assert exported.returncode == 0, exported.stderr
    export = json.loads(exported.stdout.strip().splitlines()[-1])
    assert export["status"] == "completed" and export["row_count"] == 2
    with target.open(newline="", encoding="utf-8") as handle:
        rows = {row["email"]: row for row in csv.DictReader(handle)}
    assert rows["ada@example.com"]["company_name"] == "Analytical Engines"
    assert rows["grace@example.com"]["title"] == "Rear Admiral"
