"""The import wizard, page by page, on a HubSpot-style export with bad rows (real widgets, real PostgreSQL)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QWidget, QWizard
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from contact360_desktop.core.mapping import CUSTOM, IGNORE
from contact360_desktop.storage.models import ImportJob, MappingTemplate
from contact360_desktop.ui.import_wizard import ImportWizard
from tests.ui.wizard_support import (
    HUBSPOT_HEADER,
    HUBSPOT_ROWS,
    REJECTED_ROWS,
    WARNED_ROWS,
    grab,
    hubspot_file,
    write_csv,
)


def open_wizard(qtbot: Any, context: Any, path: Path | None = None, **kwargs: Any) -> ImportWizard:
    wizard = ImportWizard(context, path=str(path) if path else None, **kwargs)
    qtbot.addWidget(wizard)
    wizard.show()
    if path is not None:
        qtbot.waitUntil(wizard.file_page.isComplete, timeout=10000)
    return wizard


def next_page(qtbot: Any, wizard: ImportWizard, expected: int) -> None:
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    assert wizard.currentId() == expected


def to_mapping_page(qtbot: Any, wizard: ImportWizard) -> None:
    next_page(qtbot, wizard, ImportWizard.PAGE_PREVIEW)
    next_page(qtbot, wizard, ImportWizard.PAGE_MAPPING)
    qtbot.waitUntil(lambda: not wizard.mapping_page.lookup_pending, timeout=10000)


def test_file_page_detects_format_and_previews(qtbot: Any, app_context: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "semicolons.csv", HUBSPOT_HEADER, HUBSPOT_ROWS, delimiter=";", encoding="cp1252")
    wizard = open_wizard(qtbot, app_context)
    page = wizard.file_page
    assert not page.isComplete()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()

    # Drop the file onto the page.
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    drop = QDropEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    page.dropEvent(drop)
    qtbot.waitUntil(page.isComplete, timeout=10000)
    assert page.path() == str(path)
    assert page.info is not None and page.info.delimiter == ";"
    assert "Semicolon" in page.delimiter_combo.itemText(0)
    assert page.size_label.text().endswith("bytes")
    assert page.preview_model.columnCount() == len(HUBSPOT_HEADER)
    assert page.preview_model.rowCount() == len(HUBSPOT_ROWS)

    # Override the delimiter: the preview is read again and shows one column.
    page.delimiter_combo.setCurrentIndex(page.delimiter_combo.findData(","))
    page.delimiter_combo.activated.emit(page.delimiter_combo.currentIndex())
    qtbot.waitUntil(page.isComplete, timeout=10000)
    assert page.info.delimiter == ","
    assert page.preview_model.columnCount() == 1 or page.info.header != HUBSPOT_HEADER
    page.delimiter_combo.setCurrentIndex(0)
    page.reload()
    qtbot.waitUntil(page.isComplete, timeout=10000)
    assert page.info.header == HUBSPOT_HEADER
    grab(wizard, "import-wizard-1-file")


def test_file_page_explains_a_rejected_file(qtbot: Any, app_context: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    wizard = open_wizard(qtbot, app_context)
    wizard.file_page.set_path(str(empty))
    qtbot.waitUntil(lambda: not wizard.file_page.loading, timeout=10000)
    assert not wizard.file_page.isComplete()
    assert "cannot be imported" in wizard.file_page.status_label.text()
    assert "empty" in wizard.file_page.status_label.text()


def test_preview_shows_records_and_skipped_preamble(qtbot: Any, app_context: Any, tmp_path: Path) -> None:
    path = tmp_path / "Connections.csv"
    path.write_text(
        "Notes:\n\"When exporting your connection data, you may notice that some of the email addresses are missing.\"\n\n"
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        "Ada,Lovelace,https://www.linkedin.com/in/ada,ada@example.com,Engines,Engineer,01 Jan 2024\n"
        "Grace,Hopper,https://www.linkedin.com/in/grace,,Navy,Admiral,02 Jan 2024\n",
        encoding="utf-8",
    )
    wizard = open_wizard(qtbot, app_context, path)
    next_page(qtbot, wizard, ImportWizard.PAGE_PREVIEW)
    page = wizard.preview_page
    assert page.model.rowCount() == 2
    assert "line 4" in page.header_label.text()
    assert page.skipped.isVisible()
    assert "Notes:" in page.skipped.toPlainText()
    grab(wizard, "import-wizard-2-preview")


def test_mapping_auto_maps_requires_email_and_saves_template(qtbot: Any, app_context: Any, tmp_path: Path, clean_db: Engine) -> None:
    path = hubspot_file(tmp_path)
    wizard = open_wizard(qtbot, app_context, path)
    to_mapping_page(qtbot, wizard)
    page = wizard.mapping_page
    mapping = wizard.mapping
    assert mapping is not None
    targets = dict(zip(mapping.sources, mapping.targets, strict=True))
    assert targets["Email"] == "email"
    assert targets["First Name"] == "first_name"
    assert targets["Job Title"] == "title"
    assert targets["Company Name"] == "company_name"
    assert targets["Lifecycle Stage"] == CUSTOM
    # The dropdowns and the confidence marks show it.
    email_row = mapping.sources.index("Email")
    assert page.combos[email_row].currentData() == "email"
    email_mark = page.table.item(email_row, 3)
    custom_mark = page.table.item(mapping.sources.index("Lifecycle Stage"), 3)
    assert email_mark is not None and email_mark.text().startswith("✔")
    assert custom_mark is not None and custom_mark.text() == "custom field"
    assert "Columns mapped automatically" in page.template_label.text()
    assert "from the column “Email”" in page.status_label.text()
    grab(wizard, "import-wizard-3-mapping")

    # Email is required before Next.
    page.combos[email_row].setCurrentIndex(page.combos[email_row].findData(IGNORE))
    page.combos[email_row].activated.emit(page.combos[email_row].currentIndex())
    assert wizard.mapping is not None and not wizard.mapping.has_email
    assert not page.isComplete()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert "Map one column to <b>Email</b>" in page.status_label.text()
    grab(wizard, "import-wizard-3-mapping-no-email")
    page.set_target("Email", "email")
    assert page.isComplete()
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()

    # Choosing a field another column holds moves it (no duplicates), and "ignore" sticks.
    page.set_target("Record ID", IGNORE)
    assert wizard.mapping.columns[0].target == IGNORE

    with qtbot.waitSignal(page.template_saved, timeout=10000):
        page.save_template("HubSpot weekly")
    with Session(clean_db) as session:
        saved = session.execute(select(MappingTemplate)).scalar_one()
    assert saved.name == "HubSpot weekly"
    assert {"source": "Record ID", "target": IGNORE} .items() <= saved.mapping["columns"][0].items()

    # A second file with the same header gets the template applied automatically, by name.
    other = hubspot_file(tmp_path, "hubspot-next-week.csv")
    second = open_wizard(qtbot, app_context, other)
    with qtbot.waitSignal(second.mapping_page.template_applied, timeout=10000) as applied:
        to_mapping_page(qtbot, second)
    assert applied.args == ["HubSpot weekly"]
    assert "Template 'HubSpot weekly' applied" in second.mapping_page.template_label.text()
    assert second.mapping is not None and second.mapping.columns[0].target == IGNORE
    grab(second, "import-wizard-3-mapping-template")


def test_options_validate_and_start(qtbot: Any, app_context: Any, tmp_path: Path, clean_db: Engine) -> None:
    path = hubspot_file(tmp_path)
    wizard = open_wizard(qtbot, app_context, path)
    to_mapping_page(qtbot, wizard)
    next_page(qtbot, wizard, ImportWizard.PAGE_OPTIONS)
    options = wizard.options_page
    assert options.mode_buttons["upsert"].isChecked()
    assert options.region.currentData() == "US"
    options.region.setCurrentIndex(options.region.findData("GB"))
    grab(wizard, "import-wizard-4-options")

    page = wizard.validate_page
    with qtbot.waitSignal(page.validation_finished, timeout=20000) as finished:
        next_page(qtbot, wizard, ImportWizard.PAGE_VALIDATE)
    result = finished.args[0]
    assert result.checked == len(HUBSPOT_ROWS)
    assert result.rejected == len(REJECTED_ROWS)
    assert result.warned == len(WARNED_ROWS)
    listed = page.model.issues()
    assert {i.row_number for i in listed if i.severity == "error"} == REJECTED_ROWS
    assert {i.row_number for i in listed if i.severity == "warning"} == WARNED_ROWS
    by_row = {i.row_number: i for i in listed}
    assert by_row[3].field == "email"
    assert by_row[7].field == "company_name"
    assert "3 would be rejected" in page.summary.text()
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    grab(wizard, "import-wizard-5-validate")

    # The whole file on request (same small file: same answer).
    with qtbot.waitSignal(page.validation_finished, timeout=20000) as whole:
        qtbot.mouseClick(page.whole_button, Qt.MouseButton.LeftButton)
    assert whole.args[0].whole_file and whole.args[0].rejected == len(REJECTED_ROWS)

    next_page(qtbot, wizard, ImportWizard.PAGE_START)
    start = wizard.start_page
    assert "Add new contacts and update existing ones" in start.summary.text()
    assert wizard.buttonText(QWizard.WizardButton.FinishButton) == "&Start import"
    grab(wizard, "import-wizard-6-start")
    with qtbot.waitSignal(wizard.job_started, timeout=20000) as started:
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
    job_id = started.args[0]
    qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=5000)  # closes once queued
    with Session(clean_db) as session:
        job = session.get(ImportJob, uuid.UUID(job_id))
        assert job is not None
        assert job.file_path == str(path.resolve())
        assert job.options["mode"] == "upsert"
        assert job.options["phone_region"] == "GB"
        assert job.task_id  # queued
        columns = {c["source"]: c["target"] for c in job.options["mapping"]["columns"]}
        assert columns["Email"] == "email"


def test_validate_whole_file_can_be_cancelled(
    qtbot: Any, app_context: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pace the check (~0.1 ms a row) so the whole file cannot finish before the click lands:
    # otherwise a fast machine races the GUI thread, which sees progress a little late.
    from contact360_desktop.core.validation import RowValidator

    validate = RowValidator.validate

    def paced(self: RowValidator, record: Any) -> Any:
        time.sleep(0.0001)
        return validate(self, record)

    monkeypatch.setattr(RowValidator, "validate", paced)
    rows = [[str(i), "F", "L", f"p{i}@example.com" if i % 10 else "bad", "", "Co", "", "", "", ""] for i in range(200_000)]
    path = write_csv(tmp_path / "big.csv", HUBSPOT_HEADER, rows)
    wizard = open_wizard(qtbot, app_context, path)
    to_mapping_page(qtbot, wizard)
    next_page(qtbot, wizard, ImportWizard.PAGE_OPTIONS)
    page = wizard.validate_page
    with qtbot.waitSignal(page.validation_finished, timeout=20000) as sample:
        next_page(qtbot, wizard, ImportWizard.PAGE_VALIDATE)
    assert sample.args[0].checked == 1000 and sample.args[0].rejected == 100
    with qtbot.waitSignal(page.validation_cancelled, timeout=20000):
        page.start(whole_file=True)
        qtbot.waitUntil(lambda: page._last.checked > 1000, timeout=20000)
        assert page.running and not page.isComplete()
        qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
    assert not page.running
    assert page.isComplete()
    assert 1000 < page.result.checked < len(rows)
    assert "cancelled" in page.summary.text()


def test_prefill_from_an_earlier_job(qtbot: Any, app_context: Any, tmp_path: Path) -> None:
    path = hubspot_file(tmp_path)
    prefill = {
        "path": str(path),
        "mapping": {"Email": "email", "Record ID": "ignore", "Lifecycle Stage": "ignore"},
        "options": {"mode": "update", "dry_run": True, "phone_region": "DE", "encoding": None, "delimiter": None},
    }
    wizard = ImportWizard(app_context, prefill=prefill)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitUntil(wizard.file_page.isComplete, timeout=10000)
    to_mapping_page(qtbot, wizard)
    assert wizard.mapping is not None
    targets = dict(zip(wizard.mapping.sources, wizard.mapping.targets, strict=True))
    assert targets["Record ID"] == IGNORE and targets["Lifecycle Stage"] == IGNORE
    assert targets["First Name"] == "first_name"  # not in the mapping: auto-mapped
    assert "earlier import" in wizard.mapping_page.template_label.text()
    next_page(qtbot, wizard, ImportWizard.PAGE_OPTIONS)
    assert wizard.options_page.mode_buttons["update"].isChecked()
    assert wizard.options_page.dry_run.isChecked()
    assert wizard.options_page.region.currentData() == "DE"


def test_keyboard_focus_order_on_file_page(qtbot: Any, app_context: Any) -> None:
    wizard = open_wizard(qtbot, app_context)
    page = wizard.file_page
    order: list[QWidget] = []
    widget: QWidget | None = page.path_edit
    for _ in range(4):
        assert widget is not None
        widget = widget.nextInFocusChain()
        while widget is not None and (not widget.focusPolicy() & Qt.FocusPolicy.TabFocus or not widget.isVisible()):
            widget = widget.nextInFocusChain()
        assert widget is not None
        order.append(widget)
    assert order[:3] == [page.browse_button, page.encoding_combo, page.delimiter_combo]
