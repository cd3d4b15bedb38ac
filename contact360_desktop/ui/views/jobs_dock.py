"""The Jobs dock: this user's imports and exports with live progress and the actions on them."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from contact360_desktop.ui.background import first_line
from contact360_desktop.ui.context import AppContext
from contact360_desktop.ui.models.jobs_model import ACTIVE, COLUMN_INDEX, FINISHED, JobsModel
from contact360_desktop.ui.views import job_actions, launch
from contact360_desktop.ui.views.progress_delegate import ProgressDelegate

log = logging.getLogger(__name__)


class JobsDock(QDockWidget):
    """Dock listing jobs; ``status_message`` reports the outcome of actions to the status bar."""

    status_message = Signal(str)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Jobs", parent)
        self.setObjectName("jobsDock")
        self.context = context
        self.model = JobsModel(context, self)

        self.view = QTableView(self)
        self.view.setObjectName("jobsView")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 12)
        self.view.setItemDelegateForColumn(COLUMN_INDEX["progress"], ProgressDelegate(self.view))
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.doubleClicked.connect(lambda _: self.default_action())
        header = self.view.horizontalHeader()
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        for key, width in (
            ("name", 230),
            ("status", 110),
            ("progress", 250),
            ("rate", 70),
            ("eta", 70),
            ("inserted", 80),
            ("updated", 80),
            ("rejected", 75),
            ("warnings", 75),
            ("created_at", 140),
        ):
            header.resizeSection(COLUMN_INDEX[key], width)

        self.toolbar = QToolBar("Job actions", self)
        self.toolbar.setObjectName("jobActions")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.cancel_action = self._action("Cancel", "Stop this job after the batch in progress", self.cancel)
        self.retry_action = self._action(
            "Retry", "Run this failed or cancelled job again (an import resumes where it stopped)", self.retry
        )
        self.errors_action = self._action(
            "Errors…", "Show the rows this import rejected or warned about", self.open_errors
        )
        self.reimport_action = self._action(
            "Re-import…",
            "Open the import wizard on this file with the same mapping and options",
            self.reimport,
        )
        self.open_file_action = self._action("Open file", "Open the exported file", self.open_file)
        self.open_folder_action = self._action(
            "Open folder", "Show the folder of the exported file", self.open_folder
        )
        self.copy_url_action = self._action(
            "Copy S3 URL", "Copy the s3:// address of the exported file", self.copy_url
        )
        for action in self.actions():
            self.toolbar.addAction(action)

        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        self.empty = QLabel("No imports or exports yet — Import a CSV (Ctrl+I)", body)
        self.empty.setObjectName("jobsEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget(body)
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.empty)
        layout.addWidget(self.stack)
        self.setWidget(body)
        self.model.modelReset.connect(self._update_empty)
        self.model.rowsInserted.connect(self._update_empty)
        self.model.loaded.connect(self._update_empty)
        self._update_empty()

        self.view.selectionModel().selectionChanged.connect(self._update_actions)
        self.model.dataChanged.connect(self._update_actions)
        self.model.modelReset.connect(self._update_actions)
        self._update_actions()

    def _update_empty(self, *_: Any) -> None:
        if self.context.is_ready:
            self.empty.setText("No imports or exports yet — Import a CSV (Ctrl+I)")
        else:
            self.empty.setText("Jobs appear here once the database is ready.")
        self.stack.setCurrentWidget(self.view if self.model.rowCount() else self.empty)

    def _action(self, text: str, tip: str, slot: Any) -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    # --- selection ----------------------------------------------------------------------------
    def selected_job(self) -> dict[str, Any] | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.job_at(rows[0].row()) if rows else None

    def select_job(self, kind: str, job_id: str) -> None:
        row = self.model.row_of(kind, job_id)
        if row is not None:
            self.view.selectRow(row)

    def _update_actions(self, *_: Any) -> None:
        job = self.selected_job()
        kind = job["kind"] if job else None
        status = job["status"] if job else None
        local = bool(job and job_actions.local_export_path(job))
        self.cancel_action.setEnabled(bool(job and status in ACTIVE and not job.get("cancel_requested")))
        self.retry_action.setEnabled(bool(job and status in ("failed", "cancelled")))
        self.errors_action.setEnabled(kind == "import")
        self.reimport_action.setEnabled(bool(kind == "import" and job and job.get("file_path")))
        self.open_file_action.setEnabled(kind == "export" and status == "completed" and local)
        self.open_folder_action.setEnabled(kind == "export" and status == "completed" and local)
        self.copy_url_action.setEnabled(
            bool(kind == "export" and status == "completed" and job and job_actions.s3_url(job))
        )

    def _context_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if not index.isValid():
            return
        self.view.selectRow(index.row())
        menu = QMenu(self)
        for action in self.actions():
            if action.isEnabled():
                menu.addAction(action)
        if not menu.isEmpty():
            menu.exec(self.view.viewport().mapToGlobal(pos))

    def default_action(self) -> None:
        job = self.selected_job()
        if job is None:
            return
        if (
            job["kind"] == "import"
            and job["status"] in FINISHED
            and (job.get("rejected") or job.get("warnings"))
        ):
            self.open_errors()
        elif job["kind"] == "export" and job["status"] == "completed" and job_actions.local_export_path(job):
            self.open_folder()

    # --- actions ------------------------------------------------------------------------------
    def _done(self, message: str) -> Any:
        def done(_: Any) -> None:
            self.status_message.emit(message)

        return done

    def _failed(self, what: str) -> Any:
        def failed(exc: BaseException) -> None:
            QMessageBox.warning(self, what, first_line(exc))

        return failed

    def cancel(self) -> None:
        job = self.selected_job()
        if job is None:
            return
        self.context.run_in_background(
            job_actions.cancel_job,
            self.context,
            job["kind"],
            job["id"],
            on_done=self._done(f"Cancelling {job['name']}…"),
            on_error=self._failed("Could not cancel the job"),
        )

    def retry(self) -> None:
        job = self.selected_job()
        if job is None:
            return
        self.context.run_in_background(
            job_actions.retry_job,
            self.context,
            job["kind"],
            job["id"],
            on_done=self._done(f"Retrying {job['name']}"),
            on_error=self._failed("Could not retry the job"),
        )

    def open_errors(self) -> None:
        job = self.selected_job()
        if job is not None and job["kind"] == "import":
            launch.open_error_browser(self.context, job["id"], parent=self.window())

    def reimport(self) -> None:
        job = self.selected_job()
        if job is None or job["kind"] != "import":
            return
        prefill = dict(job.get("options") or {})
        prefill.setdefault("job_id", job["id"])
        launch.open_import_wizard(
            self.context, parent=self.window(), path=job.get("file_path"), prefill=prefill
        )

    def open_file(self) -> None:
        job = self.selected_job()
        path = job_actions.local_export_path(job) if job else None
        if path and not launch.open_local_path(path):
            QMessageBox.warning(self, "Could not open the file", f"No program opened {path}.")

    def open_folder(self) -> None:
        job = self.selected_job()
        path = job_actions.local_export_path(job) if job else None
        if path and not launch.open_local_path(Path(path).parent):
            QMessageBox.warning(self, "Could not open the folder", f"No program opened {Path(path).parent}.")

    def copy_url(self) -> None:
        job = self.selected_job()
        url = job_actions.s3_url(job) if job else None
        if url:
            QGuiApplication.clipboard().setText(url)
            self.status_message.emit(f"Copied {url}")
