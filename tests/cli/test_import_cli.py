"""`contact360 import/jobs/job/errors`: exit codes, --json, the error CSV.

The commands run in this process (``cli.main``) so the queue switch can be pointed at
the in-process runner; the database is the test session's own.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from contact360_desktop.cli import imports as import_cli
from contact360_desktop.cli import main

HEADER = ["Email", "First Name", "Company"]
ROWS = [["ann@example.com", "Ann", "Acme"], ["nope", "Bad", ""], ["bob@example.com", "Bob", ""]]


@pytest.fixture()
def cli_env(clean_db: Engine, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CONTACT360_DATABASE_URL", pg_url)
    monkeypatch.setenv("CONTACT360_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CONTACT360_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("CONTACT360_USER", "tester")
    monkeypatch.setattr(import_cli, "queue_function", lambda: None)  # run --wait in this process
    yield tmp_path


def csv_file(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> str:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    return str(path)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_wait_json_then_jobs_job_and_errors(cli_env: Path, capsys: Any) -> None:
    code, out, _ = cli(capsys, "import", csv_file(cli_env / "a.csv", ROWS), "--wait", "--json")
    assert code == 0
    final = json.loads(out)
    for key in (
        "job_id",
        "status",
        "total_rows",
        "processed_rows",
        "inserted",
        "updated",
        "rejected",
        "warnings",
    ):
        assert key in final
    assert (final["status"], final["processed_rows"], final["inserted"], final["rejected"]) == (
        "completed",
        3,
        2,
        1,
    )
    assert final["message"]

    code, out, _ = cli(capsys, "jobs", "--json")
    assert code == 0 and [j["job_id"] for j in json.loads(out)] == [final["job_id"]]
    code, out, _ = cli(capsys, "job", final["job_id"], "--json")
    assert code == 0 and json.loads(out)["inserted"] == 2

    code, out, _ = cli(capsys, "errors", final["job_id"])
    assert code == 0 and "row 2 (line 3) error" in out
    error_csv = cli_env / "errors.csv"
    code, _, _ = cli(capsys, "errors", final["job_id"], "--severity", "error", "--csv", str(error_csv))
    assert code == 0
    with error_csv.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == [*HEADER, "row_number", "error"]
    assert rows[1][:4] == ["nope", "Bad", "", "2"]


def test_import_without_wait_prints_the_job_id_and_queues_it(
    cli_env: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[str] = []
    monkeypatch.setattr(
        import_cli, "queue_function", lambda: lambda settings, job_id: queued.append(str(job_id))
    )
    code, out, _ = cli(capsys, "import", csv_file(cli_env / "a.csv", ROWS))
    assert code == 0
    assert queued == [out.strip()] and uuid.UUID(out.strip())


def test_failed_import_exits_1(cli_env: Path, capsys: Any) -> None:
    path = csv_file(cli_env / "a.csv", [["Ann", "Acme"]], ["First Name", "Company"])
    code, out, _ = cli(capsys, "import", path, "--wait", "--json")
    assert code == 1
    final = json.loads(out)
    assert final["status"] == "failed" and "email" in final["message"].lower()


def test_mapping_file_and_dry_run(cli_env: Path, capsys: Any) -> None:
    path = csv_file(cli_env / "a.csv", [["ann@example.com", "Ann"]], ["Correo", "Nombre"])
    mapping = cli_env / "mapping.json"
    mapping.write_text(json.dumps({"Correo": "email", "Nombre": "first_name"}), encoding="utf-8")
    code, out, _ = cli(capsys, "import", path, "--mapping", str(mapping), "--dry-run", "--wait", "--json")
    assert code == 0
    final = json.loads(out)
    assert final["dry_run"] is True and final["inserted"] == 1


@pytest.mark.parametrize(
    "args",
    [
        ["import", "/no/such/file.csv", "--wait"],
        ["import", "{file}", "--template", "no such template", "--wait"],
        ["import", "{file}", "--mapping", "/no/such/mapping.json"],
        ["import", "{file}", "--delimiter", ";;"],
        ["job", "not-a-uuid"],
        ["job", "00000000-0000-0000-0000-000000000000"],
        ["errors", "00000000-0000-0000-0000-000000000000"],
    ],
)
def test_usage_errors_exit_2(cli_env: Path, capsys: Any, args: list[str]) -> None:
    path = csv_file(cli_env / "a.csv", ROWS)
    code, _, err = cli(capsys, *[a.replace("{file}", path) for a in args])
    assert code == 2 and err.startswith("contact360: ")


@pytest.mark.parametrize("args", [["--mode", "merge"], ["--mapping", "m.json", "--template", "t"]])
def test_argument_errors_exit_2(cli_env: Path, capsys: Any, args: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["import", csv_file(cli_env / "a.csv", ROWS), *args])
    assert exit_info.value.code == 2
