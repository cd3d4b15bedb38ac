"""Render the README screenshots (offscreen) into docs/screenshots/*.png.

    python scripts/screenshots.py [--server postgresql://postgres@127.0.0.1:5432/postgres] [--out docs/screenshots]

Builds a sample database ``c360_screenshots`` on that server (dropped first): a few thousand
generated contacts imported through the real import service (the ~2% bad rows of the
generator become row errors), an export of them through the export service, and, for the
jobs dock, one import caught half-way. The app's local worker pool runs (real worker
processes) so that the workers panel shows what it shows in use. Then it opens the real
windows and grabs the main window, the jobs dock, the workers panel, every import wizard
page, the export dialog and the error browser.

The server URL defaults to $CONTACT360_SCREENSHOT_DATABASE_URL, then $CONTACT360_TEST_DATABASE_URL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QCoreApplication, QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget, QWizard  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench.scratch_db import recreate_database  # noqa: E402
from contact360_desktop.services.exports import ExportRequest, create_export, run_export  # noqa: E402
from contact360_desktop.services.imports import ImportRequest, create_import_job, run_import  # noqa: E402
from contact360_desktop.services.runtime import Runtime  # noqa: E402
from contact360_desktop.settings import Settings  # noqa: E402
from contact360_desktop.storage.db import make_engine, session_scope  # noqa: E402

DATABASE = "c360_screenshots"
USER = "alex"
#: Keep the PNGs commit-sized.
MAX_BYTES = 200_000


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        QCoreApplication.processEvents()
        time.sleep(0.01)


def settle(seconds: float = 0.3) -> None:
    """Let background results and repaints land."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QCoreApplication.processEvents()
        time.sleep(0.01)


class Shooter:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.saved: list[Path] = []
        out.mkdir(parents=True, exist_ok=True)

    def grab(self, widget: QWidget, name: str) -> Path:
        settle(0.2)
        path = self.out / f"{name}.png"
        image = widget.grab().toImage()
        # 8-bit palette-free RGB, best compression: screenshots of widgets compress well.
        if not image.save(str(path), "PNG", 0):
            raise RuntimeError(f"could not save {path}")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise RuntimeError(f"{path} is {size:,} bytes (limit {MAX_BYTES:,}): make the window smaller")
        self.saved.append(path)
        print(
            f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {size / 1000:.0f} KB",
            flush=True,
        )
        return path


def sample_data(engine: Any, settings: Settings, folder: Path) -> dict[str, str]:
    """A completed import with row errors, an export, and an import caught half-way."""
    from bench.generate_contacts import generate

    source = folder / "crm-export-2024.csv"
    generate(source, 4_000, seed=11)
    with session_scope(engine) as session:
        job_id = str(create_import_job(session, ImportRequest(path=source, user=USER)).id)
    status = run_import(engine, job_id, settings)
    print(f"  import of {source.name}: {status}", flush=True)

    exports = folder / "exports"
    exports.mkdir()
    with session_scope(engine) as session:
        export = create_export(
            session,
            ExportRequest(kind="contacts", filter={"search": "a"}, destination=str(exports), user=USER),
        )
        export_id = str(export.id)
    print(f"  export: {run_export(engine, export_id, settings)}", flush=True)

    # A large import in flight, as the jobs dock shows it while a worker runs it.
    running = folder / "salesforce-leads.csv"
    running.write_text("Email,First Name,Last Name\n", encoding="utf-8")
    with session_scope(engine) as session:
        running_id = str(create_import_job(session, ImportRequest(path=running, user=USER)).id)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE contact_import_jobs SET status = 'processing', total_rows = 250000, processed_rows = 90000, "
                "inserted = 86210, updated = 3120, rejected = 540, warnings = 130, started_at = :started, "
                "heartbeat_at = :now, created_at = :now WHERE id = :id"
            ),
            {"id": running_id, "started": now - dt.timedelta(seconds=41), "now": now},
        )
    return {"import": job_id, "export": export_id, "running": running_id, "source": str(source)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--server",
        default=os.environ.get("CONTACT360_SCREENSHOT_DATABASE_URL")
        or os.environ.get("CONTACT360_TEST_DATABASE_URL"),
        help="PostgreSQL server URL (the database c360_screenshots is created on it)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    if not args.server:
        print("give --server or set CONTACT360_SCREENSHOT_DATABASE_URL", file=sys.stderr)
        return 2

    scratch = Path(tempfile.mkdtemp(prefix="c360-shots-"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(scratch / "qsettings"))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Contact360")
    from contact360_desktop.ui.theme import apply_theme  # the app's look

    apply_theme(app)

    print("sample database…", flush=True)
    url = recreate_database(args.server, DATABASE)
    settings = Settings(database_url=url, user=USER, data_dir=scratch / "data", worker_concurrency=2)
    engine = make_engine(url)
    ids = sample_data(engine, settings, scratch)

    from contact360_desktop.tasks.config import TaskConfig
    from contact360_desktop.ui.context import POOL_RUNNING, AppContext
    from contact360_desktop.ui.error_browser import ErrorBrowser
    from contact360_desktop.ui.export_dialog import ExportDialog
    from contact360_desktop.ui.import_wizard import ImportWizard
    from contact360_desktop.ui.main_window import MainWindow
    from contact360_desktop.workers.pool import LocalPool

    config = TaskConfig(namespace=f"shots{os.getpid()}")
    os.environ.update(config.to_env())
    context = AppContext(
        settings, pool_factory=lambda: functools.partial(LocalPool, config=config, workers=2)
    )
    context.use_runtime(Runtime(settings, engine), start_pool=True)
    shots = Shooter(args.out)
    print("screenshots…", flush=True)
    try:
        window = MainWindow(context)
        window.resize(1180, 720)
        window.show()
        wait_until(lambda: context.pool_state == POOL_RUNNING, what="the local pool")
        wait_until(lambda: all(s.ready for s in context.pool.slots), 60, "the workers")
        tab = window.contacts_tab
        wait_until(lambda: tab.model.rowCount() > 0 and tab.model.count is not None, what="the contacts")
        wait_until(lambda: window.jobs_dock.model.rowCount() == 3, what="the jobs")
        window.jobs_dock.select_job("import", ids["running"])
        shots.grab(window, "main-window")

        window.contacts_tab.search.setText("smith")
        wait_until(
            lambda: tab.model.query.search == "smith" and tab.model.count is not None, what="the search"
        )
        settle(0.5)
        shots.grab(window, "main-window-search")
        window.contacts_tab.search.clear()

        shots.grab(window.jobs_dock, "jobs-dock")
        window.workers_panel.raise_()
        wait_until(lambda: window.workers_panel.model.rowCount() == 2, what="the workers in the panel")
        shots.grab(window.workers_panel, "workers-panel")
        window.jobs_dock.raise_()

        # The import wizard, page by page, on the sample file.
        wizard = ImportWizard(context, path=ids["source"])
        wizard.resize(980, 680)
        wizard.show()
        wait_until(wizard.file_page.isComplete, what="the file page")
        shots.grab(wizard, "import-wizard-1-file")
        next_button = wizard.button(QWizard.WizardButton.NextButton)
        next_button.click()
        shots.grab(wizard, "import-wizard-2-preview")
        next_button.click()
        wait_until(lambda: not wizard.mapping_page.lookup_pending, what="the mapping page")
        shots.grab(wizard, "import-wizard-3-mapping")
        next_button.click()
        shots.grab(wizard, "import-wizard-4-options")
        finished: list[object] = []
        wizard.validate_page.validation_finished.connect(finished.append)
        next_button.click()
        wait_until(lambda: finished, 60, "the validation")
        shots.grab(wizard, "import-wizard-5-validate")
        next_button.click()
        shots.grab(wizard, "import-wizard-6-start")
        wizard.close()

        dialog = ExportDialog(context, "contacts", {"filter": {"search": "smith"}})
        counted: list[object] = []
        dialog.count_loaded.connect(lambda *a: counted.append(a))
        dialog.show()
        wait_until(lambda: counted, what="the export count")
        shots.grab(dialog, "export-dialog")
        dialog.close()

        browser = ErrorBrowser(context, ids["import"])
        browser.resize(1100, 640)
        loaded: list[int] = []
        browser.first_page_loaded.connect(loaded.append)
        browser.show()
        wait_until(lambda: loaded and "row error" in browser.count_label.text(), what="the error browser")
        wait_until(lambda: browser.field.count() > 1, what="the error fields")
        shots.grab(browser, "error-browser")
        browser.close()
        window.close()
    finally:
        context.shutdown()
        engine.dispose()
    total = sum(p.stat().st_size for p in shots.saved)
    print(f"{len(shots.saved)} screenshots, {total / 1000:.0f} KB in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
