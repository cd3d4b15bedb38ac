"""JobsModel: this user's imports and exports, newest first, kept live by the job listener.

A notification (``job_changed``) marks a job dirty; dirty jobs are re-read in
the background a moment later (coalesced, so a burst of batches costs one
query) and their row is updated in place, or inserted at the top when new.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal

from contact360_desktop.services import browse
from contact360_desktop.ui.context import AppContext
from contact360_desktop.ui.models.list_table import ALIGN_NUMBER, Index, ListTableModel

log = logging.getLogger(__name__)

#: The job as a dict (browse.list_jobs row plus "rate"/"eta").
JobRole = Qt.ItemDataRole.UserRole + 1
#: Progress 0..1, or -1 when the total is not known yet (busy indicator).
ProgressRole = Qt.ItemDataRole.UserRole + 2
#: "import" | "export".
KindRole = Qt.ItemDataRole.UserRole + 3

ACTIVE = ("pending", "processing")
FINISHED = ("completed", "failed", "cancelled")

COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "Job"),
    ("status", "Status"),
    ("progress", "Progress"),
    ("rate", "Rows/s"),
    ("eta", "ETA"),
    ("inserted", "Inserted"),
    ("updated", "Updated"),
    ("rejected", "Rejected"),
    ("warnings", "Warnings"),
    ("created_at", "Created"),
    ("message", "Message"),
)
COLUMN_INDEX = {key: i for i, (key, _) in enumerate(COLUMNS)}
_NUMERIC = {"rate", "inserted", "updated", "rejected", "warnings"}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def rate_and_eta(job: dict[str, Any], now: dt.datetime | None = None) -> tuple[float | None, float | None]:
    """Rows per second over the run so far and the seconds left (None when unknown)."""
    started = job.get("started_at")
    processed = job.get("processed_rows") or 0
    if started is None or processed <= 0:
        return None, None
    end = job.get("finished_at") or now or _now()
    elapsed = (end - started).total_seconds()
    if elapsed <= 0:
        return None, None
    rate = processed / elapsed
    total = job.get("total_rows")
    eta = None
    if job.get("status") in ACTIVE and total and rate > 0:
        eta = max(total - processed, 0) / rate
    return rate, eta


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


class JobsModel(ListTableModel):
    COLUMNS = COLUMNS

    #: A job reached completed/failed/cancelled while we watched it (job dict, previous status).
    job_finished = Signal(object, str)
    #: A job row was inserted or updated from the database (kind, id).
    job_updated = Signal(str, str)
    loaded = Signal()
    errored = Signal(str)

    def __init__(
        self, context: AppContext, parent: Any = None, *, limit: int = 200, coalesce_ms: int = 100
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.limit = limit
        self._row_of: dict[tuple[str, str], int] = {}
        self._dirty: set[tuple[str, str]] = set()
        self._loading_all = False
        self._coalesce = QTimer(self)
        self._coalesce.setSingleShot(True)
        self._coalesce.setInterval(coalesce_ms)
        self._coalesce.timeout.connect(self._refresh_dirty)
        # Running jobs' rates and ETAs move with the clock.
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._tick_active)
        self._tick.start()
        if context.is_ready:
            self._attach()
        else:
            context.ready.connect(self._attach)

    def _attach(self) -> None:
        listener = self.context.listener
        if listener is not None:
            listener.job_changed.connect(self.on_job_changed)
            listener.resync_requested.connect(self.reload)
        self.reload()

    # --- loading ------------------------------------------------------------------------------
    def reload(self) -> None:
        if not self.context.is_ready or self._loading_all:
            return
        self._loading_all = True
        user, limit = self.context.settings.user, self.limit

        def load() -> list[dict[str, Any]]:
            assert self.context.engine is not None
            with self.context.engine.connect() as conn:
                return browse.list_jobs(conn, user, limit)

        def failed(exc: BaseException) -> None:
            self._loading_all = False
            self.errored.emit(str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc))

        self.context.run_in_background(load, on_done=self._loaded, on_error=failed)

    def _loaded(self, jobs: list[dict[str, Any]]) -> None:
        self._loading_all = False
        old = {(j["kind"], str(j["id"])): j["status"] for j in self.rows}
        self.beginResetModel()
        self.rows = [self._decorate(j) for j in jobs]
        self._reindex()
        self.endResetModel()
        for job in self.rows:
            before = old.get((job["kind"], str(job["id"])))
            if before in ACTIVE and job["status"] in FINISHED:
                self.job_finished.emit(job, before)
        self.loaded.emit()

    def on_job_changed(self, kind: str, job_id: str, status: str = "") -> None:
        self._dirty.add((kind, job_id))
        if not self._coalesce.isActive():
            self._coalesce.start()

    def _refresh_dirty(self) -> None:
        if not self.context.is_ready or not self._dirty:
            return
        dirty, self._dirty = self._dirty, set()

        def load() -> list[tuple[str, str, dict[str, Any] | None]]:
            assert self.context.engine is not None
            with self.context.engine.connect() as conn:
                return [
                    (k, i, browse.get_job(conn, k, i))  # type: ignore[arg-type]
                    for k, i in sorted(dirty)
                    if k in ("import", "export")
                ]

        self.context.run_in_background(load, on_done=self._apply_updates, on_error=lambda exc: self.reload())

    def _apply_updates(self, results: list[tuple[str, str, dict[str, Any] | None]]) -> None:
        user = self.context.settings.user
        for kind, job_id, job in results:
            key = (kind, job_id)
            if job is None or job.get("user_id") != user:
                continue
            job = self._decorate(job)
            row = self._row_of.get(key)
            if row is None:
                self.beginInsertRows(QModelIndex(), 0, 0)
                self.rows.insert(0, job)
                self._reindex()
                self.endInsertRows()
            else:
                before = self.rows[row]["status"]
                self.rows[row] = job
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
                if before in ACTIVE and job["status"] in FINISHED:
                    self.job_finished.emit(job, before)
            self.job_updated.emit(kind, job_id)

    def _reindex(self) -> None:
        self._row_of = {(j["kind"], str(j["id"])): i for i, j in enumerate(self.rows)}

    def _decorate(self, job: dict[str, Any]) -> dict[str, Any]:
        job = dict(job)
        job["id"] = str(job["id"])
        job["rate"], job["eta"] = rate_and_eta(job)
        job["received_at"] = time.monotonic()
        return job

    def _tick_active(self) -> None:
        for row, job in enumerate(self.rows):
            if job["status"] == "processing":
                job["rate"], job["eta"] = rate_and_eta(job)
                self.dataChanged.emit(
                    self.index(row, COLUMN_INDEX["rate"]), self.index(row, COLUMN_INDEX["eta"])
                )

    # --- access -------------------------------------------------------------------------------
    def job_at(self, row: int) -> dict[str, Any] | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def row_of(self, kind: str, job_id: str) -> int | None:
        return self._row_of.get((kind, str(job_id)))

    # --- Qt model interface -------------------------------------------------------------------
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        job = self.rows[index.row()]
        key = COLUMNS[index.column()][0]
        if role == JobRole:
            return job
        if role == KindRole:
            return job["kind"]
        if role == ProgressRole:
            return self.progress(job)
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(job, key)
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "name":
                return job.get("file_path") or job.get("path_or_key") or job.get("destination") or job["name"]
            if key == "message":
                return job.get("message") or ""
            if key == "progress":
                progress = self.progress(job)
                shown = self.display(job, key)
                return f"{progress:.1%} — {shown} rows" if progress >= 0 else f"{shown} rows read"
            return self.display(job, key)
        if role == Qt.ItemDataRole.TextAlignmentRole and key in _NUMERIC:
            return ALIGN_NUMBER
        return None

    @staticmethod
    def progress(job: dict[str, Any]) -> float:
        if job["status"] == "completed":
            return 1.0
        total = job.get("total_rows")
        if not total:
            return -1.0 if job["status"] == "processing" else 0.0
        return min(1.0, (job.get("processed_rows") or 0) / total)

    def display(self, job: dict[str, Any], key: str) -> str:
        value = job.get(key)
        if key == "name":
            prefix = "Import" if job["kind"] == "import" else "Export"
            return f"{prefix}: {job['name']}"
        if key == "status":
            status = str(job["status"])
            if job.get("cancel_requested") and status in ACTIVE:
                return f"{status} (cancelling…)"
            return status
        if key == "progress":
            processed = job.get("processed_rows") or 0
            total = job.get("total_rows")
            return f"{processed:,} / {total:,}" if total else f"{processed:,}"
        if key == "rate":
            return f"{value:,.0f}" if value else ""
        if key == "eta":
            return format_duration(value) if value is not None else ""
        if key in ("inserted", "updated", "rejected", "warnings") and job["kind"] == "export":
            return ""  # an export has no such counts
        if key in _NUMERIC:
            return f"{value:,}" if value else ("0" if value == 0 else "")
        if isinstance(value, dt.datetime):
            return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        return "" if value is None else str(value)
