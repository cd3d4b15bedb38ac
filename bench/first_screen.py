"""How long the Contacts tab takes to show its first screen on a 1,000,000-contact database.

Run by hand (not part of the test suite):

    CONTACT360_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        python bench/first_screen.py [--rows 1000000]

It creates (once) a database ``c360_bench_<rows>`` on that server, fills it with COPY, then
opens the real ContactsTab offscreen and reports the time from creating the tab to the first
page on screen, for the default order, a few sorts and a search, plus the status-bar count.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QCoreApplication, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from contact360_desktop.services.runtime import Runtime  # noqa: E402
from contact360_desktop.settings import Settings  # noqa: E402
from contact360_desktop.storage import migrate  # noqa: E402
from contact360_desktop.storage.db import make_engine  # noqa: E402
from contact360_desktop.storage.embedded import to_sqlalchemy_url  # noqa: E402


def ensure_database(server_url: str, rows: int, name: str | None = None) -> str:
    name = name or f"c360_bench_{rows}"
    admin = create_engine(to_sqlalchemy_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(to_sqlalchemy_url(server_url)).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        have = conn.execute(text("SELECT count(*) FROM contacts")).scalar_one()
    if have < rows:
        fill(engine, rows - have, start=have)
    engine.dispose()
    return url


def fill(engine: object, n: int, start: int) -> None:
    print(f"inserting {n:,} contacts…", flush=True)
    t0 = time.perf_counter()
    raw = engine.raw_connection()  # type: ignore[attr-defined]
    conn = raw.driver_connection
    companies = [uuid.uuid4() for _ in range(20_000)]
    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    firsts = [
        "Anna",
        "Ben",
        "Chloé",
        "David",
        "Emma",
        "Felix",
        "Greta",
        "Hugo",
        "Ines",
        "Jonas",
        "Kira",
        "Luca",
    ]
    lasts = [
        "Müller",
        "Schmidt",
        "Smith",
        "García",
        "Rossi",
        "Dubois",
        "Nowak",
        "Jensen",
        "Silva",
        "Kowalski",
    ]
    with conn.cursor() as cur:
        if start == 0:
            with cur.copy("COPY companies (id, name, domain, country) FROM STDIN") as copy:
                for i, cid in enumerate(companies):
                    copy.write_row((cid, f"Company {i:05d}", f"company{i:05d}.example", "DE"))
        else:
            companies = [r[0] for r in cur.execute("SELECT id FROM companies").fetchall()] or [None]  # type: ignore[list-item]
        with cur.copy(
            "COPY contacts (email, first_name, last_name, title, company_id, city, country, created_at) FROM STDIN"
        ) as copy:
            for j in range(start, start + n):
                copy.write_row(
                    (
                        f"user{j:08d}@mail{j % 500}.example",
                        firsts[j % len(firsts)],
                        f"{lasts[(j // 12) % len(lasts)]}{j % 1000}",
                        "Engineer" if j % 3 else "Manager",
                        companies[j % len(companies)],
                        "Berlin" if j % 2 else "Hamburg",
                        "DE",
                        base + dt.timedelta(seconds=j),
                    )
                )
    conn.commit()
    raw.close()
    with engine.begin() as c:  # type: ignore[attr-defined]
        c.execute(text("ANALYZE contacts"))
        c.execute(text("ANALYZE companies"))
    print(f"  done in {time.perf_counter() - t0:.1f} s", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database", help="database name on the server (default c360_bench_<rows>)")
    args = parser.parse_args()
    server = os.environ.get("CONTACT360_BENCH_DATABASE_URL") or os.environ.get("CONTACT360_TEST_DATABASE_URL")
    if not server:
        print("set CONTACT360_BENCH_DATABASE_URL to a PostgreSQL server URL", file=sys.stderr)
        return 2
    url = ensure_database(server, args.rows, args.database)

    from contact360_desktop.ui.context import AppContext
    from contact360_desktop.ui.views.contacts_tab import ContactsTab

    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings = Settings(database_url=url, user="bench")
    engine = make_engine(url)
    context = AppContext(settings, pool_factory=lambda: None)
    context.use_runtime(Runtime(settings, engine))

    def wait(predicate: object, timeout: float = 30.0) -> None:
        end = time.perf_counter() + timeout
        while not predicate():  # type: ignore[operator]
            if time.perf_counter() > end:
                raise TimeoutError
            QCoreApplication.processEvents()
            time.sleep(0.001)

    results: dict[str, list[float]] = {}

    def measure(label: str, setup: object | None = None) -> None:
        samples = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            tab = ContactsTab(context)
            tab.resize(1280, 800)
            tab.show()
            if setup is not None:
                setup(tab)  # type: ignore[operator]
                t0 = time.perf_counter()
                tab.model.reload()
            wait(lambda tab=tab: tab.model.first_page_seconds is not None and tab.model.rowCount() > 0)
            app.processEvents()  # painted
            samples.append(time.perf_counter() - t0)
            wait(lambda tab=tab: tab.model.count is not None)
            count = tab.model.count
            tab.close()
            tab.deleteLater()
        results[label] = samples
        print(
            f"{label:<34} first screen: median {statistics.median(samples) * 1000:6.0f} ms, "
            f"worst {max(samples) * 1000:6.0f} ms   (count shown: {'' if count.exact else '~'}{count.value:,})",
            flush=True,
        )

    with engine.connect() as conn:
        total = conn.execute(
            text("SELECT reltuples::bigint FROM pg_class WHERE relname = 'contacts'")
        ).scalar()
    print(f"contacts table: ~{total:,} rows (planner estimate)")
    measure("default order (oldest first)")

    def sort_by(key: str, order: Qt.SortOrder) -> object:
        def setup(tab: ContactsTab) -> None:
            column = next(i for i, c in enumerate(tab.model.columns) if c.key == key)
            tab.view.sortByColumn(column, order)

        return setup

    measure("sorted by email (desc)", sort_by("email", Qt.SortOrder.DescendingOrder))
    measure("sorted by name", sort_by("name", Qt.SortOrder.AscendingOrder))
    measure("sorted by added (newest first)", sort_by("created_at", Qt.SortOrder.DescendingOrder))

    def search(text_: str) -> object:
        def setup(tab: ContactsTab) -> None:
            tab.model.query = tab.model.query.__class__(tab.model.kind, text_)

        return setup

    measure("search 'user0099'", search("user0099"))
    measure("search 'company 00042' (company)", search("company 00042"))
    context.shutdown()
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
