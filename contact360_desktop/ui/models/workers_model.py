"""WorkersModel: live worker processes (host, pid, queues, current job, RSS) from the monitor."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from PySide6.QtCore import Qt

from contact360_desktop.ui.models.list_table import ALIGN_NUMBER, Index, ListTableModel

#: The worker as a dict.
WorkerRole = Qt.ItemDataRole.UserRole + 1

COLUMNS: tuple[tuple[str, str], ...] = (
    ("host", "Host"),
    ("pid", "PID"),
    ("queues", "Queues"),
    ("current_job", "Current job"),
    ("rss_bytes", "Memory (RSS)"),
    ("tasks_done", "Tasks done"),
    ("heartbeat_at", "Last heartbeat"),
)
_NUMERIC = {"pid", "rss_bytes", "tasks_done"}


def as_dict(worker: Any) -> dict[str, Any]:
    """A monitor's WorkerInfo (dataclass, mapping or object) as a plain dict."""
    if isinstance(worker, dict):
        return dict(worker)
    if dataclasses.is_dataclass(worker) and not isinstance(worker, type):
        return dataclasses.asdict(worker)
    return {key: getattr(worker, key, None) for key, _ in COLUMNS} | {
        "current_task": getattr(worker, "current_task", None)
    }


def format_bytes(n: int | None) -> str:
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit in ("B", "KB") else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{n} B"


class WorkersModel(ListTableModel):
    COLUMNS = COLUMNS

    def set_workers(self, workers: list[Any]) -> None:
        self.set_rows([as_dict(w) for w in workers])

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        worker = self.rows[index.row()]
        key = COLUMNS[index.column()][0]
        if role == WorkerRole:
            return worker
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            value = worker.get(key)
            if key == "queues" and isinstance(value, list | tuple):
                return ", ".join(map(str, value))
            if key == "queues" and isinstance(value, str):  # "imports,exports,default" from the table
                return ", ".join(part.strip() for part in value.split(",") if part.strip())
            if key == "current_job":
                task = worker.get("current_task")
                if value is None and not task:
                    return "idle"
                kind = (
                    "import" if task and "import" in task else "export" if task and "export" in task else task
                )
                return f"{kind or 'job'} {str(value)[:8] if value else ''}".strip()
            if key == "rss_bytes":
                return format_bytes(value)
            if isinstance(value, dt.datetime):
                return value.astimezone().strftime("%H:%M:%S")
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and key in _NUMERIC:
            return ALIGN_NUMBER
        return None
