"""The export dialog: what to export (selection or filter, with its count), columns, format,
destination (a local file or S3), then queue it and follow it to "Open folder" / "Copy link".

The dialog only builds an ``ExportRequest``; ``services.exports.create_export`` stores it and
``tasks.dispatch.enqueue_export`` hands it to a worker. Everything that touches the database,
the disk or S3 runs in the background.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import os
import uuid
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from contact360_desktop.core.export_format import default_file_name
from contact360_desktop.core.fields import COMPLETED, FINISHED_STATUSES
from contact360_desktop.ui.export_columns import ExportColumnList
from contact360_desktop.ui.import_wizard.support import (
    create_and_queue,
    folder_of,
    format_size,
    readable_error,
    start_task,
)

__all__ = ["ExportDialog"]

LAST_FOLDER_KEY = "export/last_folder"
POLL_MS = 1000
COUNT_TIMEOUT_MS = 3000

DELIMITERS: tuple[tuple[str, str], ...] = (
    (",", "Comma ( , )"),
    (";", "Semicolon ( ; ) — Excel in many European locales"),
    ("\t", "Tab"),
    ("|", "Pipe ( | )"),
)

SAFE_EXPLANATION = (
    "Spreadsheets run a cell starting with =, +, -, @ (or a tab or line break) as a formula, so a value like "
    "<i>=HYPERLINK(…)</i> could act when the file is opened (“formula injection”). Safe files put a ' before "
    "such cells and quote every cell; phone numbers like +14155550100 stay as they are. Turn it off only for "
    "files meant for another program."
)


# --- background work (no widgets) ----------------------------------------------------------------


def count_selection(engine: Any, kind: str, selection: Mapping[str, Any]) -> tuple[int, bool]:
    """(rows the export will contain, exact?) for ``{"ids": [...]}`` and/or ``{"filter": {...}}``."""
    from contact360_desktop.services.export_query import Selection, count_query
    from contact360_desktop.services.exports import normalise_filter

    ids = selection.get("ids")
    flt = normalise_filter(selection.get("filter") or {})
    if ids is not None and not flt:
        return len(set(map(str, ids))), True
    query = count_query(Selection(kind=kind, export_id=uuid.uuid4(), by_ids=False, filter=flt))
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:
            try:
                cur.execute(f"SET statement_timeout = {COUNT_TIMEOUT_MS}")
                cur.execute(query)
                row = cur.fetchone()
                count = int(row[0]) if row else 0
            except Exception as exc:
                if "statement timeout" not in str(exc) and "canceling statement" not in str(exc):
                    raise
                raw.rollback()
                table = "contacts" if kind == "contacts" else "companies"
                cur.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", (table,))
                row = cur.fetchone()
                return (max(int(row[0]), 0) if row else 0), False
            finally:
                try:
                    cur.execute("RESET statement_timeout")
                except Exception:
                    raw.rollback()
        raw.rollback()
    if ids is not None:  # both: at most the ids
        return min(count, len(set(map(str, ids)))), False
    return count, True


def load_export(engine: Any, export_id: str) -> dict[str, Any]:
    from contact360_desktop.services.exports import get_export

    with Session(engine) as session:
        export = get_export(session, export_id)
        if export is None:
            raise LookupError(f"Export {export_id} does not exist.")
        return {
            "status": export.status,
            "total_rows": export.total_rows,
            "row_count": export.row_count,
            "size": export.size,
            "path_or_key": export.path_or_key,
            "message": export.message,
        }


def presigned_link(engine: Any, settings: Any, export_id: str) -> str:
    from contact360_desktop.services.exports import presigned_url

    with Session(engine) as session:
        return presigned_url(session, export_id, settings)


def check_bucket(settings: Any, bucket: str) -> str:
    """head_bucket on ``bucket`` with the app's S3 settings; returns a readable success line."""
    from contact360_desktop.storage.files import make_s3_client

    client = make_s3_client(settings)
    client.head_bucket(Bucket=bucket)
    where = settings.s3_endpoint_url or "AWS"
    return f"Connected: bucket “{bucket}” is reachable ({where})."


# --- the dialog -------------------------------------------------------------------------------------


class ExportDialog(QDialog):
    """``selection``: ``{"ids": [uuid, ...]}`` (the selected rows) or ``{"filter": {...}}`` (the current filter)."""

    #: The export was created and queued (its id).
    export_started = Signal(str)
    #: The export reached a final status (status, message).
    export_finished = Signal(str, str)
    #: The selection's count is known (count, exact).
    count_loaded = Signal(int, bool)
    #: The S3 connection test ended (ok, message).
    connection_tested = Signal(bool, str)
    link_copied = Signal(str)

    def __init__(self, context: Any, kind: str, selection: Mapping[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._selection = dict(selection or {})
        self.kind = kind
        self.export_id: str | None = None
        self.result_info: dict[str, Any] | None = None
        self._polling = False
        self._starting = False
        self.count: int | None = None
        self.setWindowTitle("Export")
        self.setMinimumWidth(720)
        self.resize(760, 820)
        self._build()
        self.columns.set_kind(kind)
        self._kind_changed()
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._refresh)
        self._load_count()

    # -- layout ---------------------------------------------------------------------------------------------
    def _build(self) -> None:
        settings = self._context.settings
        layout = QVBoxLayout(self)

        what = QGroupBox("What", self)
        what_layout = QFormLayout(what)
        self.kind_combo = QComboBox(what)
        self.kind_combo.addItem("Contacts", "contacts")
        self.kind_combo.addItem("Companies", "companies")
        self.kind_combo.setCurrentIndex(self.kind_combo.findData(self.kind))
        self.kind_combo.setEnabled("ids" not in self._selection)
        self.kind_combo.setToolTip("Selected rows are exported as what they are; a filter can export either")
        self.selection_label = QLabel("Counting…", what)
        self.selection_label.setWordWrap(True)
        kind_label = QLabel("&Export:", what)
        kind_label.setBuddy(self.kind_combo)
        what_layout.addRow(kind_label, self.kind_combo)
        what_layout.addRow("Rows:", self.selection_label)
        layout.addWidget(what)

        columns_box = QGroupBox("Columns", self)
        columns_layout = QVBoxLayout(columns_box)
        self.columns = ExportColumnList(columns_box)
        self.columns.setMinimumHeight(180)
        columns_layout.addWidget(self.columns)
        layout.addWidget(columns_box, 1)

        fmt = QGroupBox("Format", self)
        grid = QGridLayout(fmt)
        self.delimiter = QComboBox(fmt)
        for code, name in DELIMITERS:
            self.delimiter.addItem(name, code)
        self.delimiter.setToolTip("The character between values")
        self.bom = QCheckBox("Add a &BOM (Excel on Windows reads UTF-8 correctly)", fmt)
        self.bom.setToolTip("Starts the file with a byte-order mark so Excel on Windows detects UTF-8 (accents, non-Latin names)")
        self.gzip = QCheckBox("Compress with &gzip (.csv.gz)", fmt)
        self.gzip.setToolTip("A much smaller file; spreadsheets cannot open it until it is unpacked")
        self.safe = QCheckBox("&Spreadsheet-safe (recommended)", fmt)
        self.safe.setChecked(True)
        self.safe.setToolTip("Protects against formula injection when the file is opened in Excel, LibreOffice or Google Sheets")
        self.safe_help = QLabel(SAFE_EXPLANATION, fmt)
        self.safe_help.setWordWrap(True)
        self.safe_help.setTextFormat(Qt.TextFormat.RichText)
        font = self.safe_help.font()
        font.setPointSizeF(font.pointSizeF() * 0.9)
        self.safe_help.setFont(font)
        self.safe_help.setMinimumHeight(self.safe_help.fontMetrics().lineSpacing() * 4)
        delim_label = QLabel("&Delimiter:", fmt)
        delim_label.setBuddy(self.delimiter)
        grid.addWidget(delim_label, 0, 0)
        grid.addWidget(self.delimiter, 0, 1)
        grid.addWidget(self.bom, 1, 0, 1, 2)
        grid.addWidget(self.gzip, 2, 0, 1, 2)
        grid.addWidget(self.safe, 3, 0, 1, 2)
        grid.addWidget(self.safe_help, 4, 0, 1, 2)
        grid.setColumnStretch(1, 1)
        layout.addWidget(fmt)

        dest = QGroupBox("Destination", self)
        dest_layout = QGridLayout(dest)
        self.local_radio = QRadioButton("&Local file:", dest)
        self.s3_radio = QRadioButton("S&3:", dest)
        self.local_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.local_radio)
        group.addButton(self.s3_radio)
        self.path_edit = QLineEdit(dest)
        self.path_edit.setAccessibleName("Export file path")
        self.path_edit.setToolTip("The file to write; an existing file of that name is replaced")
        self.browse_button = QPushButton("B&rowse…", dest)
        self.browse_button.setToolTip("Choose where to save the file")
        self.bucket_edit = QLineEdit(settings.s3_bucket or "", dest)
        self.bucket_edit.setPlaceholderText("bucket")
        self.bucket_edit.setAccessibleName("S3 bucket")
        self.bucket_edit.setToolTip("The S3 bucket (endpoint and region come from the settings)")
        self.key_edit = QLineEdit(dest)
        self.key_edit.setPlaceholderText("folder/name.csv")
        self.key_edit.setAccessibleName("S3 key")
        self.key_edit.setToolTip("The object key; ending with / writes a generated file name into that folder")
        self.test_button = QPushButton("&Test connection", dest)
        self.test_button.setToolTip("Check that the bucket exists and these credentials may use it")
        self.test_label = QLabel("", dest)
        self.test_label.setWordWrap(True)
        s3_row = QHBoxLayout()
        s3_row.addWidget(self.bucket_edit, 1)
        s3_row.addWidget(QLabel("/", dest))
        s3_row.addWidget(self.key_edit, 2)
        s3_row.addWidget(self.test_button)
        dest_layout.addWidget(self.local_radio, 0, 0)
        dest_layout.addWidget(self.path_edit, 0, 1)
        dest_layout.addWidget(self.browse_button, 0, 2)
        dest_layout.addWidget(self.s3_radio, 1, 0)
        dest_layout.addLayout(s3_row, 1, 1, 1, 2)
        dest_layout.addWidget(self.test_label, 2, 1, 1, 2)
        dest_layout.setColumnStretch(1, 1)
        layout.addWidget(dest)

        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.state_label = QLabel("", self)
        self.state_label.setWordWrap(True)
        self.state_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.progress)
        layout.addWidget(self.state_label)

        self.buttons = QDialogButtonBox(self)
        self.export_button = self.buttons.addButton("E&xport", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setDefault(True)
        self.export_button.setToolTip("Queue the export; it runs in the background and the Jobs panel shows it")
        self.open_folder_button = self.buttons.addButton("&Open folder", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_link_button = self.buttons.addButton("Copy &link", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_link_button.setToolTip("Copy a download link to the S3 object (valid for one hour)")
        self.open_folder_button.hide()
        self.copy_link_button.hide()
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        layout.addWidget(self.buttons)

        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        self.local_radio.toggled.connect(self._destination_changed)
        self.browse_button.clicked.connect(self._browse)
        self.test_button.clicked.connect(self.test_connection)
        self.gzip.toggled.connect(self._gzip_toggled)
        self.columns.changed.connect(self._update_buttons)
        self.path_edit.textChanged.connect(self._update_buttons)
        self.bucket_edit.textChanged.connect(self._update_buttons)
        self.export_button.clicked.connect(self.start)
        self.open_folder_button.clicked.connect(self.open_folder)
        self.copy_link_button.clicked.connect(self.copy_link)
        self.close_button.clicked.connect(self.reject)
        self._destination_changed()

    # -- state ---------------------------------------------------------------------------------------------------
    def _kind_changed(self) -> None:
        self.kind = str(self.kind_combo.currentData())
        if self.columns.kind != self.kind:
            self.columns.set_kind(self.kind)
        self._suggest_names()
        if hasattr(self, "_poll"):
            self._load_count()

    def _suggest_names(self) -> None:
        name = default_file_name(self.kind, dt.datetime.now(), self.gzip.isChecked())
        folder = str(QSettings().value(LAST_FOLDER_KEY, "") or "")
        if not folder:
            from contact360_desktop.storage.files import default_export_folder

            folder = str(default_export_folder())
        self.path_edit.setText(os.path.join(folder, name))
        self.key_edit.setText((self._context.settings.s3_prefix or "") + name)

    def _gzip_toggled(self, on: bool) -> None:
        for edit in (self.path_edit, self.key_edit):
            text = edit.text()
            if on and text.endswith(".csv"):
                edit.setText(text + ".gz")
            elif not on and text.endswith(".csv.gz"):
                edit.setText(text[:-3])

    def _destination_changed(self) -> None:
        local = self.local_radio.isChecked()
        self.path_edit.setEnabled(local)
        self.browse_button.setEnabled(local)
        for widget in (self.bucket_edit, self.key_edit, self.test_button):
            widget.setEnabled(not local)
        self._update_buttons()

    def _update_buttons(self) -> None:
        ready = bool(self.columns.columns()) and self.export_id is None and not self._starting
        if self.local_radio.isChecked():
            ready = ready and bool(self.path_edit.text().strip())
        else:
            ready = ready and bool(self.bucket_edit.text().strip())
        self.export_button.setEnabled(ready)

    def _load_count(self) -> None:
        self.selection_label.setText("Counting…")
        kind = self.kind
        start_task(
            self._context,
            self,
            count_selection,
            self._context.engine,
            kind,
            self._selection,
            on_done=lambda result: self._count_done(kind, result),
            on_error=lambda exc: self.selection_label.setText(f"The rows could not be counted: {readable_error(exc)}"),
        )

    def _count_done(self, kind: str, result: tuple[int, bool]) -> None:
        if kind != self.kind:
            return
        count, exact = result
        self.count = count
        noun = kind if count != 1 else kind[:-1] if kind == "contacts" else "company"
        amount = f"{count:,}" if exact else f"about {count:,}"
        if "ids" in self._selection:
            text = f"<b>{amount}</b> selected {noun}"
        else:
            flt = {k: v for k, v in (self._selection.get("filter") or {}).items() if v not in (None, "")}
            if flt:
                described = ", ".join(f"{k} “{html.escape(str(v))}”" for k, v in flt.items())
                text = f"<b>{amount}</b> {noun} matching {described}"
            else:
                text = f"All {noun}: <b>{amount}</b>"
        self.selection_label.setText(text)
        self.count_loaded.emit(count, exact)

    # -- destination -----------------------------------------------------------------------------------------------
    def _browse(self) -> None:
        current = self.path_edit.text().strip()
        pattern = "Compressed CSV (*.csv.gz)" if self.gzip.isChecked() else "CSV files (*.csv)"
        path, _ = QFileDialog.getSaveFileName(self, "Export to", current, pattern)
        if path:
            QSettings().setValue(LAST_FOLDER_KEY, folder_of(path))
            self.path_edit.setText(path)

    def s3_settings(self) -> Any:
        settings = self._context.settings
        return dataclasses.replace(settings, s3_bucket=self.bucket_edit.text().strip() or settings.s3_bucket)

    def destination(self) -> str:
        if self.local_radio.isChecked():
            return os.path.abspath(os.path.expanduser(self.path_edit.text().strip()))
        bucket = self.bucket_edit.text().strip()
        key = self.key_edit.text().strip().lstrip("/")
        return f"s3://{bucket}/{key}"

    def test_connection(self) -> None:
        bucket = self.bucket_edit.text().strip()
        if not bucket:
            self.test_label.setText("Enter a bucket name first.")
            return
        self.test_button.setEnabled(False)
        self.test_label.setText("Testing…")

        def done(message: str) -> None:
            self.test_button.setEnabled(self.s3_radio.isChecked())
            self.test_label.setText(f"<span style='color:#2e7d32'>✔ {html.escape(message)}</span>")
            self.connection_tested.emit(True, message)

        def failed(exc: BaseException) -> None:
            self.test_button.setEnabled(self.s3_radio.isChecked())
            message = readable_error(exc)
            self.test_label.setText(f"<span style='color:#c62828'>✘ {html.escape(message)}</span>")
            self.connection_tested.emit(False, message)

        start_task(self._context, self, check_bucket, self.s3_settings(), bucket, on_done=done, on_error=failed)

    # -- running ---------------------------------------------------------------------------------------------------
    def request(self) -> Any:
        from contact360_desktop.services.exports import ExportRequest

        ids = self._selection.get("ids")
        return ExportRequest(
            kind=self.kind,
            ids=[uuid.UUID(str(i)) for i in ids] if ids is not None else None,
            filter=dict(self._selection.get("filter") or {}) or None,
            columns=self.columns.columns(),
            bom=self.bom.isChecked(),
            delimiter=str(self.delimiter.currentData()),
            gzip=self.gzip.isChecked(),
            raw=not self.safe.isChecked(),
            destination=self.destination(),
            user=self._context.settings.user,
        )

    def start(self) -> None:
        if self.export_id is not None or self._starting:
            return
        try:
            request = self.request()
        except Exception as exc:
            self._failed_to_start(exc)
            return
        self._starting = True
        self._update_buttons()
        self.state_label.setText("Queueing the export…")
        start_task(
            self._context,
            self,
            create_and_queue,
            self._context.engine,
            self.s3_settings(),
            "export",
            request,
            on_done=self._started,
            on_error=self._failed_to_start,
        )

    def _failed_to_start(self, exc: BaseException) -> None:
        self._starting = False
        self._update_buttons()
        self.state_label.setText(
            f"<span style='color:#c62828'>The export could not be started: {html.escape(readable_error(exc))}</span>"
        )

    def _started(self, result: tuple[str, str | None]) -> None:
        export_id, message = result
        self._starting = False
        self.export_id = export_id
        self._update_buttons()
        for box in self.findChildren(QGroupBox):
            box.setEnabled(False)
        self.progress.show()
        self.progress.setRange(0, 0)
        if message:
            self.state_label.setText(f"<span style='color:#e65100'>{html.escape(message)}</span>")
        else:
            self.state_label.setText("Export queued; it runs in the background (you may close this window).")
        self.export_started.emit(export_id)
        listener = getattr(self._context, "listener", None)
        if listener is not None:
            listener.job_changed.connect(self._job_changed)
        self._poll.start()
        self._refresh()

    def _job_changed(self, kind: str, job_id: str, _status: str) -> None:
        if kind == "export" and job_id == self.export_id:
            self._refresh()

    def _refresh(self) -> None:
        if self.export_id is None or self._polling:
            return
        self._polling = True
        start_task(
            self._context,
            self,
            load_export,
            self._context.engine,
            self.export_id,
            on_done=self._progress,
            on_error=self._progress_failed,
        )

    def _progress_failed(self, exc: BaseException) -> None:
        self._polling = False
        self.state_label.setText(f"Progress unavailable: {html.escape(readable_error(exc))}")

    def _progress(self, info: dict[str, Any]) -> None:
        self._polling = False
        total, done = info["total_rows"], info["row_count"] or 0
        if total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(min(int(done / max(total, 1) * 1000), 1000))
        if info["status"] not in FINISHED_STATUSES:
            if total:
                self.state_label.setText(f"Exporting: {done:,} of {total:,} rows written…")
            return
        self._poll.stop()
        self.result_info = info
        self.progress.setRange(0, 1000)
        self.progress.setValue(1000 if info["status"] == COMPLETED else self.progress.value())
        where = info.get("path_or_key") or ""
        if info["status"] == COMPLETED:
            size = format_size(info["size"]) if info.get("size") is not None else ""
            self.state_label.setText(
                f"<b>Export completed:</b> {done:,} rows, {size}<br>{html.escape(where)}"
            )
            is_s3 = where.startswith("s3://")
            self.open_folder_button.setVisible(not is_s3)
            self.copy_link_button.setVisible(is_s3)
            (self.copy_link_button if is_s3 else self.open_folder_button).setFocus()
        else:
            message = info.get("message") or info["status"]
            self.state_label.setText(f"<span style='color:#c62828'><b>Export {info['status']}:</b> {html.escape(message)}</span>")
        self.export_finished.emit(info["status"], info.get("message") or "")

    def open_folder(self) -> None:
        where = (self.result_info or {}).get("path_or_key") or ""
        if where and not where.startswith("s3://"):
            from contact360_desktop.ui.views.launch import open_local_path

            open_local_path(folder_of(where))

    def copy_link(self) -> None:
        if self.export_id is None:
            return
        self.copy_link_button.setEnabled(False)

        def done(url: str) -> None:
            self.copy_link_button.setEnabled(True)
            QGuiApplication.clipboard().setText(url)
            self.state_label.setText(self.state_label.text() + "<br>Download link copied (valid for one hour).")
            self.link_copied.emit(url)

        def failed(exc: BaseException) -> None:
            self.copy_link_button.setEnabled(True)
            self.state_label.setText(f"The link could not be made: {html.escape(readable_error(exc))}")

        start_task(
            self._context, self, presigned_link, self._context.engine, self.s3_settings(), self.export_id,
            on_done=done, on_error=failed,
        )

    def done(self, result: int) -> None:
        self._poll.stop()
        super().done(result)
