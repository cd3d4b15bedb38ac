"""A lazy table of one import job's row errors, filled page by page (keyset paging).

The model never queries anything itself: ``fetchMore`` emits :attr:`ErrorsModel.more_requested`
with the keyset position to continue after, the owner loads that page in the background and
hands it back with :meth:`ErrorsModel.append_page`. A generation number discards pages that
arrive after the filter changed.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPalette
from PySide6.QtWidgets import QApplication

from contact360_desktop.core.fields import ERROR, WARNING
from contact360_desktop.services.error_queries import ErrorRow
from contact360_desktop.ui.models.list_table import ALIGN_NUMBER, Index, ListTableModel

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

_ROW_PREFIX = re.compile(r"^Row [\d,]+ \(line [\d,]+\):\s*")


def short_message(message: str) -> str:
    """The message without its "Row 3 (line 4): " prefix (the table has columns for those)."""
    return _ROW_PREFIX.sub("", message, count=1)


def ordered_raw(raw: dict[str, Any], order: list[str] | None = None) -> list[tuple[str, Any]]:
    """The raw row's cells in file column order when known (JSONB does not keep key order)."""
    if not order:
        return list(raw.items())
    position = {name: i for i, name in enumerate(order)}
    return sorted(raw.items(), key=lambda kv: (position.get(kv[0], len(position)), kv[0]))


def format_raw(raw: dict[str, Any], limit: int = 300, order: list[str] | None = None) -> str:
    """``Header=value`` pairs of a raw row's non-empty cells on one line."""
    text = "; ".join(f"{k}={v}" for k, v in ordered_raw(raw, order) if str(v).strip())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ErrorsModel(ListTableModel):
    COLUMNS = COLUMNS

    #: (generation, after-key or None): load the next page and call append_page.
    more_requested = Signal(int, object)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._has_more = False
        self._loading = False
        self._generation = 0
        self._order: list[str] | None = None

    def set_column_order(self, order: list[str] | None) -> None:
        """The file's header, to show raw values in column order."""
        self._order = list(order) if order else None
        if self.rows:
            raw = COLUMNS.index(("raw", "Raw values"))
            self.dataChanged.emit(self.index(0, raw), self.index(len(self.rows) - 1, raw))

    @property
    def column_order(self) -> list[str] | None:
        return self._order

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
        self._generation += 1
        self._has_more = False
        self._loading = True
        self.set_rows([])
        return self._generation

    def append_page(self, generation: int, rows: list[ErrorRow], has_more: bool) -> bool:
        """Add a loaded page; False (and nothing changes) when it belongs to an older generation."""
        if generation != self._generation:
            return False
        self._loading = False
        self._has_more = has_more
        self.append_rows(rows)
        return True

    def page_failed(self, generation: int) -> None:
        """A page load failed: stop asking for more until the next restart."""
        if generation == self._generation:
            self._loading = False
            self._has_more = False

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._has_more and not self._loading

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        self._loading = True
        after = self.rows[-1].key if self.rows else None
        self.more_requested.emit(self._generation, after)

    # -- table --------------------------------------------------------------------------------
    def error_at(self, row: int) -> ErrorRow:
        return self.rows[row]

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.ToolTipRole
            and 0 <= section < len(COLUMNS)
        ):
            return _TOOLTIPS[COLUMNS[section][0]]
        return super().headerData(section, orientation, role)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        err = self.rows[index.row()]
        key = COLUMNS[index.column()][0]
        if role == ErrorRowRole:
            return err
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "raw":
                return format_raw(err.raw, order=self._order)
            if key == "field":
                return err.field or ""
            if key == "message":
                return short_message(err.message)
            return getattr(err, key)
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "raw":
                return "\n".join(f"{k}: {v}" for k, v in ordered_raw(err.raw, self._order)) or "(empty row)"
            if key == "message":
                return f"{err.message}\n(code: {err.code})"
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("row_number", "line_number"):
            return ALIGN_NUMBER
        if role == Qt.ItemDataRole.ForegroundRole and key == "severity":
            return QBrush(severity_color(err.severity))
        return None


def severity_color(severity: str) -> QColor:
    dark = QApplication.palette().color(QPalette.ColorRole.Base).lightness() < 128
    if severity == ERROR:
        return QColor("#ff6b6b" if dark else "#b00020")
    if severity == WARNING:
        return QColor("#ffc04d" if dark else "#8a5a00")
    return QApplication.palette().color(QPalette.ColorRole.Text)
