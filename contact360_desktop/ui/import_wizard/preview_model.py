"""A read-only table of the first records of a file, as the core reader reads them."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

_Index = QModelIndex | QPersistentModelIndex


class PreviewModel(QAbstractTableModel):
    """Columns are the header cells; rows the records (``RawRecord``), numbered by row and line."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._header: list[str] = []
        self._records: list[Any] = []

    def set_preview(self, header: list[str], records: list[Any]) -> None:
        self.beginResetModel()
        self._header = list(header)
        self._records = list(records)
        self.endResetModel()

    def clear(self) -> None:
        self.set_preview([], [])

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._records)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid():
            return 0
        widest = max((len(r.values) for r in self._records), default=0)
        return max(len(self._header), widest)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return self._header[section] if section < len(self._header) else f"(extra {section + 1})"
            if role == Qt.ItemDataRole.ToolTipRole and section >= len(self._header):
                return "A value beyond the last header column"
            return None
        if not 0 <= section < len(self._records):
            return None
        record = self._records[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return str(record.row_number)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"Row {record.row_number}, line {record.line_number} of the file"
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        values = self._records[index.row()].values
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            value = values[index.column()] if index.column() < len(values) else ""
            if role == Qt.ItemDataRole.DisplayRole:
                return value.replace("\r\n", " ⏎ ").replace("\n", " ⏎ ")
            return value if len(value) > 40 or "\n" in value else None
        return None
