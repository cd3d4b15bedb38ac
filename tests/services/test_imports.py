"""The import service end to end against real PostgreSQL: rules, modes, resume, cancel, templates."""

from __future__ import annotations

import csv
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from contact360_desktop.core.mapping import header_signature
from contact360_desktop.services import imports, templates
from contact360_desktop.services.imports import ImportRequest, create_import_job, run_import
from contact360_desktop.settings import Settings
from contact360_desktop.storage.db import session_scope
from tests.contact_indexes import primary_key, secondary_indexes

HEADER = ["Email", "First Name", "Last Name", "Company", "Website", "Phone", "Favourite Colour"]


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def start(engine: Engine, path: Path, **options: Any) -> uuid.UUID:
    with session_scope(engine) as session:
        return create_import_job(session, ImportRequest(path=path, user="tester", **options)).id


def run(
    engine: Engine, settings: Settings, path: Path, batch_rows: int = 1000, **options: Any
) -> dict[str, Any]:
    job_id = start(engine, path, **options)
    run_import(engine, job_id, settings, batch_rows=batch_rows)
    return job(engine, job_id)


def job(engine: Engine, job_id: uuid.UUID) -> dict[str, Any]:
    with session_scope(engine) as session:
        return imports.job_summary(imports.get_job(session, job_id))


def contacts(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.*, co.name AS company FROM contacts c LEFT JOIN companies co ON co.id = c.company_id"
            )
        ).mappings()
        return {r["email"]: dict(r) for r in rows}


def errors(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM contact_import_errors ORDER BY row_number, id")).mappings()
        return [dict(r) for r in rows]


ROWS = [
    ["Ann@Example.com", "Ann", "Lee", "Acme", "https://www.acme.com", "(415) 555-2671", "blue"],
    ["bob@example.com", "Bob", "", "Initech", "", "", ""],
    ["not-an-email", "Nope", "", "", "", "", ""],
    ["ann@example.com", "", "Leigh", "", "", "call me", "green"],
    ["", "No", "Email", "", "", "", ""],
]


def test_rules_in_file_order_across_batches(clean_db: Engine, settings: Settings, tmp_path: Path) -> None:
    result = run(clean_db, settings, write_csv(tmp_path / "a.csv", ROWS), batch_rows=2)
    assert result["status"] == "completed"
    assert (result["total_rows"], result["processed_rows"]) == (5, 5)
    assert (result["inserted"], result["updated"], result["rejected"], result["warnings"]) == (2, 1, 2, 1)
    ann = contacts(clean_db)["ann@example.com"]
    # Row 4 (another batch) updated row 1's contact: later non-blank wins, blanks never erase.
    assert (ann["first_name"], ann["last_name"], ann["phone"]) == ("Ann", "Leigh", "+14155552671")
    assert ann["custom_fields"] == {"Favourite Colour": "green"}
    assert ann["company"] == "Acme"
    found = [(e["row_number"], e["severity"], e["field"]) for e in errors(clean_db)]
    assert found == [(3, "error", "email"), (4, "warning", "phone"), (5, "error", "email")]
    assert errors(clean_db)[0]["raw"]["Email"] == "not-an-email"


def test_reimport_of_an_unchanged_file_changes_nothing(
    clean_db: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "a.csv", ROWS)
    run(clean_db, settings, path)
    with clean_db.connect() as conn:
        before = conn.execute(text("SELECT email, xmin::text, updated_at FROM contacts ORDER BY email")).all()
    again = run(clean_db, settings, path)
    assert (again["inserted"], again["updated"], again["rejected"]) == (0, 3, 2)
    with clean_db.connect() as conn:
        after = conn.execute(text("SELECT email, xmin::text, updated_at FROM contacts ORDER BY email")).all()
    assert after == before


def test_insert_only_rejects_existing_emails(clean_db: Engine, settings: Settings, tmp_path: Path) -> None:
    run(clean_db, settings, write_csv(tmp_path / "a.csv", ROWS[:1]))
    rows = [
        ["ann@example.com", "Changed", "", "", "", "", ""],
        ["new@example.com", "New", "", "", "", "", ""],
    ]
    result = run(clean_db, settings, write_csv(tmp_path / "b.csv", rows), mode="insert")
    assert (result["inserted"], result["updated"], result["rejected"]) == (1, 0, 1)
    assert contacts(clean_db)["ann@example.com"]["first_name"] == "Ann"
    (err,) = [e for e in errors(clean_db) if e["code"] == "duplicate"]
    assert (err["row_number"], err["line_number"], err["raw"]["First Name"]) == (1, 2, "Changed")


def test_rows_the_database_rejects_keep_every_column_as_other_row_errors_do(
    clean_db: Engine, settings: Settings, tmp_path: Path
) -> None:
    """Two columns named "Phone": the raw row keeps both, keyed as the validator keys them."""
    header = ["Email", "Phone", "Phone"]
    run(clean_db, settings, write_csv(tmp_path / "a.csv", [["ann@example.com", "", ""]], header))
    rows = [["ann@example.com", "415 555 0100", "415 555 0199"], ["bad", "1", "2"]]
    run(clean_db, settings, write_csv(tmp_path / "b.csv", rows, header), mode="insert")
    raws = {e["code"]: e["raw"] for e in errors(clean_db)}
    assert raws["duplicate"] == {"Email": "ann@example.com", "Phone": "415 555 0100", "Phone (2)": "415 555 0199"}
    assert set(raws["duplicate"]) == set(raws["email_invalid"])


@pytest.mark.parametrize("mode", ["insert", "update"])
def test_company_of_a_rejected_row_is_created_for_a_later_batch(
    clean_db: Engine, settings: Settings, tmp_path: Path, mode: str
) -> None:
    """A company staged only with rows the database rejects is still created when a later batch needs it."""
    run(clean_db, settings, write_csv(tmp_path / "a.csv", [["old@example.com", "Old", "", "", "", "", ""]]))
    rejected = "old@example.com" if mode == "insert" else "zed@example.com"
    kept = "new@example.com" if mode == "insert" else "old@example.com"
    rows = [[rejected, "", "", "Hooli", "hooli.com", "", ""], [kept, "", "", "Hooli", "hooli.com", "", ""]]
    result = run(clean_db, settings, write_csv(tmp_path / "b.csv", rows), batch_rows=1, mode=mode)
    assert result["rejected"] == 1
    assert contacts(clean_db)[kept]["company"] == "Hooli"


def test_update_only_rejects_unknown_emails(clean_db: Engine, settings: Settings, tmp_path: Path) -> None:
    run(clean_db, settings, write_csv(tmp_path / "a.csv", ROWS[:1]))
    rows = [["zed@example.com", "Zed", "", "", "", "", ""], ["ann@example.com", "Annie", "", "", "", "", ""]]
    result = run(clean_db, settings, write_csv(tmp_path / "b.csv", rows), mode="update")
    assert (result["inserted"], result["updated"], result["rejected"]) == (0, 1, 1)
    assert set(contacts(clean_db)) == {"ann@example.com"}
    assert contacts(clean_db)["ann@example.com"]["first_name"] == "Annie"
    assert [e["code"] for e in errors(clean_db)] == ["unknown_email"]


def test_dry_run_writes_row_errors_but_no_contacts(
    clean_db: Engine, settings: Settings, tmp_path: Path
) -> None:
    result = run(clean_db, settings, write_csv(tmp_path / "a.csv", ROWS), dry_run=True)
    assert result["status"] == "completed" and result["rejected"] == 2
    assert contacts(clean_db) == {}
    assert len(errors(clean_db)) == 3
    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM companies")).scalar() == 0


@pytest.mark.parametrize("mode", ["upsert", "insert", "update"])
def test_dry_run_counts_what_the_import_would_do(
    clean_db: Engine, settings: Settings, tmp_path: Path, mode: str
) -> None:
    """Emails repeated across batches count as the real import counts them (not as new twice)."""
    run(clean_db, settings, write_csv(tmp_path / "seed.csv", [["old@example.com", "Old", "", "", "", "", ""]]))
    emails = ["a@x.io", "old@example.com", "a@x.io", "b@x.io", "old@example.com", "b@x.io", "zed@x.io", "a@x.io"]
    path = write_csv(tmp_path / "b.csv", [[e, "N", "", "", "", "", ""] for e in emails])
    dry = run(clean_db, settings, path, batch_rows=2, mode=mode, dry_run=True)
    real = run(clean_db, settings, path, batch_rows=2, mode=mode)
    counts = ("processed_rows", "inserted", "updated", "rejected")
    assert [dry[k] for k in counts] == [real[k] for k in counts], (dry, real)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, ""),
        (b"First Name,Last Name,Company\nAnn,Lee,Acme\n", "email"),
    ],
    ids=["empty", "binary", "no-email-column"],
)
def test_whole_file_failures_fail_the_job_and_write_nothing(
    clean_db: Engine, settings: Settings, tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = run(clean_db, settings, path)
    assert result["status"] == "failed"
    assert result["message"] and expected in result["message"].lower()
    assert contacts(clean_db) == {} and errors(clean_db) == []


def test_a_bad_byte_past_the_first_batches_fails_the_job_and_writes_nothing(
    clean_db: Engine, settings: Settings, tmp_path: Path
) -> None:
    """Undecodable text is a whole-file failure even when the format sample (1 MiB) was fine."""
    good = "".join(f"p{i}@example.com,Zoë,Lee,,,,\n" for i in range(60_000))  # ~1.7 MB, real UTF-8
    path = tmp_path / "late-bad-byte.csv"
    path.write_bytes((",".join(HEADER) + "\n" + good).encode("utf-8") + b"late@example.com,Z\xeb,,,,,\n")
    result = run(clean_db, settings, path, batch_rows=1000)
    assert result["status"] == "failed"
    assert "Line 60002 is not valid utf-8 text" in result["message"]
    assert contacts(clean_db) == {} and errors(clean_db) == []


def test_header_only_file_completes_with_no_rows(
    clean_db: Engine, settings: Settings, tmp_path: Path
) -> None:
    result = run(clean_db, settings, write_csv(tmp_path / "a.csv", []))
    assert (result["status"], result["processed_rows"], result["total_rows"]) == ("completed", 0, 0)


def _many_rows(n: int) -> list[list[str]]:
    # Every 7th row repeats an earlier email with a new last name: order matters across batches.
    rows = []
    for i in range(n):
        if i % 7 == 6:
            rows.append([f"p{i - 3}@example.com", "", f"Later{i}", "", "", "", f"c{i}"])
        elif i % 11 == 10:
            rows.append([f"bad{i}", "", "", "", "", "", ""])
        else:
            rows.append([f"p{i}@example.com", f"P{i}", f"L{i}", f"Co{i % 5}", "", "", ""])
    return rows


def _snapshot(engine: Engine) -> tuple[Any, Any]:
    with engine.connect() as conn:
        people = conn.execute(
            text(
                "SELECT c.email, c.first_name, c.last_name, c.custom_fields::text, co.name FROM contacts c "
                "LEFT JOIN companies co ON co.id = c.company_id ORDER BY c.email"
            )
        ).all()
        errs = conn.execute(
            text("SELECT row_number, code FROM contact_import_errors ORDER BY row_number")
        ).all()
    return people, errs


def _worker_dies_in_batch(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    """The n-th batch the import writes raises, as when its worker dies there (once)."""
    real_write = imports._write_batch
    calls = {"n": 0}

    def write(*args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == n:
            raise ConnectionError("worker died")
        return real_write(*args)

    monkeypatch.setattr(imports, "_write_batch", write)


def test_resume_after_k_batches_equals_an_uninterrupted_run(
    clean_db: Engine, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_csv(tmp_path / "many.csv", _many_rows(100))
    whole = run(clean_db, settings, path, batch_rows=10)
    expected = _snapshot(clean_db)
    from tests.conftest import truncate_app_tables

    truncate_app_tables(clean_db)
    job_id = start(clean_db, path)
    _worker_dies_in_batch(monkeypatch, 4)
    with pytest.raises(ConnectionError):
        run_import(clean_db, job_id, settings, batch_rows=10)
    halfway = job(clean_db, job_id)
    assert (halfway["status"], halfway["processed_rows"]) == ("processing", 30)
    assert run_import(clean_db, job_id, settings, batch_rows=10) == "completed"
    resumed = job(clean_db, job_id)
    assert _snapshot(clean_db) == expected
    for key in ("processed_rows", "inserted", "updated", "rejected", "warnings", "total_rows"):
        assert resumed[key] == whole[key], key
    assert "Resumed after row 30" in resumed["message"]


@pytest.mark.parametrize("mode", ["upsert", "insert"])
def test_a_resumed_dry_run_counts_as_an_uninterrupted_one(
    clean_db: Engine, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """Emails that batches before the crash would have created still count as existing after it."""
    path = write_csv(tmp_path / "many.csv", _many_rows(100))
    whole = run(clean_db, settings, path, batch_rows=11, mode=mode, dry_run=True)
    whole_errors = _snapshot(clean_db)[1]
    job_id = start(clean_db, path, mode=mode, dry_run=True)
    _worker_dies_in_batch(monkeypatch, 4)
    with pytest.raises(ConnectionError):
        run_import(clean_db, job_id, settings, batch_rows=11)
    # Row 35 repeats the email of row 32: one batch before the crash, the other after it.
    assert job(clean_db, job_id)["processed_rows"] == 33
    assert run_import(clean_db, job_id, settings, batch_rows=11) == "completed"
    resumed = job(clean_db, job_id)
    for key in ("processed_rows", "inserted", "updated", "rejected", "warnings"):
        assert resumed[key] == whole[key], key
    with clean_db.connect() as conn:
        errors_of_job = conn.execute(
            text("SELECT row_number, code FROM contact_import_errors WHERE job_id = :id ORDER BY row_number"),
            {"id": job_id},
        ).all()
    assert errors_of_job == list(whole_errors)  # the first run's errors, once each
    assert contacts(clean_db) == {}


def test_cancel_stops_at_the_next_batch_and_keeps_committed_rows(
    clean_db: Engine, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_csv(tmp_path / "many.csv", _many_rows(50))
    job_id = start(clean_db, path)
    real_check = imports._cancel_requested
    checks = {"n": 0}

    def user_cancels_during_batch_3(conn: Any, jid: uuid.UUID) -> bool:
        checks["n"] += 1
        if checks["n"] == 3:
            with session_scope(clean_db) as session:  # another connection, like the GUI
                assert imports.request_cancel(session, jid)
        return real_check(conn, jid)

    monkeypatch.setattr(imports, "_cancel_requested", user_cancels_during_batch_3)
    assert run_import(clean_db, job_id, settings, batch_rows=10) == "cancelled"
    result = job(clean_db, job_id)
    assert result["processed_rows"] == 20 and result["finished_at"]
    assert len(contacts(clean_db)) > 0
    assert run_import(clean_db, job_id, settings) == "cancelled"  # finished jobs stay finished


def test_total_rows_is_estimated_first_then_exact(
    clean_db: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "many.csv", _many_rows(40))
    assert imports.estimate_rows(path, path.stat().st_size) == 40
    assert run(clean_db, settings, path)["total_rows"] == 40


def test_templates_apply_by_name_and_by_header_signature(
    clean_db: Engine, settings: Settings, tmp_path: Path
) -> None:
    header = ["Correo", "Nombre", "Empresa"]
    path = write_csv(tmp_path / "es.csv", [["ana@example.com", "Ana", "Acme"]], header)
    mapping = {"Correo": "email", "Nombre": "first_name", "Empresa": "company_name"}
    assert run(clean_db, settings, path)["status"] == "failed"  # nothing maps to email on its own

    with session_scope(clean_db) as session:
        templates.save_template(session, "spanish crm", header_signature(header), mapping)
    by_signature = run(clean_db, settings, path)
    assert by_signature["status"] == "completed" and by_signature["inserted"] == 1
    assert contacts(clean_db)["ana@example.com"]["company"] == "Acme"

    with session_scope(clean_db) as session:
        templates.save_template(session, "spanish crm", "0" * 64, mapping)  # replaced, no longer matching
        assert [t.name for t in templates.list_templates(session)] == ["spanish crm"]
    assert run(clean_db, settings, path)["status"] == "failed"
    assert run(clean_db, settings, path, template="spanish crm")["status"] == "completed"
    with session_scope(clean_db) as session, pytest.raises(templates.TemplateNotFound):
        create_import_job(session, ImportRequest(path=path, template="nope"))


def test_error_csv_has_original_columns_row_number_and_error(
    clean_db: Engine, settings: Settings, tmp_path: Path
) -> None:
    job_id = start(clean_db, write_csv(tmp_path / "a.csv", ROWS))
    run_import(clean_db, job_id, settings)
    out = tmp_path / "errors.csv"
    with session_scope(clean_db) as session:
        assert imports.export_errors_csv(session, job_id, out, severity="error") == 2
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == [*HEADER, "row_number", "error"]
    assert [r[0] for r in rows[1:]] == ["not-an-email", ""]
    assert [r[-2] for r in rows[1:]] == ["3", "5"]
    assert all(r[-1] for r in rows[1:])


def test_bulk_import_defers_secondary_indexes_and_rebuilds_them(
    clean_db: Engine, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contact360_desktop.storage import import_indexes

    before = secondary_indexes(clean_db)
    assert before
    monkeypatch.setattr(import_indexes, "BULK_MIN_ROWS", 10)
    seen: list[set[str]] = []
    real_write = imports._write_batch
    calls = {"n": 0}

    def observing(*args: Any) -> Any:
        seen.append(secondary_indexes(clean_db))
        calls["n"] += 1
        if calls["n"] == 3:
            raise ConnectionError("worker died")
        return real_write(*args)

    monkeypatch.setattr(imports, "_write_batch", observing)
    path = write_csv(tmp_path / "many.csv", _many_rows(60))
    job_id = start(clean_db, path)
    with pytest.raises(ConnectionError):
        run_import(clean_db, job_id, settings, batch_rows=10)
    assert seen[0] == set()  # loading without them
    assert secondary_indexes(clean_db) == before  # rebuilt although the run failed
    assert primary_key(clean_db) == "PRIMARY KEY (id)"
    keys: list[str | None] = []
    monkeypatch.setattr(imports, "_write_batch", lambda *a: (keys.append(primary_key(clean_db)), real_write(*a))[1])
    assert run_import(clean_db, job_id, settings, batch_rows=10) == "completed"
    assert keys and set(keys) == {None}  # the primary key was deferred too
    assert secondary_indexes(clean_db) == before
    assert primary_key(clean_db) == "PRIMARY KEY (id)"
    with clean_db.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM contact_import_jobs WHERE options ? 'deferred_indexes'")
            ).scalar()
            == 0
        )
        # The rebuilt indexes serve queries again.
        plan = conn.execute(
            text("EXPLAIN SELECT id FROM contacts WHERE company_id = gen_random_uuid()")
        ).all()
    assert "ix_contacts_company_id" in str(plan) or "Seq Scan" in str(plan)


def test_small_import_into_a_big_table_keeps_the_indexes(
    clean_db: Engine, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contact360_desktop.storage import import_indexes

    monkeypatch.setattr(import_indexes, "BULK_MIN_ROWS", 10)
    run(clean_db, settings, write_csv(tmp_path / "big.csv", _many_rows(60)))
    before = secondary_indexes(clean_db)
    seen: list[set[str]] = []
    real_write = imports._write_batch
    monkeypatch.setattr(
        imports, "_write_batch", lambda *a: (seen.append(secondary_indexes(clean_db)), real_write(*a))[1]
    )
    rows = [[f"n{i}@example.com", "N", "", "", "", "", ""] for i in range(12)]
    assert run(clean_db, settings, write_csv(tmp_path / "small.csv", rows))["inserted"] == 12
    assert seen == [before]


def test_a_primary_key_index_built_before_a_crash_becomes_the_primary_key(clean_db: Engine, tmp_path: Path) -> None:
    """The restore died after building contacts_pkey but before promoting it: the next one promotes it."""
    from contact360_desktop.storage import import_indexes

    job_id = start(clean_db, write_csv(tmp_path / "a.csv", [["a@example.com", "A", "", "", "", "", ""]]))
    assert "contacts_pkey" in import_indexes.defer_indexes(clean_db, job_id)
    with clean_db.begin() as conn:
        conn.execute(text("CREATE UNIQUE INDEX contacts_pkey ON contacts (id)"))
    assert "contacts_pkey" not in import_indexes.restore_deferred_indexes(clean_db)  # found, not rebuilt
    assert primary_key(clean_db) == "PRIMARY KEY (id)"
    assert secondary_indexes(clean_db)
