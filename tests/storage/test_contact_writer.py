"""The set-based writer against real PostgreSQL: staging, merge rules, modes, idempotence."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from contact360_desktop.core.fields import ERROR, MODE_INSERT, MODE_UPDATE, MODE_UPSERT
from contact360_desktop.core.records import CleanContact, RowIssue
from contact360_desktop.storage import contact_writer, staging
from contact360_desktop.storage.contact_writer import ContactWriter, WriteResult
from contact360_desktop.storage.staging import StagedBatch, stage_rows, staged_row


def _stage(contacts: list[CleanContact], mode: str, duplicate_issue: Any = None) -> StagedBatch:
    return stage_rows([staged_row(c) for c in contacts], mode, duplicate_issue)


@pytest.fixture()
def job_id(clean_db: Engine) -> uuid.UUID:
    with clean_db.begin() as conn:
        return conn.execute(
            text(
                "INSERT INTO contact_import_jobs (user_id, file_name, file_path, file_size) "
                "VALUES ('tester', 'f.csv', '/tmp/f.csv', 0) RETURNING id"
            )
        ).scalar_one()


@pytest.fixture(params=[False, True], ids=["incremental", "bulk"])
def write(clean_db: Engine, job_id: uuid.UUID, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Writes a batch; every test runs with both upserts (a bulk first load guards on conflict)."""

    def _write(contacts: list[CleanContact], mode: str = MODE_UPSERT, dry_run: bool = False) -> WriteResult:
        with clean_db.connect() as conn, conn.begin():
            writer = ContactWriter(conn.connection.driver_connection, job_id, mode, dry_run, bulk=request.param)
            return writer.write(_stage(contacts, mode))

    yield _write


def contact(row: int, email: str, custom: dict[str, str] | None = None, **fields: str) -> CleanContact:
    return CleanContact(row, row + 1, email, dict(fields), dict(custom or {}))


def stored(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.*, co.name AS company, co.domain FROM contacts c LEFT JOIN companies co ON co.id = c.company_id"
            )
        ).mappings()
        return {r["email"]: dict(r) for r in rows}


def test_insert_then_update_merges_and_never_erases(clean_db: Engine, write: Any) -> None:
    first = write(
        [
            contact(
                1,
                "ann@example.com",
                {"Tier": "gold"},
                first_name="Ann",
                phone="+14155550100",
                company_name="Acme",
                company_domain="acme.com",
            ),
            contact(2, "bob@example.com", last_name="Smith", company_name="Initech"),
        ]
    )
    assert (first.inserted, first.updated) == (2, 0)
    second = write([contact(3, "ann@example.com", {"Source": "fair"}, last_name="Lee", phone="")])
    assert (second.inserted, second.updated) == (0, 1)
    rows = stored(clean_db)
    ann = rows["ann@example.com"]
    assert (ann["first_name"], ann["last_name"], ann["phone"]) == ("Ann", "Lee", "+14155550100")
    assert ann["custom_fields"] == {"Tier": "gold", "Source": "fair"}
    assert (ann["company"], ann["domain"]) == ("Acme", "acme.com")
    assert rows["bob@example.com"]["company"] == "Initech"
    assert rows["bob@example.com"]["domain"] is None


@pytest.mark.parametrize("mode", [MODE_UPSERT, MODE_UPDATE])
def test_a_value_for_a_field_stored_empty_is_written(clean_db: Engine, write: Any, mode: str) -> None:
    """The unchanged-row guard must see NULL -> value as a change (in every upsert and in update mode)."""
    write([contact(1, "ann@example.com", first_name="Ann")])
    again = write([contact(2, "ann@example.com", first_name="Ann", last_name="Lee", company_domain="acme.com")], mode)
    assert again.updated == 1
    ann = stored(clean_db)["ann@example.com"]
    assert (ann["first_name"], ann["last_name"], ann["domain"]) == ("Ann", "Lee", "acme.com")


def test_rows_of_one_email_in_a_batch_merge_left_to_right(clean_db: Engine, write: Any) -> None:
    result = write(
        [
            contact(1, "ann@example.com", first_name="Ann", title="CTO"),
            contact(2, "ann@example.com", first_name="Anne", city="Oslo"),
            contact(3, "ann@example.com", title="CEO"),
        ]
    )
    assert result.inserted == 1
    ann = stored(clean_db)["ann@example.com"]
    assert (ann["first_name"], ann["title"], ann["city"]) == ("Anne", "CEO", "Oslo")


def test_unchanged_rows_are_not_rewritten(clean_db: Engine, write: Any) -> None:
    rows = [
        contact(i, f"p{i}@example.com", {"k": "v"}, first_name=f"P{i}", company_domain="acme.com")
        for i in range(1, 51)
    ]
    write(rows)
    with clean_db.connect() as conn:
        before = dict(conn.execute(text("SELECT email, xmin::text FROM contacts")).all())
    again = write(rows)
    assert (again.inserted, again.updated) == (0, 50)
    with clean_db.connect() as conn:
        after = dict(conn.execute(text("SELECT email, xmin::text FROM contacts")).all())
        assert conn.execute(text("SELECT count(*) FROM companies")).scalar() == 1
    assert after == before  # no tuple was rewritten (nor locked into a new version)


def test_company_matching_by_domain_then_by_name(clean_db: Engine, write: Any) -> None:
    write(
        [
            contact(1, "a@x.com", company_name="Acme", company_domain="acme.com"),
            contact(2, "b@x.com", company_name="ACME Inc", company_domain="acme.com"),
            contact(3, "c@x.com", company_name="Globex"),
            contact(4, "d@x.com", company_name="globex"),
            contact(5, "e@x.com", company_domain="hooli.com"),
        ]
    )
    rows = stored(clean_db)
    assert rows["a@x.com"]["company_id"] == rows["b@x.com"]["company_id"]
    assert rows["c@x.com"]["company_id"] == rows["d@x.com"]["company_id"]
    assert rows["e@x.com"]["company"] == "hooli.com"
    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM companies")).scalar() == 3


def _write_batches(engine: Engine, job_id: uuid.UUID, batches: list[list[CleanContact]], between: Any = None) -> dict[str, str]:
    """Batches of one import: one writer on one connection, each batch its own transaction, the
    reader's memory of companies kept across them (returned); ``between(number)`` runs after each batch."""
    known: dict[str, str] = {}
    with engine.connect() as conn:
        writer = ContactWriter(conn.connection.driver_connection, job_id, MODE_UPSERT, False)
        for number, rows in enumerate(batches):
            with conn.begin():
                writer.write(stage_rows([staged_row(c) for c in rows], MODE_UPSERT, None, known))
            if between is not None:
                between(number)
    return known


def test_companies_staged_by_earlier_batches_are_linked_not_looked_up_again(
    clean_db: Engine, job_id: uuid.UUID
) -> None:
    """The reader remembers the companies of earlier batches (known_companies): their rows
    skip the companies upsert but still link; new ones, and names differing in case, do not skip."""
    batches = [
        [contact(1, "a@x.com", company_name="Acme", company_domain="acme.com"), contact(2, "b@x.com", company_name="Globex")],
        [
            contact(3, "c@x.com", company_name="Acme Renamed", company_domain="acme.com"),  # known: reused as is
            contact(4, "d@x.com", company_name="GLOBEX"),  # another key here; the database matches it
            contact(5, "e@x.com", company_domain="hooli.com"),  # new in this batch
            contact(6, "f@x.com", company_name="Hooli", company_domain="hooli.com"),  # its first name wins
        ],
    ]
    known = _write_batches(clean_db, job_id, batches)
    assert set(known) == {"acme.com", "\x00Globex", "\x00GLOBEX", "hooli.com"}
    rows = stored(clean_db)
    assert rows["a@x.com"]["company_id"] == rows["c@x.com"]["company_id"]
    assert rows["c@x.com"]["company"] == "Acme"
    assert rows["b@x.com"]["company_id"] == rows["d@x.com"]["company_id"]
    assert (rows["e@x.com"]["company"], rows["f@x.com"]["company"]) == ("Hooli", "Hooli")
    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM companies")).scalar() == 3


def _dangling_company_ids(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM contacts c WHERE c.company_id IS NOT NULL "
                    "AND NOT EXISTS (SELECT 1 FROM companies co WHERE co.id = c.company_id)"
                )
            ).scalar_one()
        )


def test_new_companies_get_the_ids_the_reader_staged(clean_db: Engine, job_id: uuid.UUID) -> None:
    _write_batches(
        clean_db,
        job_id,
        [[contact(1, "a@x.com", company_name="Acme", company_domain="acme.com"), contact(2, "b@x.com", company_name="Globex")]],
    )
    rows = stored(clean_db)
    assert rows["a@x.com"]["company_id"] == uuid.uuid5(staging.COMPANY_ID_NAMESPACE, "acme.com")
    assert rows["b@x.com"]["company_id"] == uuid.uuid5(staging.COMPANY_ID_NAMESPACE, "\x00Globex")


@given(st.text(st.characters(blacklist_categories=("Cs",))))
def test_company_ids_are_uuid5_of_the_key(key: str) -> None:
    expected = uuid.uuid5(staging.COMPANY_ID_NAMESPACE, key).hex if key else ""
    assert staging.company_id(key) == expected


def test_companies_stored_under_other_ids_are_linked_in_every_batch(clean_db: Engine, job_id: uuid.UUID) -> None:
    """Companies created before (random ids), and a name differing in case from a stored one:
    their rows link to the stored company, in the batch that meets them first and in later ones,
    where the reader no longer flags them."""
    with clean_db.begin() as conn:
        acme = conn.execute(text("INSERT INTO companies (name, domain) VALUES ('Acme', 'acme.com') RETURNING id")).scalar_one()
        globex = conn.execute(text("INSERT INTO companies (name) VALUES ('Globex') RETURNING id")).scalar_one()
    batches = [
        [contact(1, "a@x.com", company_domain="acme.com"), contact(2, "b@x.com", company_name="GLOBEX")],
        [contact(3, "c@x.com", company_domain="acme.com"), contact(4, "d@x.com", company_name="GLOBEX")],
        [contact(5, "e@x.com", company_domain="hooli.com")],
    ]
    _write_batches(clean_db, job_id, batches)
    rows = stored(clean_db)
    assert [rows[f"{p}@x.com"]["company_id"] for p in "abcd"] == [acme, globex, acme, globex]
    assert rows["e@x.com"]["company_id"].hex == staging.company_id("hooli.com")
    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM companies")).scalar() == 3


def test_a_company_whose_derived_id_is_taken_is_stored_under_another(clean_db: Engine, job_id: uuid.UUID) -> None:
    """A company stored under acme.com's derived id but since moved to another domain keeps it;
    acme.com becomes a company of its own, which its rows link to."""
    with clean_db.begin() as conn:
        conn.execute(
            text("INSERT INTO companies (id, name, domain) VALUES (:id, 'Acme Moved', 'acme.io')"),
            {"id": uuid.UUID(staging.company_id("acme.com"))},
        )
    _write_batches(clean_db, job_id, [[contact(1, "a@x.com", company_domain="acme.com")], [contact(2, "b@x.com", company_domain="acme.com")]])
    rows = stored(clean_db)
    assert rows["a@x.com"]["domain"] == rows["b@x.com"]["domain"] == "acme.com"
    assert rows["a@x.com"]["company_id"].hex != staging.company_id("acme.com")
    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM companies")).scalar() == 2


def test_a_company_deleted_during_an_import_is_never_linked_again(clean_db: Engine, job_id: uuid.UUID) -> None:
    """Deleted after the batch that created it: the later rows of that company (not flagged:
    the reader remembers it) must not point at it; they are looked up, as in a new import."""

    def delete_acme(number: int) -> None:
        if number == 0:
            with clean_db.begin() as conn:
                conn.execute(text("DELETE FROM companies WHERE domain = 'acme.com'"))

    batches = [
        [contact(1, "a@x.com", company_domain="acme.com"), contact(2, "b@x.com", company_domain="hooli.com")],
        [contact(3, "c@x.com", company_domain="acme.com"), contact(4, "d@x.com", company_domain="hooli.com")],
    ]
    _write_batches(clean_db, job_id, batches, delete_acme)
    rows = stored(clean_db)
    assert rows["a@x.com"]["company_id"] is None and rows["c@x.com"]["company_id"] is None
    assert rows["b@x.com"]["company_id"] == rows["d@x.com"]["company_id"] is not None
    assert _dangling_company_ids(clean_db) == 0


def test_companies_past_the_memory_limit_are_left_to_the_database(
    clean_db: Engine, job_id: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once known_companies is full, new companies are flagged in every batch (and still linked once)."""
    monkeypatch.setattr(staging, "KNOWN_COMPANIES_LIMIT", 1)
    domains = ["a.com", "b.com", "b.com", "c.com", "b.com"]
    batches = [[contact(number, f"p{number}@x.com", company_domain=domain)] for number, domain in enumerate(domains, start=1)]
    known = _write_batches(clean_db, job_id, batches)
    assert set(known) == {"a.com"}
    rows = stored(clean_db)
    assert len({rows[f"p{n}@x.com"]["company_id"] for n in (2, 3, 5)}) == 1
    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM companies")).scalar() == 3


def test_company_lookups_probe_the_indexes_whatever_the_statistics(clean_db: Engine) -> None:
    """Statistics taken when nearly every company had a domain (as early in an import of a
    LinkedIn-like file): the by-name lookup must still probe the index, not compare each staged
    row with every domain-less company."""
    with clean_db.begin() as conn:
        conn.execute(text("INSERT INTO companies (name, domain) SELECT 'D ' || g, 'd' || g || '.io' FROM generate_series(1, 3000) g"))
        conn.execute(text("INSERT INTO companies (name) SELECT 'Co ' || g FROM generate_series(1, 5) g"))
    with clean_db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE companies"))
    with clean_db.begin() as conn:
        conn.execute(text("INSERT INTO companies (name) SELECT 'Co ' || g FROM generate_series(6, 3000) g"))
    staged = _stage([contact(i, f"p{i}@x.com", company_name=f"Co {i}") for i in range(1, 501)], MODE_UPSERT)
    with clean_db.connect() as conn, conn.begin(), conn.connection.driver_connection.cursor() as cur:
        cur.execute(contact_writer.BATCH_SETTINGS)
        cur.execute(contact_writer._CREATE_STAGE)
        with cur.copy(contact_writer._COPY_STAGE) as copy:
            copy.write(staged.payload)
        cur.execute(contact_writer._CREATE_COMPANY_REMAP)
        for statement in (contact_writer._SOURCES[contact_writer.LOOKED_UP], *contact_writer._REMAP_COMPANIES[1:]):
            cur.execute("EXPLAIN " + statement)
            plan = "\n".join(row[0] for row in cur.fetchall())
            assert "Index Scan using uq_companies_name_without_domain" in plan, plan
            assert "Materialize" not in plan and "Seq Scan on companies" not in plan, plan


def test_insert_only_rejects_existing_and_repeated_emails(clean_db: Engine, write: Any) -> None:
    write([contact(1, "ann@example.com", first_name="Ann")])
    duplicates: list[int] = []
    staged = _stage(
        [
            contact(1, "ann@example.com", first_name="Changed"),
            contact(2, "new@example.com"),
            contact(3, "new@example.com", first_name="Again"),
        ],
        MODE_INSERT,
        lambda row, first: (duplicates.append(row[0]) or RowIssue(row[0], 0, ERROR, "email", "duplicate", "", {})),
    )
    assert duplicates == [3] and len(staged.issues) == 1
    with clean_db.connect() as conn, conn.begin():
        job = conn.execute(text("SELECT id FROM contact_import_jobs")).scalar_one()
        result = ContactWriter(conn.connection.driver_connection, job, MODE_INSERT, False).write(staged)
    assert result.rejected_emails == ["ann@example.com"] and result.inserted == 1
    rows = stored(clean_db)
    assert rows["ann@example.com"]["first_name"] == "Ann"
    assert rows["new@example.com"]["first_name"] is None


def test_update_only_rejects_unknown_emails(clean_db: Engine, write: Any) -> None:
    write([contact(1, "ann@example.com", first_name="Ann")])
    result = write(
        [contact(1, "ann@example.com", first_name="Anna"), contact(2, "zed@example.com")], MODE_UPDATE
    )
    assert result.rejected_emails == ["zed@example.com"] and result.updated == 1
    assert set(stored(clean_db)) == {"ann@example.com"}
    assert stored(clean_db)["ann@example.com"]["first_name"] == "Anna"


def test_dry_run_counts_but_writes_nothing(clean_db: Engine, write: Any) -> None:
    write([contact(1, "ann@example.com", first_name="Ann")])
    result = write(
        [contact(1, "ann@example.com", first_name="X", company_name="Acme"), contact(2, "b@example.com")],
        dry_run=True,
    )
    assert (result.inserted, result.updated) == (1, 1)
    assert set(stored(clean_db)) == {"ann@example.com"}
    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM companies")).scalar() == 0


def test_values_with_copy_special_characters_round_trip(clean_db: Engine, write: Any) -> None:
    tricky = 'tab\there, new\nline, back\\slash, \\N, quote" and émoji 🎉'
    write([contact(1, "ann@example.com", {"Note": tricky}, title=tricky)])
    ann = stored(clean_db)["ann@example.com"]
    assert ann["title"] == tricky and ann["custom_fields"] == {"Note": tricky}


def test_writes_row_issues(clean_db: Engine, job_id: uuid.UUID) -> None:
    issue = RowIssue(7, 9, ERROR, "email", "invalid_email", "not an email", {"Email": "nope", "Name": "a\tb"})
    with clean_db.connect() as conn, conn.begin():
        assert (
            ContactWriter(conn.connection.driver_connection, job_id, MODE_UPSERT, False).write_issues([issue])
            == 1
        )
    with clean_db.connect() as conn:
        row = conn.execute(text("SELECT row_number, line_number, code, raw FROM contact_import_errors")).one()
    assert tuple(row) == (7, 9, "invalid_email", {"Email": "nope", "Name": "a\tb"})


@pytest.mark.parametrize(
    "custom",
    [
        {"Lead Source": "Referral"},
        {'Lead "Source"\\': 'quote " backslash \\ tab \t newline \n \u00e9 \u2028 \x01'},
        {"a": "1", "b": "é"},
        {"": ""},
    ],
)
def test_custom_json_is_valid_json_of_the_dict(custom: dict[str, str]) -> None:
    import json

    from contact360_desktop.storage.staging import _custom_json

    encoded = _custom_json(custom)
    assert json.loads(encoded) == custom
    assert encoded == json.dumps(custom, ensure_ascii=False, separators=(",", ":"))
