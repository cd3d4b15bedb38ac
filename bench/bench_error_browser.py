"""Benchmark: the error browser's first page at 1,000,000 error rows.

Creates a scratch database on a PostgreSQL server, one import job with N row errors
(generated in SQL), then times:

* the service query for the first page, a page deep in the job (keyset), filtered pages;
* the background count and field list (run after the first page, never before it);
* with ``--gui``: the ErrorBrowser window from construction until its first rows are shown
  (offscreen Qt, the real background path).

Usage::

    python bench/bench_error_browser.py --url postgresql://postgres@127.0.0.1:5432/postgres [--rows 1000000] [--gui]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contact360_desktop.services.error_queries import ErrorFilter, count_errors, error_fields, error_page  # noqa: E402
from contact360_desktop.storage import migrate  # noqa: E402
from contact360_desktop.storage.db import make_engine  # noqa: E402
from contact360_desktop.storage.embedded import to_sqlalchemy_url  # noqa: E402

FILL_SQL = """
INSERT INTO contact_import_errors (job_id, row_number, line_number, severity, field, code, message, raw)
SELECT :job,
       g * 2,
       g * 2 + 1,
       CASE WHEN g % 5 = 0 THEN 'warning' ELSE 'error' END,
       (ARRAY['email', 'phone', 'linkedin_url', 'first_name', NULL])[1 + g % 5],
       (ARRAY['invalid_email', 'invalid_phone', 'invalid_url', 'too_long', 'extra_fields'])[1 + g % 5],
       'The value of row ' || g || ' is not valid (' || md5(g::text) || ')',
       jsonb_build_object('Email', 'person' || g || '@example', 'First Name', 'Name' || g,
                          'Phone', '+1 555 ' || (g % 10000), 'Company', 'Company ' || (g % 997))
FROM generate_series(1, :n) AS g
"""


def timed(label: str, fn: Callable[[], Any], repeat: int = 5) -> float:
    times = []
    result: Any = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    size = len(result) if hasattr(result, "__len__") else result
    best, median = min(times), statistics.median(times)
    print(f"  {label:<46} best {best * 1000:8.1f} ms   median {median * 1000:8.1f} ms   -> {size}")
    return median


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=os.environ.get("CONTACT360_TEST_DATABASE_URL"), required=False)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--gui", action="store_true", help="also time the ErrorBrowser window (offscreen)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    if not args.url:
        parser.error("--url (or CONTACT360_TEST_DATABASE_URL) is required")

    admin_url = to_sqlalchemy_url(args.url)
    name = f"c360_bench_errors_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        job_id = uuid.uuid4()
        start = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO contact_import_jobs (id, user_id, file_name, file_path, file_size, status)"
                    " VALUES (:id, 'bench', 'bench.csv', '/tmp/bench.csv', 0, 'completed')"
                ),
                {"id": job_id},
            )
            conn.execute(text(FILL_SQL), {"job": job_id, "n": args.rows})
        with engine.begin() as conn:
            conn.execute(text("ANALYZE contact_import_errors"))
        print(f"{args.rows:,} error rows written in {time.perf_counter() - start:.1f} s")

        print("service queries (PostgreSQL", engine.dialect.server_version_info, ")")
        with Session(engine) as session:
            first = timed("first page (200 rows)", lambda: error_page(session, job_id))
            mid_key = (args.rows, 0)  # row_number = 2 * g, so this is the middle of the job
            timed("page in the middle (keyset)", lambda: error_page(session, job_id, after=mid_key))
            timed("first page, severity=warning", lambda: error_page(session, job_id, ErrorFilter("warning")))
            timed("first page, field=phone", lambda: error_page(session, job_id, ErrorFilter(field="phone")))
            timed(
                "first page, search 'Company 996'",
                lambda: error_page(session, job_id, ErrorFilter(search="Company 996")),
            )
            timed("count (background, after first page)", lambda: count_errors(session, job_id), repeat=3)
            timed("field list (background)", lambda: error_fields(session, job_id), repeat=3)
        print(f"first page: {first * 1000:.1f} ms (target < 1000 ms)")

        if args.gui:
            gui_first = _time_gui(url, job_id)
            print(
                f"ErrorBrowser window (cold): first rows shown {gui_first * 1000:.1f} ms after construction"
            )
    finally:
        engine.dispose()
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return 0


def _time_gui(url: str, job_id: uuid.UUID) -> float:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import tempfile

    from PySide6.QtWidgets import QApplication

    from contact360_desktop.services.runtime import Runtime
    from contact360_desktop.settings import Settings
    from contact360_desktop.ui.context import AppContext
    from contact360_desktop.ui.error_browser import ErrorBrowser

    app = QApplication.instance() or QApplication([])
    settings = Settings(database_url=url, data_dir=Path(tempfile.mkdtemp()), user="bench")
    context = AppContext(settings, pool_factory=lambda: None)
    context.use_runtime(Runtime(settings, make_engine(url)))
    times = []
    for _ in range(3):
        start = time.perf_counter()
        window = ErrorBrowser(context, str(job_id))
        window.show()
        deadline = start + 10
        while window.model.rowCount() == 0 and time.perf_counter() < deadline:
            app.processEvents()
            time.sleep(0.001)
        times.append(time.perf_counter() - start)
        # Scroll to the end of what is loaded a few times: each step is one more keyset page.
        for _page in range(5):
            before = window.model.rowCount()
            window.table.scrollToBottom()
            while window.model.rowCount() == before and time.perf_counter() < deadline:
                app.processEvents()
                time.sleep(0.001)
        window.close()
        window.deleteLater()
        app.processEvents()
    context.shutdown()
    print("  window first rows (3 runs): " + ", ".join(f"{t * 1000:.0f} ms" for t in times))
    return times[0]  # the cold one (first connection, first query plan)


if __name__ == "__main__":
    raise SystemExit(main())
