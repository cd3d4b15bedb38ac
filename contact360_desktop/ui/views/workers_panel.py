"""The Workers panel: queue depths, worker processes, and the local pool with start/stop."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from contact360_desktop.ui.context import (
    POOL_FAILED,
    POOL_RUNNING,
    POOL_STARTING,
    POOL_STOPPED,
    POOL_STOPPING,
    POOL_UNAVAILABLE,
    AppContext,
)
from contact360_desktop.ui.models.workers_model import WorkersModel

log = logging.getLogger(__name__)

QUEUES = ("imports", "exports", "default")


def read_monitor(context: AppContext) -> dict[str, Any]:
    """Queue depths and workers from the task layer's monitor (background thread)."""
    from contact360_desktop.storage.db import session_scope
    from contact360_desktop.tasks import monitor  # the task layer loads on first use

    assert context.engine is not None
    depths: dict[str, int] | None = None
    depth_error = None
    try:
        depths = dict(monitor.queue_depths(context.settings))
    except Exception as exc:  # broker unreachable: show why, keep the rest
        depth_error = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    with session_scope(context.engine) as session:
        workers = list(monitor.list_workers(session))
    return {"depths": depths, "depth_error": depth_error, "workers": workers}


_POOL_TEXT = {
    POOL_UNAVAILABLE: "Local worker pool: unavailable",
    POOL_STARTING: "Local worker pool: starting…",
    POOL_RUNNING: "Local worker pool: running",
    POOL_STOPPING: "Local worker pool: stopping…",
    POOL_STOPPED: "Local worker pool: stopped",
    POOL_FAILED: "Local worker pool: failed",
}


class WorkersPanel(QDockWidget):
    def __init__(
        self, context: AppContext, parent: QWidget | None = None, *, interval_ms: int = 2000
    ) -> None:
        super().__init__("Workers", parent)
        self.setObjectName("workersPanel")
        self.context = context
        self.model = WorkersModel(self)
        self.depths: dict[str, int] | None = None
        self._busy = False

        self.pool_label = QLabel(self)
        self.pool_label.setObjectName("poolState")
        self.pool_button = QPushButton("Start local workers", self)
        self.pool_button.setObjectName("poolButton")
        self.pool_button.setToolTip(
            "The local worker pool runs imports and exports on this computer.\n"
            "Stop it when other machines run `contact360 worker` for you."
        )
        self.pool_button.clicked.connect(self._toggle_pool)
        pool_row = QHBoxLayout()
        pool_row.addWidget(self.pool_label, 1)
        pool_row.addWidget(self.pool_button)

        self.queues = QTableWidget(len(QUEUES), 2, self)
        self.queues.setObjectName("queueDepths")
        self.queues.setHorizontalHeaderLabels(["Queue", "Waiting tasks"])
        self.queues.verticalHeader().setVisible(False)
        self.queues.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.queues.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.queues.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.queues.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.queues.setFixedWidth(260)
        self.queues.setToolTip(
            "Tasks waiting in each queue (imports run before exports, exports before the rest)"
        )
        for row, name in enumerate(QUEUES):
            self.queues.setItem(row, 0, QTableWidgetItem(name))
            item = QTableWidgetItem("—")
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.queues.setItem(row, 1, item)
        row_height = self.queues.verticalHeader().defaultSectionSize()
        self.queues.setFixedHeight(
            self.queues.horizontalHeader().sizeHint().height() + row_height * len(QUEUES) + 2 * self.queues.frameWidth() + 2
        )
        self.queue_note = QLabel(self)
        self.queue_note.setObjectName("queueNote")
        self.queue_note.setWordWrap(True)

        self.view = QTableView(self)
        self.view.setObjectName("workersView")
        self.view.setModel(self.model)
        self.view.verticalHeader().setVisible(False)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.view.horizontalHeader()
        header.setStretchLastSection(True)
        # A handful of rows: sizing the columns to their contents is cheap and truncates nothing.
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setMinimumSectionSize(60)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.empty = QLabel("No worker processes are running.", self)
        self.empty.setObjectName("workersEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.addLayout(pool_row)
        # Queues on the left, worker processes on the right: both visible in a low dock.
        queues_column = QVBoxLayout()
        queues_column.addWidget(QLabel("Queues", self))
        queues_column.addWidget(self.queues)
        queues_column.addWidget(self.queue_note)
        queues_column.addStretch(1)
        workers_column = QVBoxLayout()
        self.workers_heading = QLabel("Worker processes", self)
        workers_column.addWidget(self.workers_heading)
        workers_column.addWidget(self.view, 1)
        workers_column.addWidget(self.empty, 1)
        columns = QHBoxLayout()
        columns.addLayout(queues_column)
        columns.addLayout(workers_column, 1)
        layout.addLayout(columns, 1)
        self.view.hide()
        self.setWidget(body)

        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.refresh)
        context.pool_state_changed.connect(self._pool_changed)
        context.ready.connect(lambda: self._pool_changed(context.pool_state, context.pool_detail))
        self._pool_changed(context.pool_state, context.pool_detail)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.timer.start()
        self.refresh()

    def hideEvent(self, event: Any) -> None:
        super().hideEvent(event)
        self.timer.stop()  # nothing to watch while hidden

    # --- data ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.context.refresh_pool_state()
        if self._busy or not self.context.is_ready:
            return
        self._busy = True
        self.context.run_in_background(read_monitor, self.context, on_done=self._show, on_error=self._failed)

    def _show(self, snapshot: dict[str, Any]) -> None:
        self._busy = False
        self.depths = snapshot["depths"]
        for row, name in enumerate(QUEUES):
            value = "—" if self.depths is None else f"{self.depths.get(name, 0):,}"
            item = self.queues.item(row, 1)
            if item is not None:
                item.setText(value)
        self.queue_note.setText(
            f"Queue depths unavailable: {snapshot['depth_error']}" if snapshot["depth_error"] else ""
        )
        self.queue_note.setVisible(bool(snapshot["depth_error"]))
        self.model.set_workers(snapshot["workers"])
        self.empty.setVisible(self.model.rowCount() == 0)
        self.view.setVisible(self.model.rowCount() > 0)

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self.queue_note.setText(
            f"Could not read the workers: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}"
        )
        self.queue_note.show()

    # --- pool ---------------------------------------------------------------------------------
    def _pool_changed(self, state: str, detail: str) -> None:
        text = _POOL_TEXT.get(state, f"Local worker pool: {state}")
        self.pool_label.setText(f"{text} ({detail})" if detail else text)
        self.pool_label.setToolTip(detail)
        self.pool_button.setText(
            "Stop local workers" if state in (POOL_RUNNING, POOL_STOPPING) else "Start local workers"
        )
        self.pool_button.setEnabled(
            state in (POOL_RUNNING, POOL_STOPPED, POOL_FAILED) and self.context.is_ready
        )
        self.refresh()

    def _toggle_pool(self) -> None:
        if self.context.pool_state == POOL_RUNNING:
            self.context.stop_pool()
        else:
            self.context.start_pool()
