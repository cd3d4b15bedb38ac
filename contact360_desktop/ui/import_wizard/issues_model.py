"""The rows the validate page found problems with (``core.records.RowIssue``), in file order."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush

from contact360_desktop.ui.models.errors_model import format_raw, severity_color, short_message

_Index = QModelIndex | QPersistentModelIndex

COLUMNS: tuple[tuple[str, str], ...] = (
    ("row_number", "Row"),
    ("line_number", "Line"),
    ("severity", "Severity"),
    ("field", "Field"),
    ("message", "Why"),
    ("raw", "Raw values"),
)


class IssuesModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._issues: list[Any] = []

    def clear(self) -> None:
        self.beginResetModel()
        self._issues = []
        self.endResetModel()

    def append(self, issues: list[Any]) -> None:
        if not issues:
            return
        first = len(self._issues)
        self.beginInsertRows(QModelIndex(), first, first + len(issues) - 1)
        self._issues.extend(issues)
        self.endInsertRows()

    def issue_at(self, row: int) -> Any:
        return self._issues[row]

    def issues(self) -> list[Any]:
        return list(self._issues)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._issues)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        issue = self._issues[index.row()]
        key = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "raw":
                return format_raw(issue.raw)
            if key == "message":
                return short_message(issue.message)
            value = getattr(issue, key)
            return "" if value is None else value
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "raw":
                return "\n".join(f"{k}: {v}" for k, v in issue.raw.items())
            if key == "message":
                return f"{issue.message}\n(code: {issue.code})"
        if role == Qt.ItemDataRole.ForegroundRole and key == "severity":
            return QBrush(severity_color(issue.severity))
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("row_number", "line_number"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
