import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from contact360_desktop.storage import migrate
from contact360_desktop.storage.db import make_engine


@pytest.fixture()
def empty_database(pg_server_url: str) -> Iterator[str]:
    name = f"c360_migr_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(pg_server_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_is_idempotent(empty_database: str) -> None:
    engine = make_engine(empty_database)
    before, after = migrate.upgrade(engine)
    assert before is None
    assert after == migrate.head_revisions()
    assert migrate.upgrade(engine) == (after, after)
    engine.dispose()


def test_schema_has_the_tables_and_indexes_the_app_needs(engine) -> None:
    inspector = inspect(engine)
    tables = set(inspector.get_table_names())
    assert {
        "companies",
        "contacts",
        "contact_import_jobs",
        "contact_import_errors",
        "exports",
        "mapping_templates",
    } <= tables
    index_names = {
        ix["name"] for table in ("contacts", "contact_import_jobs", "contact_import_errors") for ix in inspector.get_indexes(table)
    }
    assert {"ix_import_jobs_user_created", "ix_import_errors_job_row"} <= index_names


def test_email_and_domain_are_unique_case_insensitively(db_session) -> None:
    db_session.execute(text("INSERT INTO contacts (email) VALUES ('Ann@Example.com')"))
    with pytest.raises(Exception, match="unique|duplicate"), db_session.begin_nested():
        db_session.execute(text("INSERT INTO contacts (email) VALUES ('ann@example.COM')"))
    db_session.execute(text("INSERT INTO companies (name, domain) VALUES ('Acme', 'Acme.com')"))
    with pytest.raises(Exception, match="unique|duplicate"), db_session.begin_nested():
        db_session.execute(text("INSERT INTO companies (name, domain) VALUES ('Acme Inc', 'acme.COM')"))


def test_timestamps_are_utc_aware(db_session) -> None:
    created = db_session.execute(
        text("INSERT INTO companies (name) VALUES ('Initech') RETURNING created_at")
    ).scalar_one()
    assert created.tzinfo is not None
