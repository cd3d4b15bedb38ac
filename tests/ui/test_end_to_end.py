"""End to end: wizard → queued job → local worker → error browser → error CSV → fixed file re-imported.

Real widgets (offscreen), real PostgreSQL, the app's local worker pool (a real worker
process on the Huey queue on PostgreSQL) and the job listener.
"""

from __future__ import annotations

import csv
import uuid
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from contact360_desktop.core.mapping import IGNORE
from contact360_desktop.storage.models import Contact, ImportJob
from contact360_desktop.ui.error_browser import ErrorBrowser
from contact360_desktop.ui.import_wizard import ImportWizard
from tests.ui.wizard_support import (
    HUBSPOT_HEADER,
    HUBSPOT_ROWS,
    REJECTED_ROWS,
    WARNED_ROWS,
    grab,
    hubspot_file,
)


def pool_context(make_context: Any, qtbot: Any) -> Any:
    from contact360_desktop.workers.pool import LocalPool

    context = make_context(pool_factory=lambda: (lambda settings: LocalPool(settings, workers=1)))
    context.start_pool()
    qtbot.waitUntil(lambda: context.pool_running, timeout=30000)
    return context


def run_wizard(qtbot: Any, context: Any, wizard: ImportWizard) -> str:
    """Next through every page (waiting where pages work in the background), Start, follow to the end."""
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitUntil(wizard.file_page.isComplete, timeout=10000)
    for expected in (ImportWizard.PAGE_PREVIEW, ImportWizard.PAGE_MAPPING, ImportWizard.PAGE_OPTIONS):
        if expected == ImportWizard.PAGE_OPTIONS:
            qtbot.waitUntil(wizard.mapping_page.isComplete, timeout=10000)
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
        assert wizard.currentId() == expected
    with qtbot.waitSignal(wizard.validate_page.validation_finished, timeout=20000):
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    assert wizard.currentId() == ImportWizard.PAGE_START
    wizard.start_page.follow.setChecked(True)
    with qtbot.waitSignal(wizard.job_started, timeout=20000) as started:
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
    assert wizard.start_page.queue_message is None, wizard.start_page.queue_message
    with qtbot.waitSignal(wizard.start_page.job_finished, timeout=120000) as finished:
        pass
    assert finished.args == ["completed"], wizard.start_page.state_label.text()
    return str(started.args[0])


def test_import_errors_fix_and_reimport(qtbot: Any, make_context: Any, ui_engine: Engine, tmp_path: Path) -> None:
    context = pool_context(make_context, qtbot)
    source = hubspot_file(tmp_path)

    # 1. The wizard imports the vendor file; a local worker runs the job; the wizard follows it.
    wizard = ImportWizard(context, path=str(source))
    job_id = run_wizard(qtbot, context, wizard)
    assert "completed" in wizard.start_page.state_label.text()
    grab(wizard, "end-to-end-1-wizard-finished")
    with Session(ui_engine) as session:
        job = session.get(ImportJob, uuid.UUID(job_id))
        assert job is not None and job.status == "completed"
        good = len(HUBSPOT_ROWS) - len(REJECTED_ROWS)
        assert (job.inserted, job.updated, job.rejected, job.warnings) == (good, 0, len(REJECTED_ROWS), len(WARNED_ROWS))
        assert session.scalar(select(func.count()).select_from(Contact)) == good
    wizard.close()

    # 2. The error browser lists the bad rows, filters them, and writes the error CSV.
    browser = ErrorBrowser(context, job_id)
    qtbot.addWidget(browser)
    with qtbot.waitSignal(browser.first_page_loaded, timeout=10000) as first:
        browser.show()
    assert first.args == [len(REJECTED_ROWS) + len(WARNED_ROWS)]
    rows = [browser.model.error_at(i) for i in range(browser.model.rowCount())]
    assert {r.row_number for r in rows if r.severity == "error"} == REJECTED_ROWS
    assert {r.row_number for r in rows if r.severity == "warning"} == WARNED_ROWS
    qtbot.waitUntil(lambda: "row error" in browser.count_label.text(), timeout=10000)
    qtbot.waitUntil(lambda: browser.field.count() > 1, timeout=10000)
    grab(browser, "end-to-end-2-error-browser")

    with qtbot.waitSignal(browser.first_page_loaded, timeout=10000) as only_errors:
        browser.set_filter(severity="error")
    assert only_errors.args == [len(REJECTED_ROWS)]
    out = tmp_path / "hubspot-contacts-errors.csv"
    with qtbot.waitSignal(browser.csv_exported, timeout=20000):
        browser.export_csv(str(out))
    with out.open(newline="", encoding="utf-8") as fh:
        exported = list(csv.reader(fh))
    # The original columns (in the order the service writes them), then row_number and error.
    assert sorted(exported[0][:-2]) == sorted(HUBSPOT_HEADER)
    assert exported[0][-2:] == ["row_number", "error"]
    header = exported[0]
    assert [int(r[-2]) for r in exported[1:]] == sorted(REJECTED_ROWS)

    # 3. Fix the rows in "a spreadsheet" (here: in Python) and re-import through the browser's button.
    email, company = header.index("Email"), header.index("Company Name")
    fixed = [exported[0]]
    for row in exported[1:]:
        row = list(row)
        row[email] = f"fixed{row[-2]}@example.com"
        row[company] = row[company][:50]
        fixed.append(row)
    with out.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(fixed)
    forwarded: list[str] = []
    browser.job_started.connect(forwarded.append)  # the main window selects it in the jobs dock
    reimport = browser.open_reimport_wizard()
    assert isinstance(reimport, ImportWizard)
    assert reimport.file_page.path() == str(out)
    second_id = run_wizard(qtbot, context, reimport)
    assert forwarded == [second_id]
    mapping = reimport.mapping
    assert mapping is not None
    assert mapping.columns[mapping.sources.index("row_number")].target == IGNORE
    assert mapping.columns[mapping.sources.index("error")].target == IGNORE
    with Session(ui_engine) as session:
        job = session.get(ImportJob, uuid.UUID(second_id))
        assert job is not None
        assert (job.inserted, job.rejected) == (len(REJECTED_ROWS), 0)
        emails = set(session.scalars(select(Contact.email)))
    assert {f"fixed{n}@example.com" for n in REJECTED_ROWS} <= emails
    grab(reimport, "end-to-end-3-reimport-finished")
