"""The database's floor for a fresh import: validated contacts COPYd straight into the table.

    CONTACT360_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/c360_bench \\
        python bench/import_floor.py

Run it after bench/import_benchmark.py, on the same database (its name must contain
"bench"): it streams the imported contacts out to a file, empties the table, defers its
indexes as a bulk import does (storage.import_indexes), COPYs the rows back in with the
unique email index kept, and rebuilds the deferred indexes, timing the last two. No
parsing, validation, staging, companies or row errors: what an import would cost if all
of those were free. The table ends with the same rows and indexes it started with.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from contact360_desktop.storage import import_indexes  # noqa: E402
from contact360_desktop.storage.db import libpq_dsn, make_engine  # noqa: E402
from contact360_desktop.storage.staging import CONTACT_COLUMNS  # noqa: E402

#: The columns an import writes (storage.contact_writer), in a COPY column list.
COLUMNS = ", ".join(("id", "email", *CONTACT_COLUMNS, "company_id", "custom_fields", "created_by_job"))


def main() -> int:
    url = os.environ.get("CONTACT360_DATABASE_URL", "")
    if "bench" not in url.rsplit("/", 1)[-1]:
        raise SystemExit(
            "set CONTACT360_DATABASE_URL to the benchmark's database (its name contains 'bench')"
        )
    engine = make_engine(url)
    dsn = libpq_dsn(engine.url.render_as_string(hide_password=False))
    with tempfile.TemporaryFile() as rows, psycopg.connect(dsn, autocommit=True) as conn:
        with conn.cursor().copy(f"COPY (SELECT {COLUMNS} FROM contacts) TO STDOUT") as copy:
            for chunk in copy:
                rows.write(chunk)
        job = conn.execute("SELECT id FROM contact_import_jobs ORDER BY created_at LIMIT 1").fetchone()
        if job is None:
            raise SystemExit("no import job here: run bench/import_benchmark.py first")
        count = conn.execute("SELECT count(*) FROM contacts").fetchone()[0]
        conn.execute("TRUNCATE contacts")
        import_indexes.defer_indexes(engine, job[0])
        conn.execute("CHECKPOINT")
        rows.seek(0)
        started = time.perf_counter()
        with conn.cursor().copy(f"COPY contacts ({COLUMNS}) FROM STDIN") as copy:
            while chunk := rows.read(1 << 20):
                copy.write(chunk)
        loaded = time.perf_counter() - started
    started = time.perf_counter()
    built = import_indexes.restore_deferred_indexes(engine)
    indexed = time.perf_counter() - started
    engine.dispose()
    print(
        f"{count:,} contacts: COPY into contacts (unique email index kept) {loaded:.2f} s, "
        f"deferred index builds ({len(built)}, {import_indexes.BUILDERS} connections) {indexed:.2f} s, "
        f"together {loaded + indexed:.2f} s = {count / (loaded + indexed):,.0f} contacts/s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
