"""The details pane of the error browser: what is wrong with one row, and the row as a table.

The problem comes first (row, line, severity, field, the message and its code); below it the
row's cells as a two-column table, "Column | Value", in file order, with the cell(s) the
problem is about highlighted and empty cells shown as such.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont, QGuiApplication, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from contact360_desktop.core.fields import ERROR
from contact360_desktop.services.error_queries import ErrorRow
from contact360_desktop.ui.models.errors_model import ordered_raw, severity_color, short_message

__all__ = ["ErrorDetails", "columns_for_field"]

EMPTY = "(empty)"
_QUOTED_COLUMN = re.compile(r'column "([^"]+)"')


def columns_for_field(options: Mapping[str, Any] | None, field: str | None, message: str = "") -> set[str]:
    """The file columns a problem about ``field`` concerns: from the job's mapping, else the message."""
    found: set[str] = set()
    mapping = (options or {}).get("mapping")
    if field and isinstance(mapping, Mapping):
        columns = mapping.get("columns")
        if isinstance(columns, list):
            found = {
                str(c.get("source"))
                for c in columns
                if isinstance(c, Mapping) and c.get("target") == field and c.get("source") is not None
            }
        else:  # the simple {"Header": "target"} form
            found = {str(k) for k, v in mapping.items() if v == field}
    if not found:
        found = set(_QUOTED_COLUMN.findall(message))
    return found


class ErrorDetails(QWidget):
    """Shows one ErrorRow; ``show_error(None)`` returns to the placeholder."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Details of the selected row error")
        self._error: ErrorRow | None = None
        self._highlighted: set[str] = set()
        self._order: list[str] | None = None

        self.headline = QLabel(self)
        self.headline.setObjectName("errorHeadline")
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message = QLabel(self)
        self.message.setObjectName("errorMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.RichText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.values = QTableWidget(0, 2, self)
        self.values.setObjectName("errorValues")
        self.values.setAccessibleName("The row's values as read from the file")
        self.values.setHorizontalHeaderLabels(["Column", "Value"])
        self.values.verticalHeader().setVisible(False)
        self.values.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.values.verticalHeader().setDefaultSectionSize(self.values.fontMetrics().height() + 6)
        self.values.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.values.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.values.setWordWrap(False)
        self.values.setAlternatingRowColors(True)
        header = self.values.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        self.values.setToolTip(
            "The row as read from the file; the highlighted cell is the one with the problem"
        )
        QShortcut(QKeySequence(QKeySequence.StandardKey.Copy), self.values, self.copy_selection)

        self.placeholder = QLabel("Select a row to see what is wrong with it and its values.", self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setEnabled(False)

        content = QWidget(self)
        inner = QVBoxLayout(content)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.setSpacing(4)
        inner.addWidget(self.headline)
        inner.addWidget(self.message)
        inner.addWidget(self.values, 1)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.stack)

    @property
    def error(self) -> ErrorRow | None:
        return self._error

    @property
    def highlighted(self) -> set[str]:
        return set(self._highlighted)

    def clear(self) -> None:
        self.show_error(None)

    def show_error(
        self,
        err: ErrorRow | None,
        *,
        column_order: list[str] | None = None,
        highlight: Iterable[str] = (),
    ) -> None:
        self._error = err
        self._order = column_order
        self._highlighted = set(highlight)
        if err is None:
            self.values.setRowCount(0)
            self.stack.setCurrentIndex(0)
            return
        severity = (
            f'<span style="color:{severity_color(err.severity).name()}">{html.escape(err.severity)}</span>'
        )
        about = f" in <b>{html.escape(err.field)}</b>" if err.field else ""
        outcome = (
            "the row was rejected" if err.severity == ERROR else "the row was imported without this value"
        )
        self.headline.setText(
            f"<b>Row {err.row_number:,}</b> (line {err.line_number:,}) — <b>{severity}</b>{about}: {outcome}"
        )
        self.message.setText(
            f"{html.escape(short_message(err.message))} "
            f'<span style="color:{self.palette().color(QPalette.ColorRole.PlaceholderText).name()}">'
            f"[{html.escape(err.code)}]</span>"
        )
        cells = ordered_raw(err.raw, column_order)
        self.values.setRowCount(len(cells))
        bold = QFont(self.values.font())
        bold.setBold(True)
        mark = QBrush(self.palette().color(QPalette.ColorRole.Highlight).lighter(170))
        dim = QBrush(self.palette().color(QPalette.ColorRole.PlaceholderText))
        for row, (name, value) in enumerate(cells):
            text = "" if value is None else str(value)
            key_item = QTableWidgetItem(name)
            value_item = QTableWidgetItem(text if text.strip() else EMPTY)
            value_item.setToolTip(text)
            if not text.strip():
                italic = QFont(self.values.font())
                italic.setItalic(True)
                value_item.setFont(italic)
                value_item.setForeground(dim)
            if name in self._highlighted:
                for item in (key_item, value_item):
                    item.setBackground(mark)
                    item.setFont(bold)
                    item.setForeground(QBrush(self.palette().color(QPalette.ColorRole.Text)))
                key_item.setToolTip(f"The problem is about this column ({err.field or 'the row'})")
            self.values.setItem(row, 0, key_item)
            self.values.setItem(row, 1, value_item)
        self.stack.setCurrentIndex(1)
        for name in self._highlighted:
            rows = [i for i, (n, _) in enumerate(cells) if n == name]
            if rows:
                target = self.values.item(rows[0], 0)
                if target is not None:
                    self.values.scrollToItem(target, QAbstractItemView.ScrollHint.PositionAtCenter)
                break

    def toPlainText(self) -> str:
        """The details as text (what Copy puts on the clipboard with nothing selected)."""
        err = self._error
        if err is None:
            return ""
        lines = [
            f"Row {err.row_number:,} (line {err.line_number:,}) — {err.severity}"
            + (f" in {err.field}" if err.field else ""),
            f"{short_message(err.message)} [{err.code}]",
            "",
        ]
        for name, value in ordered_raw(err.raw, self._order):
            text = "" if value is None else str(value)
            lines.append(f"{name}: {text if text.strip() else EMPTY}")
        return "\n".join(lines)

    def copy_selection(self) -> None:
        rows = sorted({i.row() for i in self.values.selectedIndexes()})
        if not rows:
            QGuiApplication.clipboard().setText(self.toPlainText())
            return
        lines = []
        for row in rows:
            key, value = self.values.item(row, 0), self.values.item(row, 1)
            lines.append(f"{key.text() if key else ''}\t{value.toolTip() if value else ''}")
        QGuiApplication.clipboard().setText("\n".join(lines))
