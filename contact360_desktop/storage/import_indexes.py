"""Deferred secondary indexes for bulk imports into a small contacts table.

Maintaining every secondary index of ``contacts`` row by row (name, company, created,
the trigram search GIN) cost more than the rest of the insert once the table outgrew
shared_buffers: each index takes a random page per row. For an import that will at
least double the table, building those indexes once at the end (a sort and a
sequential write) is several times cheaper — PostgreSQL's own advice for populating
a database. The primary key goes too (nothing in a load looks a contact up by id, and
its index cost ~1.9 s per 1,000,000 rows against ~0.5 s to build it at the end): its
index is rebuilt with the others and then made the primary key again. The unique email
index stays: the upsert needs it.

Safety: the definitions are saved on the job row in the same transaction that drops
the indexes, and :func:`restore_deferred_indexes` recreates whatever any job left
deferred. Bulk imports hold a shared advisory lock while they run; restoring takes it
exclusively, so indexes are rebuilt only when no bulk import is still loading.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

#: Advisory lock key: shared while a bulk import loads, exclusive while restoring.
BULK_LOCK_KEY = 360_002
#: Imports smaller than this maintain the indexes as they go.
BULK_MIN_ROWS = 50_000


def should_defer(conn: Connection, expected_rows: int | None) -> bool:
    """True for a big import into a table less than half its size (a first load, mostly).

    A re-import or an update of the table's own contacts stays incremental: its rows
    are updates, and rebuilding every index for them would cost more than it saves.
    """
    if not expected_rows or expected_rows < BULK_MIN_ROWS:
        return False
    limit = expected_rows // 2
    existing = conn.execute(
        text("SELECT count(*) FROM (SELECT 1 FROM contacts LIMIT :n) AS c"), {"n": limit}
    ).scalar_one()
    return int(existing) < limit


def _secondary_indexes(conn: Connection) -> dict[str, str]:
    rows = conn.execute(
        text(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = 'contacts'::regclass AND NOT x.indisunique AND NOT x.indisprimary "
            "ORDER BY i.relname"
        )
    ).all()
    return {str(name): str(ddl) for name, ddl in rows}


#: The primary key of contacts (migration 0001), deferred with the secondary indexes.
PRIMARY_KEY = "contacts_pkey"


def _index_names(conn: Connection) -> set[str]:
    """Every index of contacts, unique ones included."""
    return set(
        conn.execute(
            text("SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'contacts'::regclass")
        )
        .scalars()
        .all()
    )


def _primary_key_index(conn: Connection) -> dict[str, str]:
    """{PRIMARY_KEY: its index's definition} while contacts has that primary key, else {}."""
    row = conn.execute(
        text(
            "SELECT pg_get_indexdef(conindid) FROM pg_constraint "
            "WHERE conrelid = 'contacts'::regclass AND contype = 'p' AND conname = :name"
        ),
        {"name": PRIMARY_KEY},
    ).first()
    return {PRIMARY_KEY: str(row[0])} if row else {}


def _restore_primary_key(conn: Connection) -> None:
    """Make the rebuilt PRIMARY_KEY index the primary key again (a catalog change: instant)."""
    if not _primary_key_index(conn) and PRIMARY_KEY in _index_names(conn):
        conn.execute(
            text(
                f'ALTER TABLE contacts ADD CONSTRAINT "{PRIMARY_KEY}" PRIMARY KEY USING INDEX "{PRIMARY_KEY}"'
            )
        )


def hold_bulk_lock(conn: Connection) -> None:
    """Mark this session as bulk loading (until unlocked or disconnected)."""
    conn.execute(text("SELECT pg_advisory_lock_shared(:k)"), {"k": BULK_LOCK_KEY})


def release_bulk_lock(conn: Connection) -> None:
    conn.execute(text("SELECT pg_advisory_unlock_shared(:k)"), {"k": BULK_LOCK_KEY})


def defer_indexes(engine: Engine, job_id: uuid.UUID) -> list[str]:
    """Drop the secondary indexes and the primary key, remembering them on the job row (one transaction)."""
    with engine.begin() as conn:
        primary_key = _primary_key_index(conn)
        definitions = {**_secondary_indexes(conn), **primary_key}
        if not definitions:
            return []
        conn.execute(
            text(
                "UPDATE contact_import_jobs SET options = options || "
                "jsonb_build_object('deferred_indexes', CAST(:d AS jsonb)) WHERE id = :id"
            ),
            {"d": json.dumps(definitions), "id": job_id},
        )
        if primary_key:
            conn.execute(text(f'ALTER TABLE contacts DROP CONSTRAINT "{PRIMARY_KEY}"'))
        for name in definitions.keys() - primary_key.keys():
            conn.execute(text(f'DROP INDEX IF EXISTS "{name}"'))
    log.info("bulk import %s: deferred indexes %s", job_id, ", ".join(definitions))
    return list(definitions)


def restore_deferred_indexes(engine: Engine) -> list[str]:
    """Recreate every index a job deferred, unless a bulk import is still loading.

    Idempotent; safe to call from any process at any time. Returns the names built.
    """
    built: list[str] = []
    with engine.connect() as conn:
        if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": BULK_LOCK_KEY}).scalar():
            conn.rollback()
            return built
        try:
            conn.commit()
            jobs = conn.execute(
                text(
                    "SELECT id, options->'deferred_indexes' FROM contact_import_jobs WHERE options ? 'deferred_indexes'"
                )
            ).all()
            conn.commit()
            for job_id, definitions in jobs:
                existing = _index_names(conn)
                conn.commit()
                missing = {n: ddl for n, ddl in (definitions or {}).items() if n not in existing}
                built.extend(_build_indexes(engine, missing))
                with conn.begin():
                    _restore_primary_key(conn)
                    conn.execute(
                        text(
                            "UPDATE contact_import_jobs SET options = options - 'deferred_indexes' WHERE id = :id"
                        ),
                        {"id": job_id},
                    )
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": BULK_LOCK_KEY})
            conn.commit()
    if built:
        log.info("rebuilt deferred indexes %s", ", ".join(built))
    return built


#: Connections building deferred indexes at once, and the memory each may sort in.
BUILDERS = 2
BUILD_MEMORY = "128MB"


def _build_indexes(engine: Engine, definitions: dict[str, str]) -> list[str]:
    """CREATE the indexes, ``BUILDERS`` at a time, each on its own connection and committed alone.

    Index builds of one table can run side by side (each takes a SHARE lock), and one
    build keeps one core busy: the two halves of the trigram search index (migration
    0006) take most of the time, so they start first, one per connection, and the
    btrees follow. An index built before a crash is found by name and not built again.
    """
    todo = sorted(definitions.items(), key=lambda item: " USING gin " not in item[1])
    if not todo:
        return []
    lock = threading.Lock()
    built: list[str] = []
    failures: list[BaseException] = []

    def builder() -> None:
        try:
            with engine.connect() as conn:
                while True:
                    with lock:
                        if not todo or failures:
                            return
                        name, ddl = todo.pop(0)
                    with conn.begin():
                        conn.execute(text(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'"))
                        conn.execute(text(ddl))
                    with lock:
                        built.append(name)
        except BaseException as exc:
            with lock:
                failures.append(exc)

    threads = [
        threading.Thread(target=builder, name=f"contact360-index-{i}", daemon=True)
        for i in range(min(BUILDERS, len(todo)))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return built
