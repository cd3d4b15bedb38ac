"""`contact360 --selftest`: prove that a build (frozen or not) works end to end, then leave no trace.

Steps, in order (a failure prints the step's name and exits 1):

1. ``environment`` — a temp data dir; no DATABASE_URL / REDIS_URL / config file, Qt offscreen.
2. ``qt``          — a QApplication on the offscreen platform renders the app icon (SVG + icon engine
                     plugins present) — skipped only if the icon is not in resources/ at all.
3. ``database``    — starts an embedded PostgreSQL server in the temp dir and migrates it.
4. ``worker pool`` — starts a LocalPool (workers are ``<exe> worker`` processes).
5. ``import``      — imports resources/sample-contacts-100.csv through the ``imports`` queue.
6. ``export``      — exports the contacts (raw CSV, default columns) through the ``exports`` queue.
7. ``round trip``  — the exported file holds the same 100 contacts with the same field values.
8. ``cleanup``     — stops the pool, releases (stops) the server, removes the temp dir.

The environment changes are made to ``os.environ`` on purpose: the worker processes inherit them,
so they join this test's server, not the user's.
"""

from __future__ import annotations

import contextlib
import csv
import logging
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

SAMPLE_CSV = "sample-contacts-100.csv"
SAMPLE_ROWS = 100
#: Seconds a queued job may take before the self-test gives up (cold worker start included).
JOB_TIMEOUT = float(os.environ.get("CONTACT360_SELFTEST_TIMEOUT", "120"))
_FINAL = ("completed", "failed", "cancelled")
# Settings and task-layer variables that would point the test at the user's own services.
_CLEARED_VARS = (
    "CONTACT360_DATABASE_URL",
    "CONTACT360_REDIS_URL",
    "CONTACT360_S3_BUCKET",
    "CONTACT360_S3_ENDPOINT_URL",
)


class SelftestFailure(Exception):
    """A check did not hold; the message says what was expected."""


class _Selftest:
    def __init__(self, verbose: bool = True) -> None:
        self.verbose = verbose
        self.tmp: Path | None = None
        self.settings: Any = None
        self.engine: Any = None
        self.pool: Any = None
        self.import_job_id: Any = None
        self.export_path: Path | None = None
        self._saved_env: dict[str, str | None] = {}
        self.started = time.monotonic()

    # --- plumbing ----------------------------------------------------------------------------
    def say(self, message: str) -> None:
        if self.verbose:
            print(f"selftest [{time.monotonic() - self.started:6.2f}s] {message}", flush=True)

    def _setenv(self, name: str, value: str | None) -> None:
        if name not in self._saved_env:
            self._saved_env[name] = os.environ.get(name)
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value

    def _restore_env(self) -> None:
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()

    # --- steps -------------------------------------------------------------------------------
    def environment(self) -> None:
        from contact360_desktop.settings import load_settings

        self.tmp = Path(tempfile.mkdtemp(prefix="contact360-selftest-"))
        for name in _CLEARED_VARS:
            self._setenv(name, None)
        self._setenv("CONTACT360_DATA_DIR", str(self.tmp / "data"))
        # A config path that does not exist: the user's config.toml must not leak into the test.
        self._setenv("CONTACT360_CONFIG", str(self.tmp / "no-config.toml"))
        self._setenv("CONTACT360_WORKER_CONCURRENCY", "2")
        self._setenv("QT_QPA_PLATFORM", "offscreen")
        self.settings = load_settings(user="selftest")
        if self.settings.database_url or self.settings.redis_url:
            raise SelftestFailure("the test settings still name an external database or broker")
        self.say(f"data dir {self.settings.data_dir}")

    def qt(self) -> None:
        from contact360_desktop._frozen import resource_path

        try:
            icon_file = _app_icon(resource_path)
        except FileNotFoundError:
            self.say("qt: no application icon in resources/, rendering check skipped")
            icon_file = None
        from PySide6.QtGui import QGuiApplication, QIcon, QImageReader
        from PySide6.QtWidgets import QApplication, QLabel

        app = QApplication.instance() or QApplication([sys.argv[0], "-platform", "offscreen"])
        formats = {bytes(f.data()).decode() for f in QImageReader.supportedImageFormats()}
        if "svg" not in formats:
            raise SelftestFailure(f"Qt cannot read SVG images (plugins found: {sorted(formats)})")
        label = QLabel("Contact360")
        if icon_file is not None:
            pixmap = QIcon(str(icon_file)).pixmap(64, 64)
            if pixmap.isNull():
                raise SelftestFailure(f"Qt could not render {icon_file}")
            label.setPixmap(pixmap)
        if label.grab().isNull():
            raise SelftestFailure("Qt could not paint a widget")
        label.deleteLater()
        app.processEvents()
        self.say(f"qt {QGuiApplication.platformName()} ok, image formats: {', '.join(sorted(formats))}")

    def database(self) -> None:
        from contact360_desktop.services.runtime import open_runtime

        runtime = open_runtime(self.settings)
        self.engine = runtime.engine
        self.say(f"database ready: {runtime.database_label}")

    def worker_pool(self) -> None:
        from contact360_desktop.workers.pool import LocalPool

        self.pool = LocalPool(self.settings)
        self.pool.start()
        if not self.pool.running:
            raise SelftestFailure("the local worker pool did not start")
        self.say("worker pool started")

    def import_sample(self) -> None:
        from contact360_desktop._frozen import resource_path
        from contact360_desktop.core.fields import MODE_UPSERT
        from contact360_desktop.services.imports import ImportRequest, create_import_job
        from contact360_desktop.storage.db import session_scope
        from contact360_desktop.tasks.dispatch import enqueue_import

        sample = resource_path(SAMPLE_CSV)
        request = ImportRequest(
            path=str(sample),
            mapping=None,
            template=None,
            encoding=None,
            delimiter=None,
            mode=MODE_UPSERT,
            dry_run=False,
            phone_region="US",
            user=self.settings.user,
        )
        with session_scope(self.engine) as session:
            job_id = create_import_job(session, request).id
        self.import_job_id = job_id
        enqueue_import(self.settings, str(job_id))
        job = self._wait("contact_import_jobs", job_id)
        if job["status"] != "completed":
            raise SelftestFailure(f"import job ended {job['status']}: {job.get('message')}")
        if job["rejected"]:
            raise SelftestFailure(f"import rejected {job['rejected']} of the {SAMPLE_ROWS} sample rows")
        if job["inserted"] != SAMPLE_ROWS:
            raise SelftestFailure(f"import inserted {job['inserted']} rows, expected {SAMPLE_ROWS}")
        self.say(f"import completed: {job.get('message')}")

    def export_contacts(self) -> None:
        from contact360_desktop.services.exports import ExportRequest, create_export
        from contact360_desktop.storage.db import session_scope
        from contact360_desktop.tasks.dispatch import enqueue_export

        assert self.tmp is not None
        target = self.tmp / "export" / "contacts.csv"
        target.parent.mkdir(parents=True)
        request = ExportRequest(kind="contacts", raw=True, destination=str(target), user=self.settings.user)
        with session_scope(self.engine) as session:
            export_id = create_export(session, request).id
        enqueue_export(self.settings, str(export_id))
        row = self._wait("exports", export_id)
        if row["status"] != "completed":
            raise SelftestFailure(f"export ended {row['status']}: {row.get('message')}")
        if row.get("row_count") != SAMPLE_ROWS:
            raise SelftestFailure(f"export wrote {row.get('row_count')} rows, expected {SAMPLE_ROWS}")
        location = str(row.get("path_or_key") or target)
        self.export_path = Path(location.removeprefix("local:"))
        if not self.export_path.is_file():
            raise SelftestFailure(f"export file {self.export_path} does not exist")
        self.say(f"export completed: {self.export_path}")

    def round_trip(self) -> None:
        from contact360_desktop._frozen import resource_path

        assert self.export_path is not None
        expected = _read_rows(resource_path(SAMPLE_CSV))
        actual = _read_rows(self.export_path)
        problems = compare_round_trip(expected, actual)
        if problems:
            shown = "\n  ".join(problems[:10])
            more = f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else ""
            raise SelftestFailure(f"{len(problems)} difference(s) after the round trip:\n  {shown}{more}")
        self.say(f"round trip ok: {len(actual)} contacts, {len(next(iter(expected.values())))} fields each")

    def cleanup(self) -> None:
        errors: list[str] = []
        if self.pool is not None:
            try:
                self.pool.stop()
            except Exception as exc:
                errors.append(f"stopping the worker pool: {exc}")
            self.pool = None
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None
        if self.settings is not None:
            try:
                from contact360_desktop.storage.embedded import embedded_server

                embedded_server(self.settings.data_dir).release()
            except Exception as exc:
                errors.append(f"stopping the database: {exc}")
        self._restore_env()
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            if self.tmp.exists():
                errors.append(f"could not remove {self.tmp}")
            self.tmp = None
        if errors:
            raise SelftestFailure("; ".join(errors))
        self.say("cleaned up")

    # --- helpers -------------------------------------------------------------------------------
    def _wait(self, table: str, row_id: Any) -> dict[str, Any]:
        """Poll the job row (the source of truth) until it reaches a final status."""
        from sqlalchemy import text

        deadline = time.monotonic() + JOB_TIMEOUT
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:
            with self.engine.connect() as conn:
                found = (
                    conn.execute(text(f"SELECT * FROM {table} WHERE id = :id"), {"id": row_id})
                    .mappings()
                    .first()
                )
            if found is None:
                raise SelftestFailure(f"{table} row {row_id} disappeared")
            last = dict(found)
            if last["status"] in _FINAL:
                return last
            if self.pool is not None and not self.pool.running:
                raise SelftestFailure("the local worker pool stopped while a job was queued")
            time.sleep(0.2)
        raise SelftestFailure(
            f"{table} row {row_id} still {last.get('status')!r} after {JOB_TIMEOUT:.0f}s (is a worker consuming?)"
        )


def _app_icon(resource_path: Callable[..., Path]) -> Path:
    for parts in (
        ("icons", "contact360.svg"),
        ("contact360.svg",),
        ("icons", "hicolor", "scalable", "apps", "contact360.svg"),
    ):
        with contextlib.suppress(FileNotFoundError):
            return resource_path(*parts)
    raise FileNotFoundError("contact360.svg")


def _read_rows(path: Path) -> dict[str, dict[str, str]]:
    """CSV rows keyed by lower-cased email."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    return {row["email"].strip().lower(): {k: (v or "").strip() for k, v in row.items() if k} for row in rows}


def compare_round_trip(expected: dict[str, dict[str, str]], actual: dict[str, dict[str, str]]) -> list[str]:
    """Differences between the sample and the export: missing/extra contacts, changed fields.

    Only the sample's own columns are compared; a column the export lacks is a difference.
    """
    problems: list[str] = []
    for email in sorted(set(expected) - set(actual)):
        problems.append(f"{email}: missing from the export")
    for email in sorted(set(actual) - set(expected)):
        problems.append(f"{email}: in the export but not in the sample")
    for email in sorted(set(expected) & set(actual)):
        want, got = expected[email], actual[email]
        for field, value in want.items():
            if field not in got:
                problems.append(f"{email}: the export has no column {field!r}")
            elif got[field] != value:
                problems.append(f"{email}: {field} {value!r} came back as {got[field]!r}")
    return problems


STEPS: tuple[tuple[str, str], ...] = (
    ("environment", "environment"),
    ("qt", "qt"),
    ("database", "database"),
    ("worker pool", "worker_pool"),
    ("import", "import_sample"),
    ("export", "export_contacts"),
    ("round trip", "round_trip"),
)


def run_selftest(verbose: bool = True) -> int:
    """Run every step; 0 when all pass, 1 (and the failing step's name on stderr) otherwise."""
    test = _Selftest(verbose=verbose)
    failed: str | None = None
    logging.basicConfig(level=logging.WARNING, format="selftest %(levelname)s %(name)s: %(message)s")
    for name, method in STEPS:
        try:
            getattr(test, method)()
        except Exception as exc:
            failed = name
            if not isinstance(exc, SelftestFailure):
                traceback.print_exc()
            print(f"contact360 selftest FAILED at step '{name}': {exc}", file=sys.stderr, flush=True)
            break
    try:
        test.cleanup()
    except Exception as exc:
        print(f"contact360 selftest FAILED at step 'cleanup': {exc}", file=sys.stderr, flush=True)
        failed = failed or "cleanup"
    if failed:
        return 1
    print(f"contact360 selftest passed in {time.monotonic() - test.started:.1f}s", flush=True)
    return 0
