"""The rows the validate page found problems with (``core.records.RowIssue``), in file order."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush

from contact360_desktop.ui.models.errors_model import format_raw, severity_color, short_message
from contact360_desktop.ui.models.list_table import ALIGN_NUMBER, Index, ListTableModel

COLUMNS: tuple[tuple[str, str], ...] = (
    ("row_number", "Row"),
    ("line_number", "Line"),
    ("severity", "Severity"),
    ("field", "Field"),
    ("message", "Why"),
    ("raw", "Raw values"),
)


class IssuesModel(ListTableModel):
    COLUMNS = COLUMNS

    def clear(self) -> None:
        self.set_rows([])

    def append(self, issues: list[Any]) -> None:
        self.append_rows(issues)

    def issue_at(self, row: int) -> Any:
        return self.rows[row]

    def issues(self) -> list[Any]:
        return list(self.rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        issue = self.rows[index.row()]
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
            return ALIGN_NUMBER
        return None
