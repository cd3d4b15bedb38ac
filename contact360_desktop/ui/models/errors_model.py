"""A lazy table of one import job's row errors, filled page by page (keyset paging).

The model never queries anything itself: ``fetchMore`` emits :attr:`ErrorsModel.more_requested`
with the keyset position to continue after, the owner loads that page in the background and
hands it back with :meth:`ErrorsModel.append_page`. A generation number discards pages that
arrive after the filter changed.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPalette
from PySide6.QtWidgets import QApplication

from contact360_desktop.core.fields import ERROR, WARNING
from contact360_desktop.services.error_queries import ErrorRow

#: The ErrorRow behind a row (any column).
ErrorRowRole = Qt.ItemDataRole.UserRole + 1

COLUMNS: tuple[tuple[str, str], ...] = (
    ("row_number", "Row"),
    ("line_number", "Line"),
    ("severity", "Severity"),
    ("field", "Field"),
    ("message", "Message"),
    ("raw", "Raw values"),
)

_TOOLTIPS = {
    "row_number": "Data row in the file, 1-based, header excluded",
    "line_number": "Physical line of the file where the row starts",
    "severity": "error: the row was rejected; warning: the row was imported without this field",
    "field": "The field the problem is about",
    "message": "What is wrong",
    "raw": "The row as it was read from the file",
}

_Index = QModelIndex | QPersistentModelIndex


def format_raw(raw: dict[str, Any], limit: int = 300) -> str:
    """``Header=value`` pairs of a raw row on one line."""
    text = "; ".join(f"{k}={v}" for k, v in raw.items())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ErrorsModel(QAbstractTableModel):
    #: (generation, after-key or None): load the next page and call append_page.
    more_requested = Signal(int, object)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[ErrorRow] = []
        self._has_more = False
        self._loading = False
        self._generation = 0

    # -- paging -------------------------------------------------------------------------------
    @property
    def generation(self) -> int:
        return self._generation

    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def has_more(self) -> bool:
        return self._has_more

    def restart(self) -> int:
        """Forget every row (the filter changed); returns the new generation for the first page."""
        self.beginResetModel()
        self._rows = []
        self._generation += 1
        self._has_more = False
        self._loading = True
        self.endResetModel()
        return self._generation

    def append_page(self, generation: int, rows: list[ErrorRow], has_more: bool) -> bool:
        """Add a loaded page; False (and nothing changes) when it belongs to an older generation."""
        if generation != self._generation:
            return False
        self._loading = False
        self._has_more = has_more
        if rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()
        return True

    def page_failed(self, generation: int) -> None:
        """A page load failed: stop asking for more until the next restart."""
        if generation == self._generation:
            self._loading = False
            self._has_more = False

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._has_more and not self._loading

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        self._loading = True
        after = self._rows[-1].key if self._rows else None
        self.more_requested.emit(self._generation, after)

    # -- table --------------------------------------------------------------------------------
    def error_at(self, row: int) -> ErrorRow:
        return self._rows[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        key, label = COLUMNS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return label
        if role == Qt.ItemDataRole.ToolTipRole:
            return _TOOLTIPS[key]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        err = self._rows[index.row()]
        key = COLUMNS[index.column()][0]
        if role == ErrorRowRole:
            return err
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "raw":
                return format_raw(err.raw)
            if key == "field":
                return err.field or ""
            return getattr(err, key)
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "raw":
                return "\n".join(f"{k}: {v}" for k, v in err.raw.items()) or "(empty row)"
            if key == "message":
                return f"{err.message}\n(code: {err.code})"
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("row_number", "line_number"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and key == "severity":
            return QBrush(_severity_color(err.severity))
        return None


def _severity_color(severity: str) -> QColor:
    dark = QApplication.palette().color(QPalette.ColorRole.Base).lightness() < 128
    if severity == ERROR:
        return QColor("#ff6b6b" if dark else "#b00020")
    if severity == WARNING:
        return QColor("#ffc04d" if dark else "#8a5a00")
    return QApplication.palette().color(QPalette.ColorRole.Text)
