"""The error browser: one import job's rejected and warned rows, paged lazily from PostgreSQL.

The table is an :class:`~contact360_desktop.ui.models.errors_model.ErrorsModel` filled 200 rows
at a time by keyset queries (:mod:`contact360_desktop.services.error_queries`) on background
threads, so the first page of a job with a million errors costs what a job with ten costs.
The count and the field list arrive afterwards, also in the background.
"""

from __future__ import annotations

import functools
import os
import uuid
from typing import Any

from PySide6.QtCore import QItemSelection, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from contact360_desktop.core.fields import ERROR, WARNING
from contact360_desktop.services.error_queries import (
    PAGE_SIZE,
    ErrorFilter,
    ErrorRow,
    count_errors,
    error_fields,
    error_page,
)
from contact360_desktop.storage.models import ImportJob
from contact360_desktop.ui.error_details import ErrorDetails, columns_for_field
from contact360_desktop.ui.import_wizard.support import folder_of, format_count, readable_error, start_task
from contact360_desktop.ui.models.errors_model import COLUMNS, ErrorsModel

__all__ = ["ErrorBrowser", "JobSummary"]

SEARCH_DEBOUNCE_MS = 300


class JobSummary(dict[str, Any]):
    """The job row as plain data (loaded in the background)."""


def load_job(engine: Any, job_id: str) -> JobSummary:
    with Session(engine) as session:
        job = session.get(ImportJob, uuid.UUID(job_id))
        if job is None:
            raise LookupError(f"Import job {job_id} does not exist (any more).")
        options = dict(job.options or {})
        return JobSummary(
            header=_header_of(options) or _file_header(job.file_path, options),
            id=str(job.id),
            file_name=job.file_name,
            file_path=job.file_path,
            status=job.status,
            options=dict(job.options or {}),
            total_rows=job.total_rows,
            processed_rows=job.processed_rows,
            inserted=job.inserted,
            updated=job.updated,
            rejected=job.rejected,
            warnings=job.warnings,
            message=job.message,
        )


def load_page(engine: Any, job_id: str, flt: ErrorFilter, after: tuple[int, int] | None) -> list[ErrorRow]:
    with Session(engine) as session:
        return error_page(session, job_id, flt, after=after, limit=PAGE_SIZE + 1)


def load_count(engine: Any, job_id: str, flt: ErrorFilter) -> int:
    with Session(engine) as session:
        return count_errors(session, job_id, flt)


def load_fields(engine: Any, job_id: str) -> list[str]:
    with Session(engine) as session:
        return error_fields(session, job_id)


def export_error_csv(engine: Any, job_id: str, out_path: str, severity: str | None) -> Any:
    """Write the errors CSV with the same service function as ``contact360 errors --csv``."""
    from contact360_desktop.services import imports

    with Session(engine) as session:
        return imports.export_errors_csv(session, uuid.UUID(job_id), out_path, severity=severity)


def _file_header(path: str | None, options: dict[str, Any]) -> list[str] | None:
    """The file's header row when the job stored no mapping (auto-mapped at run time); None if unreadable."""
    if not path:
        return None
    from contact360_desktop.core.errors import FileRejected
    from contact360_desktop.core.reader import open_csv

    try:
        with open_csv(path, encoding=options.get("encoding"), delimiter=options.get("delimiter")) as csv_file:
            return list(csv_file.header)
    except (OSError, FileRejected, ValueError):
        return None


def _header_of(options: dict[str, Any]) -> list[str] | None:
    """The file's columns, from the mapping stored with the job (None when it was not stored)."""
    mapping = options.get("mapping")
    if isinstance(mapping, dict) and isinstance(mapping.get("columns"), list):
        return [str(c.get("source")) for c in mapping["columns"] if isinstance(c, dict)]
    if isinstance(mapping, dict):
        return [str(k) for k in mapping]
    return None


class ErrorBrowser(QMainWindow):
    """A window listing one import job's row errors; emits ``reimport_requested`` via the wizard."""

    #: The error CSV was written (path).
    csv_exported = Signal(str)
    #: A page (or the count) failed to load (readable message).
    load_failed = Signal(str)
    #: The first page of the current filter is shown (number of rows in it).
    first_page_loaded = Signal(int)
    #: The re-import wizard opened here started a job (its id): the jobs dock can select it.
    job_started = Signal(str)

    def __init__(self, context: Any, job_id: str | uuid.UUID, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self._context = context
        self._job_id = str(job_id)
        self._job: JobSummary | None = None
        self._filter = ErrorFilter()
        self._count_generation = 0
        self._last_csv: str | None = None
        self.wizard: Any = None
        self.setWindowTitle("Import errors")
        self.resize(1100, 640)

        self.model = ErrorsModel(self)
        self.model.more_requested.connect(self._load_page)
        self._build()
        self._restart()
        start_task(context, self, load_job, context.engine, self._job_id, on_done=self._job_loaded, on_error=self._failed)
        start_task(context, self, load_fields, context.engine, self._job_id, on_done=self._fields_loaded, on_error=self._failed)

    # -- layout -----------------------------------------------------------------------------------
    def _build(self) -> None:
        central = QWidget(self)
        layout = QVBoxLayout(central)

        self.summary = QLabel("Loading the job…", central)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)

        bar = QHBoxLayout()
        self.severity = QComboBox(central)
        self.severity.addItem("All severities", None)
        self.severity.addItem("Errors (row rejected)", ERROR)
        self.severity.addItem("Warnings (row imported)", WARNING)
        self.severity.setToolTip("Errors are rows that were rejected; warnings are rows imported without a field")
        self.severity.setAccessibleName("Severity filter")
        self.field = QComboBox(central)
        self.field.addItem("All fields", None)
        self.field.setToolTip("Only the problems about this field")
        self.field.setAccessibleName("Field filter")
        self.field.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.search = QLineEdit(central)
        self.search.setPlaceholderText("Search messages and raw values…")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Case-insensitive search in the message, field, code and raw values")
        sev_label = QLabel("&Severity:", central)
        sev_label.setBuddy(self.severity)
        field_label = QLabel("&Field:", central)
        field_label.setBuddy(self.field)
        bar.addWidget(sev_label)
        bar.addWidget(self.severity)
        bar.addWidget(field_label)
        bar.addWidget(self.field)
        bar.addWidget(self.search, 1)
        layout.addLayout(bar)

        splitter = QSplitter(Qt.Orientation.Vertical, central)
        self.table = QTableView(splitter)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        widths = {"row_number": 80, "line_number": 70, "severity": 80, "field": 120, "message": 360}
        for i, (key, _label) in enumerate(COLUMNS):
            if key in widths:
                header.resizeSection(i, widths[key])
        header.setStretchLastSection(True)
        self.table.setAccessibleName("Row errors")
        self.details = ErrorDetails(splitter)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([330, 220])
        layout.addWidget(splitter, 1)
        self.empty = QLabel("", central)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()
        layout.addWidget(self.empty)

        buttons = QHBoxLayout()
        self.count_label = QLabel("", central)
        buttons.addWidget(self.count_label, 1)
        self.export_button = QPushButton("&Export errors as CSV…", central)
        self.export_button.setToolTip(
            "Write the rows with problems as CSV: the original columns plus row_number and error.\n"
            "Fix them in a spreadsheet, then use Re-import fixed file."
        )
        self.reimport_button = QPushButton("&Re-import fixed file…", central)
        self.reimport_button.setToolTip("Open the import wizard with this job's mapping and options filled in")
        self.reimport_button.setEnabled(False)
        self.refresh_button = QPushButton("Re&fresh", central)
        self.refresh_button.setToolTip("Reload the errors (F5)")
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.reimport_button)
        layout.addLayout(buttons)
        self.setCentralWidget(central)

        self.setTabOrder(self.severity, self.field)
        self.setTabOrder(self.field, self.search)
        self.setTabOrder(self.search, self.table)
        self.setTabOrder(self.table, self.details.values)
        self.setTabOrder(self.details.values, self.refresh_button)
        self.setTabOrder(self.refresh_button, self.export_button)
        self.setTabOrder(self.export_button, self.reimport_button)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._apply_filter)
        self.search.textChanged.connect(self._debounce.start)
        self.severity.currentIndexChanged.connect(self._apply_filter)
        self.field.currentIndexChanged.connect(self._apply_filter)
        self.refresh_button.clicked.connect(self.refresh)
        self.export_button.clicked.connect(self._choose_csv)
        self.reimport_button.clicked.connect(self.open_reimport_wizard)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Refresh), self, self.refresh)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self, self.search.setFocus)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)

    # -- loading ----------------------------------------------------------------------------------
    @property
    def job_id(self) -> str:
        return self._job_id

    @property
    def current_filter(self) -> ErrorFilter:
        return self._filter

    def refresh(self) -> None:
        self._restart()
        start_task(self._context, self, load_job, self._context.engine, self._job_id, on_done=self._job_loaded)

    def set_filter(self, severity: str | None = None, field: str | None = None, search: str = "") -> None:
        """Set all filters at once (as the controls would) and reload."""
        for combo, value in ((self.severity, severity), (self.field, field)):
            combo.blockSignals(True)
            i = combo.findData(value)
            if i < 0 and value is not None:
                combo.addItem(value, value)
                i = combo.count() - 1
            combo.setCurrentIndex(max(i, 0))
            combo.blockSignals(False)
        self.search.blockSignals(True)
        self.search.setText(search)
        self.search.blockSignals(False)
        self._apply_filter()

    def _apply_filter(self) -> None:
        self._debounce.stop()
        flt = ErrorFilter(
            severity=self.severity.currentData(),
            field=self.field.currentData(),
            search=self.search.text().strip() or None,
        )
        if flt != self._filter:
            self._filter = flt
            self._restart()

    def _restart(self) -> None:
        generation = self.model.restart()
        self.details.clear()
        self.empty.hide()
        self.count_label.setText("Counting…")
        self._load_page(generation, None)
        self._count_generation = generation
        start_task(
            self._context,
            self,
            load_count,
            self._context.engine,
            self._job_id,
            self._filter,
            on_done=functools.partial(self._count_loaded, generation),
            on_error=self._failed,
        )

    def _load_page(self, generation: int, after: tuple[int, int] | None) -> None:
        flt = self._filter

        def done(rows: list[ErrorRow]) -> None:
            more = len(rows) > PAGE_SIZE
            page = rows[:PAGE_SIZE]
            if self.model.append_page(generation, page, more) and after is None:
                self._first_page_shown(len(page))

        def failed(exc: BaseException) -> None:
            self.model.page_failed(generation)
            self._failed(exc)

        start_task(
            self._context, self, load_page, self._context.engine, self._job_id, flt, after, on_done=done, on_error=failed
        )

    def _first_page_shown(self, n: int) -> None:
        if n == 0:
            self.empty.setText(
                "No row errors match this filter." if not self._filter.is_empty() else "This import has no row errors."
            )
            self.empty.show()
        elif self.table.currentIndex().row() < 0:
            self.table.selectRow(0)
        self.first_page_loaded.emit(n)

    def _count_loaded(self, generation: int, n: int) -> None:
        if generation != self.model.generation:
            return
        self.count_label.setText(
            format_count(n, "row error") + ("" if self._filter.is_empty() else " match the filter")
        )

    def _fields_loaded(self, fields: list[str]) -> None:
        current = self.field.currentData()
        self.field.blockSignals(True)
        self.field.clear()
        self.field.addItem("All fields", None)
        for f in fields:
            self.field.addItem(f, f)
        self.field.setCurrentIndex(max(self.field.findData(current), 0))
        self.field.blockSignals(False)

    def _job_loaded(self, job: JobSummary) -> None:
        self._job = job
        self.reimport_button.setEnabled(True)
        self.model.set_column_order(job.get("header"))
        self.setWindowTitle(f"Import errors — {job['file_name']}")
        counts = (
            f"{job['processed_rows'] or 0:,} rows read · {job['inserted']:,} inserted · {job['updated']:,} updated · "
            f"<b>{job['rejected']:,} rejected</b> · {format_count(job['warnings'], 'warning')}"
        )
        message = f"<br>{job['message']}" if job.get("message") else ""
        self.summary.setText(f"<b>{job['file_name']}</b> — {job['status']}<br>{counts}{message}")
        self.summary.setToolTip(job["file_path"])
        err = self.details.error
        if err is not None:  # shown before the job's mapping was known: highlight by the mapping now
            self.details.show_error(
                err,
                column_order=self.model.column_order,
                highlight=columns_for_field(job.get("options"), err.field, err.message),
            )

    def _failed(self, exc: BaseException) -> None:
        message = readable_error(exc)
        self.count_label.setText(message)
        self.load_failed.emit(message)

    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = selected.indexes()
        if not rows:
            return
        err = self.model.error_at(rows[0].row())
        options = (self._job or JobSummary()).get("options")
        self.details.show_error(
            err,
            column_order=self.model.column_order,
            highlight=columns_for_field(options, err.field, err.message),
        )

    # -- actions ----------------------------------------------------------------------------------
    def _choose_csv(self) -> None:
        settings = QSettings()
        folder = str(settings.value("errors/last_folder", "") or "")
        base = os.path.splitext(str((self._job or JobSummary()).get("file_name") or "import"))[0]
        suggested = os.path.join(folder or os.path.expanduser("~"), f"{base}-errors.csv")
        path, _ = QFileDialog.getSaveFileName(self, "Export errors as CSV", suggested, "CSV files (*.csv)")
        if path:
            settings.setValue("errors/last_folder", folder_of(path))
            self.export_csv(path)

    def export_csv(self, path: str) -> None:
        """Write the error CSV (severity filter applies) in the background; emits ``csv_exported``."""
        self.export_button.setEnabled(False)
        self.statusBar().showMessage(f"Writing {path}…")

        def done(_result: Any) -> None:
            self.export_button.setEnabled(True)
            self._last_csv = path
            self.statusBar().showMessage(f"Errors written to {path}", 10000)
            self.csv_exported.emit(path)

        def failed(exc: BaseException) -> None:
            self.export_button.setEnabled(True)
            self.statusBar().clearMessage()
            message = readable_error(exc)
            self.load_failed.emit(message)
            if self.isVisible():
                QMessageBox.warning(self, "Export errors as CSV", f"The errors could not be written.\n\n{message}")

        start_task(
            self._context,
            self,
            export_error_csv,
            self._context.engine,
            self._job_id,
            path,
            self._filter.severity,
            on_done=done,
            on_error=failed,
        )

    def reimport_prefill(self) -> dict[str, Any]:
        """The wizard prefill for this job: its mapping and options, the last error CSV or its file."""
        job = self._job or JobSummary(options={}, file_path="")
        options = dict(job.get("options") or {})
        mapping = options.pop("mapping", None)
        if self._last_csv:
            # The error CSV is written as UTF-8, comma-separated, whatever the original file was.
            options.pop("encoding", None)
            options.pop("delimiter", None)
        path = self._last_csv or job.get("file_path") or ""
        return {"mapping": mapping, "options": options, "path": path}

    def open_reimport_wizard(self) -> Any:
        from contact360_desktop.ui.import_wizard import ImportWizard

        prefill = self.reimport_prefill()
        self.wizard = ImportWizard(self._context, parent=self, path=prefill["path"] or None, prefill=prefill)
        self.wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.wizard.job_started.connect(self.job_started)
        self.wizard.show()
        return self.wizard
