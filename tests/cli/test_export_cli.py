"""`contact360 export ...` as a user runs it (subprocess), plus the queue path in-process."""

from __future__ import annotations

import csv
import gzip
import io
import json
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine

from contact360_desktop.cli import main
from contact360_desktop.core.fields import CONTACT_FIELDS
from tests.cli.helpers import run_cli
from tests.export_data import add_company, add_contacts

pytestmark = pytest.mark.usefixtures("clean_db")


@pytest.fixture()
def cli_env(pg_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "CONTACT360_DATABASE_URL": pg_url,
        "CONTACT360_DATA_DIR": str(tmp_path / "data"),
        "CONTACT360_CONFIG": str(tmp_path / "none.toml"),
        "CONTACT360_USER": "tester",
    }


@pytest.fixture()
def people(clean_db: Engine) -> list[uuid.UUID]:
    acme = add_company(clean_db, "Acme", domain="acme.com")
    return add_contacts(
        clean_db,
        [
            {"email": "ann@acme.com", "first_name": "=Ann", "company_id": acme, "country": "US"},
            {"email": "bob@example.com", "first_name": "Bob", "country": "DE"},
        ],
    )


def test_export_to_a_folder_prints_json(
    cli_env: dict[str, str], people: list[uuid.UUID], tmp_path: Path
) -> None:
    result = run_cli("export", "contacts", "--in-process", "--to", str(tmp_path) + "/", "--json", env=cli_env)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert set(summary) == {"export_id", "status", "row_count", "path", "size", "sha256", "message"}
    assert summary["status"] == "completed" and summary["row_count"] == 2
    path = Path(summary["path"])
    assert path.parent == tmp_path and path.stat().st_size == summary["size"]
    header, *rows = csv.reader(io.StringIO(path.read_text()))
    assert header == list(CONTACT_FIELDS)
    assert sorted(row[:2] for row in rows) == [["ann@acme.com", "'=Ann"], ["bob@example.com", "Bob"]]


def test_uuids_columns_and_format_options(
    cli_env: dict[str, str], people: list[uuid.UUID], tmp_path: Path
) -> None:
    ids = tmp_path / "ids.csv"
    ids.write_text(f"id\n{people[1]}\n\n# a comment\n{people[0]},extra\n")
    out = tmp_path / "out.csv.gz"
    result = run_cli(
        "export",
        "contacts",
        "--in-process",
        "--uuids",
        str(ids),
        "--columns",
        "email,company_name,first_name",
        "--raw",
        "--bom",
        "--gzip",
        "--delimiter",
        ";",
        "--to",
        str(out),
        env=cli_env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Exported 2 contacts to {out}"
    header, *rows = gzip.decompress(out.read_bytes()).splitlines()
    assert header == b"\xef\xbb\xbfemail;company_name;first_name"
    assert sorted(rows) == [b"ann@acme.com;Acme;=Ann", b"bob@example.com;;Bob"]


def test_search_and_country_filters(cli_env: dict[str, str], people: list[uuid.UUID], tmp_path: Path) -> None:
    out = tmp_path / "f.csv"
    result = run_cli(
        "export", "contacts", "--in-process", "--search", "bob", "--country", "de", "--to", str(out), "--json", env=cli_env
    )
    assert json.loads(result.stdout)["row_count"] == 1
    assert "bob@example.com" in out.read_text()


def test_companies(cli_env: dict[str, str], people: list[uuid.UUID], tmp_path: Path) -> None:
    out = tmp_path / "co.csv"
    result = run_cli("export", "companies", "--in-process", "--to", str(out), env=cli_env)
    assert result.returncode == 0, result.stderr
    assert out.read_text().splitlines()[1].startswith('"Acme","acme.com"')


def test_a_failed_export_exits_1_with_the_reason(
    cli_env: dict[str, str], people: list[uuid.UUID], s3_endpoint: str, s3_credentials: tuple[str, str]
) -> None:
    env = {
        **cli_env,
        "CONTACT360_S3_ENDPOINT_URL": s3_endpoint,
        "CONTACT360_S3_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": s3_credentials[0],
        "AWS_SECRET_ACCESS_KEY": s3_credentials[1],
    }
    result = run_cli("export", "contacts", "--in-process", "--to", "s3://no-such-bucket-c360/x.csv", "--json", env=env)
    assert result.returncode == 1
    summary = json.loads(result.stdout)
    assert summary["status"] == "failed"
    assert "The S3 bucket 'no-such-bucket-c360' does not exist" in summary["message"]
    assert summary["path"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--columns", "email,shoe_size"], "Unknown contacts column(s): shoe_size"),
        (["--delimiter", "ab"], "Delimiter must be one character"),
        (["--created-from", "soon"], "created_from must be a date"),
        (["--uuids", "/nonexistent/ids.txt"], "cannot read the id file"),
    ],
)
def test_usage_errors_exit_2(cli_env: dict[str, str], args: list[str], message: str) -> None:
    result = run_cli("export", "contacts", "--in-process", *args, env=cli_env)
    assert result.returncode == 2
    assert message in result.stderr


def test_a_bad_uuid_line_is_named(cli_env: dict[str, str], tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text(f"{uuid.uuid4()}\nnot-an-id\n")
    result = run_cli("export", "contacts", "--in-process", "--uuids", str(ids), env=cli_env)
    assert result.returncode == 2
    assert f"{ids}, line 2: not a UUID: 'not-an-id'" in result.stderr


def test_the_queue_path_waits_for_the_worker(
    cli_env: dict[str, str],
    people: list[uuid.UUID],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With the task layer installed, the export is queued and --wait polls the row until a worker
    (here a thread standing in for one) finishes it."""
    from contact360_desktop.services.exports import run_export
    from contact360_desktop.tasks import dispatch

    for name, value in cli_env.items():
        monkeypatch.setenv(name, value)
    workers: list[threading.Thread] = []

    def fake_enqueue(settings, export_id, **kwargs):  # type: ignore[no-untyped-def]
        from contact360_desktop.storage.db import get_engine

        worker = threading.Thread(target=run_export, args=(get_engine(settings), export_id, settings))
        worker.start()
        workers.append(worker)
        return "task-1"

    monkeypatch.setattr(dispatch, "enqueue_export", fake_enqueue)
    code = main(["export", "contacts", "--wait", "--json", "--to", str(tmp_path) + "/"])
    workers[0].join()
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "completed" and summary["row_count"] == 2
