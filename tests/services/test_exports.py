"""services.exports against real PostgreSQL, into local folders (S3 lives in test_exports_s3.py)."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from contact360_desktop.core.export_format import CONTACT_COLUMNS, UTF8_BOM, neutralise
from contact360_desktop.core.fields import (
    CANCELLED,
    COMPANY_FIELDS,
    COMPLETED,
    CONTACT_FIELDS,
    FAILED,
    PENDING,
)
from contact360_desktop.services import exports
from contact360_desktop.services.export_query import column_expression
from contact360_desktop.services.exports import (
    ExportFailed,
    ExportRequest,
    InvalidExportRequest,
    create_export,
    get_export,
    request_cancel,
    run_export,
)
from contact360_desktop.settings import Settings
from contact360_desktop.storage.db import session_scope
from contact360_desktop.storage.models import Export
from tests.export_data import add_company, add_contacts, add_many_contacts

pytestmark = pytest.mark.usefixtures("clean_db")


def _export(engine: Engine, settings: Settings, request: ExportRequest) -> tuple[str, Export]:
    with session_scope(engine) as session:
        export_id = create_export(session, request).id
    status = run_export(engine, export_id, settings)
    return status, _load(engine, export_id)


def _load(engine: Engine, export_id: uuid.UUID, *, with_ids: bool = False) -> Export:
    with session_scope(engine) as session:
        export = get_export(session, export_id)
        assert export is not None
        if with_ids:
            _ = export.selection_ids  # deferred: load it while the session is open
        return export


def _path(export: Export) -> Path:
    assert export.path_or_key is not None
    return Path(export.path_or_key)


def _rows(path: str | Path, delimiter: str = ",") -> list[list[str]]:
    """Header first, then the rows sorted (contacts come in storage order, which is not guaranteed)."""
    data = Path(path).read_bytes()
    if str(path).endswith(".gz"):
        data = gzip.decompress(data)
    header, *rows = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter)
    return [header, *sorted(rows)]


@pytest.fixture()
def acme(clean_db: Engine) -> uuid.UUID:
    return add_company(
        clean_db,
        "Acme",
        domain="acme.com",
        industry="Rockets",
        employee_count=250,
        website="https://acme.com",
    )


@pytest.fixture()
def people(clean_db: Engine, acme: uuid.UUID) -> list[uuid.UUID]:
    globex = add_company(clean_db, "Globex", domain="globex.com", industry="Energy", country="DE")
    return add_contacts(
        clean_db,
        [
            {
                "email": "ann@acme.com",
                "first_name": "Ann",
                "last_name": "Lee",
                "title": "CEO",
                "company_id": acme,
                "phone": "+14155550100",
                "country": "US",
                "custom_fields": {"plan": "gold", "tier": "1"},
            },
            {
                "email": "bob@globex.com",
                "first_name": "Bob",
                "last_name": "Stone",
                "company_id": globex,
                "country": "DE",
                "custom_fields": {"plan": "free"},
            },
            {"email": "cy@example.org", "first_name": "Cy", "last_name": "Ames", "country": "US"},
        ],
    )


def test_default_export_has_canonical_header_relations_and_bookkeeping(
    clean_db: Engine, settings: Settings, people: list[uuid.UUID], tmp_path: Path
) -> None:
    status, export = _export(clean_db, settings, ExportRequest(destination=str(tmp_path) + "/"))
    assert status == COMPLETED
    rows = _rows(_path(export))
    assert rows[0] == list(CONTACT_FIELDS)
    by_email = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert [row[0] for row in rows[1:]] == ["ann@acme.com", "bob@globex.com", "cy@example.org"]
    assert by_email["ann@acme.com"]["company_name"] == "Acme"
    assert by_email["ann@acme.com"]["company_domain"] == "acme.com"
    assert by_email["ann@acme.com"]["phone"] == "+14155550100"
    assert by_email["bob@globex.com"]["company_name"] == "Globex"
    assert by_email["cy@example.org"]["company_name"] == ""
    path = _path(export)
    assert path.parent == tmp_path
    assert re.fullmatch(r"contacts-\d{8}-\d{6}\.csv", path.name)
    data = path.read_bytes()
    assert (export.row_count, export.total_rows, export.size) == (3, 3, len(data))
    assert export.sha256 == hashlib.sha256(data).hexdigest()
    assert export.message == f"Exported 3 contacts to {path}"
    assert export.finished_at is not None and export.attempts == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temp file left


def test_explicit_uuids_ignore_duplicates_and_unknown_ids(
    clean_db: Engine, settings: Settings, people: list[uuid.UUID], tmp_path: Path
) -> None:
    ids = [people[2], people[0], people[2], uuid.uuid4()]  # the unknown id is simply absent
    status, export = _export(
        clean_db, settings, ExportRequest(ids=ids, destination=str(tmp_path / "sel.csv"))
    )
    assert status == COMPLETED
    lines = (tmp_path / "sel.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == ['"ann@acme.com"', '"cy@example.org"']  # oldest first
    assert export.selection == {"ids": True}
    assert (export.row_count, export.total_rows) == (2, 2)
    assert _load(clean_db, export.id, with_ids=True).selection_ids == [people[2], people[0], ids[3]]


def test_a_selection_beyond_the_bind_parameter_limit(
    clean_db: Engine, settings: Settings, people: list[uuid.UUID], tmp_path: Path
) -> None:
    ids = [uuid.uuid4() for _ in range(70_000)] + [people[1]]
    status, export = _export(
        clean_db, settings, ExportRequest(ids=ids, destination=str(tmp_path / "big.csv"))
    )
    assert status == COMPLETED and export.row_count == 1
    assert _rows(tmp_path / "big.csv")[1][0] == "bob@globex.com"


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({}, ["ann@acme.com", "bob@globex.com", "cy@example.org"]),
        ({"search": "ann"}, ["ann@acme.com"]),
        ({"search": "STONE"}, ["bob@globex.com"]),
        ({"search": "globex"}, ["bob@globex.com"]),  # company name
        ({"search": "ann lee"}, ["ann@acme.com"]),  # full name
        ({"search": "%"}, []),  # LIKE wildcards are literal
        ({"country": "us"}, ["ann@acme.com", "cy@example.org"]),
        ({"company": "ACME"}, ["ann@acme.com"]),
        ({"company": "globex.com"}, ["bob@globex.com"]),
        ({"country": "US", "search": "example"}, ["cy@example.org"]),
        ({"created_from": "2024-03-01T12:00:01+00:00"}, ["bob@globex.com", "cy@example.org"]),
        ({"created_to": "2024-03-01T12:00:01Z"}, ["ann@acme.com"]),
        (
            {"created_from": "2024-03-01", "created_to": "2024-03-01"},
            ["ann@acme.com", "bob@globex.com", "cy@example.org"],
        ),
        ({"created_to": "2024-02-29"}, []),
    ],
)
def test_filters(
    clean_db: Engine,
    settings: Settings,
    people: list[uuid.UUID],
    tmp_path: Path,
    flt: dict,
    expected: list[str],
) -> None:
    status, export = _export(
        clean_db, settings, ExportRequest(filter=flt, destination=str(tmp_path / "f.csv"))
    )
    assert status == COMPLETED
    assert [row[0] for row in _rows(tmp_path / "f.csv")[1:]] == expected
    assert export.row_count == len(expected)


def test_filter_by_company_id_and_by_import_job(
    clean_db: Engine, settings: Settings, acme: uuid.UUID, people: list[uuid.UUID], tmp_path: Path
) -> None:
    job = uuid.uuid4()
    with clean_db.begin() as conn:
        conn.execute(
            text("UPDATE contacts SET created_by_job = :job WHERE id = :id"), {"job": job, "id": people[1]}
        )
    _export(
        clean_db,
        settings,
        ExportRequest(filter={"import_job": str(job)}, destination=str(tmp_path / "j.csv")),
    )
    assert [row[0] for row in _rows(tmp_path / "j.csv")[1:]] == ["bob@globex.com"]
    _export(
        clean_db, settings, ExportRequest(filter={"company": str(acme)}, destination=str(tmp_path / "c.csv"))
    )
    assert [row[0] for row in _rows(tmp_path / "c.csv")[1:]] == ["ann@acme.com"]


def test_chosen_columns_order_relations_and_custom_fields(
    clean_db: Engine, settings: Settings, people: list[uuid.UUID], tmp_path: Path
) -> None:
    columns = ["company_industry", "email", "company_employee_count", "custom.plan", "custom.*", "id"]
    request = ExportRequest(columns=columns, filter={"search": "a"}, destination=str(tmp_path / "c.csv"))
    _export(clean_db, settings, request)
    header, *rows = _rows(tmp_path / "c.csv")
    assert header == ["company_industry", "email", "company_employee_count", "plan", "tier", "id"]
    rows.sort(key=lambda row: row[1])
    assert rows[0] == ["Rockets", "ann@acme.com", "250", "gold", "1", str(people[0])]
    assert rows[1][:5] == ["", "cy@example.org", "", "", ""]


def test_companies_export_has_metadata_and_contact_count(
    clean_db: Engine, settings: Settings, people: list[uuid.UUID], tmp_path: Path
) -> None:
    add_company(clean_db, "Initech")
    status, export = _export(
        clean_db, settings, ExportRequest(kind="companies", destination=str(tmp_path) + "/")
    )
    assert status == COMPLETED
    assert re.fullmatch(r"companies-\d{8}-\d{6}\.csv", _path(export).name)
    rows = _rows(_path(export))
    assert rows[0] == list(COMPANY_FIELDS)
    table = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert list(table) == ["Acme", "Globex", "Initech"]
    assert table["Acme"] | {} == {
        "name": "Acme",
        "domain": "acme.com",
        "website": "https://acme.com",
        "industry": "Rockets",
        "employee_count": "250",
        "city": "",
        "state": "",
        "country": "",
        "contact_count": "1",
    }
    assert table["Initech"]["contact_count"] == "0"
    assert export.message == f"Exported 3 companies to {export.path_or_key}"


def test_bom_delimiter_and_gzip(
    clean_db: Engine, settings: Settings, people: list[uuid.UUID], tmp_path: Path
) -> None:
    request = ExportRequest(bom=True, delimiter=";", gzip=True, destination=str(tmp_path) + "/")
    _, export = _export(clean_db, settings, request)
    assert str(_path(export)).endswith(".csv.gz")
    packed = _path(export).read_bytes()
    assert export.size == len(packed) and export.sha256 == hashlib.sha256(packed).hexdigest()
    data = gzip.decompress(packed)
    assert data.startswith(UTF8_BOM + b'"email";"first_name"')
    rows = _rows(_path(export), delimiter=";")
    assert rows[1][:3] == ["ann@acme.com", "Ann", "Lee"]


def test_tab_delimiter_without_bom(
    clean_db: Engine, settings: Settings, people: list[uuid.UUID], tmp_path: Path
) -> None:
    _export(clean_db, settings, ExportRequest(delimiter="tab", raw=True, destination=str(tmp_path / "t.tsv")))
    data = (tmp_path / "t.tsv").read_bytes()
    assert data.startswith(b"email\tfirst_name\t")
    assert b"ann@acme.com\tAnn\tLee\tCEO\tAcme\tacme.com\t+14155550100\t" in data


NASTY = [
    "=1+2",
    "+SUM(A1)",
    "-2+3",
    "@cmd",
    "\tx",
    "\rx",
    "\nline",
    '=HYPERLINK("http://x","y")',
    "plain",
    "a=b",
    "",
]


def test_formula_injection_is_neutralised_by_default_and_kept_in_raw(
    clean_db: Engine, settings: Settings, tmp_path: Path
) -> None:
    add_contacts(
        clean_db,
        [
            {
                "email": f"p{n}@x.com",
                "first_name": value,
                "title": value,
                "phone": phone,
                "mobile_phone": value,
            }
            for n, (value, phone) in enumerate(
                zip(
                    NASTY,
                    [
                        "+14155550100",
                        "+44 20 7946 0958",
                        "+1-415",
                        "=1",
                        "-5",
                        "+",
                        "4155550100",
                        "+1\n2",
                        None,
                        "",
                        "+33 1",
                    ],
                    strict=True,
                )
            )
        ],
    )
    columns = ["email", "first_name", "title", "phone", "mobile_phone"]
    _export(clean_db, settings, ExportRequest(columns=columns, destination=str(tmp_path / "safe.csv")))
    _export(
        clean_db, settings, ExportRequest(columns=columns, raw=True, destination=str(tmp_path / "raw.csv"))
    )
    safe, raw = _rows(tmp_path / "safe.csv"), _rows(tmp_path / "raw.csv")
    for safe_row, raw_row in zip(safe[1:], raw[1:], strict=True):
        email, name, title, phone, mobile = raw_row
        assert safe_row == [
            email,
            neutralise(name),
            neutralise(title),
            neutralise(phone, "phone"),
            neutralise(mobile, "phone"),
        ]
    by_email = {row[0]: row for row in safe[1:]}
    assert by_email["p0@x.com"][1:4] == ["'=1+2", "'=1+2", "+14155550100"]
    assert by_email["p1@x.com"][3] == "+44 20 7946 0958"  # E.164 with spaces: left alone
    assert by_email["p2@x.com"][3] == "'+1-415"  # not only digits and spaces
    assert by_email["p3@x.com"][3] == "'=1"
    assert by_email["p6@x.com"][1] == "'\nline"
    assert by_email["p7@x.com"][3] == "'+1\n2"
    assert by_email["p8@x.com"][1:3] == ["plain", "plain"]
    # Every cell of a spreadsheet-safe file is quoted; the raw file quotes only where CSV needs it.
    safe_text = (tmp_path / "safe.csv").read_text()
    assert safe_text.splitlines()[0] == '"email","first_name","title","phone","mobile_phone"'
    assert '"p8@x.com","plain","plain",,"plain"' in safe_text
    assert "p8@x.com,plain,plain,,plain" in (tmp_path / "raw.csv").read_text()


@pytest.mark.parametrize("kind", ["text", "phone"])
def test_the_sql_rule_matches_the_python_rule(engine: Engine, kind: str) -> None:
    values = [*NASTY, "+14155550100", "+1 415", "+", "+1\n", "+١٢", "+12a", "=", "-", " +1", "+1 ", None]
    spec = CONTACT_COLUMNS["phone" if kind == "phone" else "title"]
    expression = column_expression("contacts", spec, raw=False)
    with engine.connect() as conn:
        raw_conn = conn.connection.driver_connection
        for value in values:
            query = text(
                "SELECT " + expression.as_string(raw_conn).replace("c.phone", ":v").replace("c.title", ":v")
            )
            assert conn.execute(query, {"v": value}).scalar() == neutralise(value, kind), value


_CELL_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from("=+-@\t\r\n 0123456789'\"a,é"),
        # no lone surrogates: decoded CSV text cannot contain them
        st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
    ),
    max_size=8,
)


@hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=_CELL_TEXT, kind=st.sampled_from(["text", "phone"]))
def test_the_sql_rule_matches_the_python_rule_for_any_text(engine: Engine, value: str, kind: str) -> None:
    spec = CONTACT_COLUMNS["phone" if kind == "phone" else "title"]
    expression = column_expression("contacts", spec, raw=False)
    with engine.connect() as conn:
        sql_text = expression.as_string(conn.connection.driver_connection)
        query = text(
            "SELECT " + sql_text.replace("c.phone", "CAST(:v AS text)").replace("c.title", "CAST(:v AS text)")
        )
        assert conn.execute(query, {"v": value}).scalar() == neutralise(value, kind)


def test_raw_export_reimports_without_changing_anything(
    clean_db: Engine, settings: Settings, people: list[uuid.UUID], tmp_path: Path
) -> None:
    from contact360_desktop.services.imports import ImportRequest, create_import_job, run_import

    add_contacts(
        clean_db,
        [
            {
                "email": "eve@acme.com",
                "first_name": "=Eve",
                "last_name": "O'Neil, Jr.",
                "title": 'Head of "Quotes"\nand lines',
                "mobile_phone": "+4915112345678",
                "linkedin_url": "https://www.linkedin.com/in/eve",
                "city": "Zürich",
                "state": "ZH",
                "country": "CH",
                "seniority": "senior",
                "department": "Sales",
                "custom_fields": {"plan": "-1"},
            }
        ],
    )
    snapshot = _contacts_snapshot(clean_db)
    request = ExportRequest(
        raw=True, columns=[*CONTACT_FIELDS, "custom.*"], destination=str(tmp_path / "all.csv")
    )
    _, export = _export(clean_db, settings, request)
    assert export.row_count == 4
    with session_scope(clean_db) as session:
        job_id = create_import_job(session, ImportRequest(path=tmp_path / "all.csv", user="tester")).id
    assert run_import(clean_db, job_id, settings) == COMPLETED
    with clean_db.connect() as conn:
        job = conn.execute(text("SELECT inserted, rejected, message FROM contact_import_jobs")).one()
    assert (job.inserted, job.rejected) == (0, 0), job.message
    assert _contacts_snapshot(clean_db) == snapshot


def _contacts_snapshot(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                text(
                    "SELECT c.id, c.email, c.first_name, c.last_name, c.title, c.phone, c.mobile_phone, c.linkedin_url, "
                    "c.city, c.state, c.country, c.seniority, c.department, c.custom_fields, co.id, co.name, co.domain "
                    "FROM contacts c LEFT JOIN companies co ON co.id = c.company_id ORDER BY c.email"
                )
            )
        ]


def test_progress_is_reported_and_cancel_stops_and_removes_the_file(
    clean_db: Engine, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_many_contacts(clean_db, 3000)
    monkeypatch.setattr(exports, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(exports, "PROGRESS_SECONDS", 0.0)
    with session_scope(clean_db) as session:
        export_id = create_export(session, ExportRequest(destination=str(tmp_path) + "/")).id
    seen: list[tuple[int, int | None]] = []

    def on_progress(rows: int, total: int | None) -> None:
        seen.append((rows, total))
        if rows > 500:
            with session_scope(clean_db) as session:
                assert request_cancel(session, export_id)

    assert run_export(clean_db, export_id, settings, on_progress=on_progress) == CANCELLED
    assert seen[0] == (0, 3000)
    assert 500 < seen[-1][0] < 3000
    export = _load(clean_db, export_id)
    assert (export.status, export.message) == (CANCELLED, "Cancelled; no file was kept.")
    assert export.path_or_key is None and 500 < export.row_count < 3000
    assert list(tmp_path.iterdir()) == []


def test_cancel_before_start(clean_db: Engine, settings: Settings, tmp_path: Path) -> None:
    with session_scope(clean_db) as session:
        export_id = create_export(session, ExportRequest(destination=str(tmp_path) + "/")).id
        request_cancel(session, export_id)
    assert run_export(clean_db, export_id, settings) == CANCELLED
    assert list(tmp_path.iterdir()) == []


def test_a_finished_export_is_not_run_again(
    clean_db: Engine, settings: Settings, people: list[uuid.UUID], tmp_path: Path
) -> None:
    _, export = _export(clean_db, settings, ExportRequest(destination=str(tmp_path) + "/"))
    assert run_export(clean_db, export.id, settings) == COMPLETED
    assert len(list(tmp_path.iterdir())) == 1


def test_read_only_folder_fails_with_a_message_and_no_file(
    clean_db: Engine, settings: Settings, people: list[uuid.UUID], read_only_folder: Path
) -> None:
    with session_scope(clean_db) as session:
        export_id = create_export(session, ExportRequest(destination=str(read_only_folder) + "/")).id
    with pytest.raises(ExportFailed, match="Cannot write to the folder"):
        run_export(clean_db, export_id, settings)
    export = _load(clean_db, export_id)
    assert export.status == FAILED
    assert (export.message or "").startswith(f"Cannot write to the folder {read_only_folder}")
    assert list(read_only_folder.iterdir()) == []


def test_full_disk_fails_with_a_message_and_no_file(
    clean_db: Engine, settings: Settings, full_disk_folder: Path
) -> None:
    add_many_contacts(clean_db, 20_000)  # about 2.5 MB of CSV for a 1 MiB disk
    with session_scope(clean_db) as session:
        export_id = create_export(session, ExportRequest(destination=str(full_disk_folder) + "/")).id
    with pytest.raises(ExportFailed, match="Not enough disk space"):
        run_export(clean_db, export_id, settings)
    assert _load(clean_db, export_id).status == FAILED
    assert list(full_disk_folder.iterdir()) == []


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (ExportRequest(kind="deals"), "Unknown export kind"),
        (ExportRequest(columns=["email", "nope"]), "Unknown contacts column"),
        (ExportRequest(filter={"colour": "red"}), "Unknown filter 'colour'"),
        (ExportRequest(filter={"created_from": "yesterday"}), "created_from must be a date"),
        (ExportRequest(filter={"import_job": "12"}), "Not a valid import job id"),
        (ExportRequest(ids=["not-a-uuid"]), "Not a valid selected id"),  # type: ignore[list-item]
        (ExportRequest(delimiter="ab"), "Delimiter must be one character"),
    ],
)
def test_invalid_requests_are_refused_up_front(
    db_session: object, request_: ExportRequest, message: str
) -> None:
    with pytest.raises(InvalidExportRequest, match=message):
        create_export(db_session, request_)  # type: ignore[arg-type]


def test_default_destination_is_the_documents_folder(db_session: object) -> None:
    export = create_export(db_session, ExportRequest())  # type: ignore[arg-type]
    assert export.destination.startswith("local:") and export.destination.endswith("Contact360 exports/")
    assert export.status == PENDING
