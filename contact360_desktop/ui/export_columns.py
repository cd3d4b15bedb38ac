"""A checkable, re-orderable list of export columns (drag, or the Up/Down buttons), with presets."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from contact360_desktop.core.export_format import ALL_CUSTOM, DEFAULT_COLUMNS, available_columns

NameRole = Qt.ItemDataRole.UserRole + 1

_DESCRIPTIONS = {
    ALL_CUSTOM: "Every custom field present in the exported contacts, one column per key",
    "id": "The record's id in Contact360",
    "company_id": "The id of the contact's company",
    "created_by_job": "The import job that created the contact",
    "contact_count": "How many contacts belong to the company",
}


def column_names(kind: str) -> list[str]:
    """Every column the user can choose for ``kind``, defaults first in canonical order."""
    names = list(DEFAULT_COLUMNS[kind]) + [n for n in available_columns(kind) if n not in DEFAULT_COLUMNS[kind]]
    if kind == "contacts":
        names.append(ALL_CUSTOM)
    return names


def column_label(name: str) -> str:
    return "custom fields (all)" if name == ALL_CUSTOM else name


class ExportColumnList(QWidget):
    """``columns()`` is the checked names in list order."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = "contacts"
        self.list = QListWidget(self)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setAccessibleName("Columns to export")
        self.list.setToolTip("Tick the columns to export; drag them (or use Up/Down) to change their order")
        self.up_button = QPushButton("&Up", self)
        self.up_button.setToolTip("Move the selected column up (Alt+Up)")
        self.down_button = QPushButton("Do&wn", self)
        self.down_button.setToolTip("Move the selected column down (Alt+Down)")
        self.canonical_button = QPushButton("&Canonical", self)
        self.canonical_button.setToolTip(
            "The standard columns in the standard order: the file re-imports into Contact360 without any mapping"
        )
        self.all_button = QPushButton("&All", self)
        self.all_button.setToolTip("Tick every column")
        self.none_button = QPushButton("&None", self)
        self.none_button.setToolTip("Untick every column")
        buttons = QVBoxLayout()
        for button in (self.up_button, self.down_button, self.canonical_button, self.all_button, self.none_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)

        self.up_button.clicked.connect(lambda: self.move_current(-1))
        self.down_button.clicked.connect(lambda: self.move_current(1))
        self.canonical_button.clicked.connect(self.apply_canonical)
        self.all_button.clicked.connect(lambda: self._check_all(True))
        self.none_button.clicked.connect(lambda: self._check_all(False))
        for keys, step in (("Alt+Up", -1), ("Alt+Down", 1)):
            shortcut = QShortcut(QKeySequence(keys), self.list, lambda s=step: self.move_current(s))
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        self.list.itemChanged.connect(lambda _item: self.changed.emit())
        self.list.model().rowsMoved.connect(lambda *_args: self.changed.emit())

    def set_kind(self, kind: str) -> None:
        self.kind = kind
        self.list.blockSignals(True)
        self.list.clear()
        for name in column_names(kind):
            item = QListWidgetItem(column_label(name))
            item.setData(NameRole, name)
            item.setFlags(
                Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsUserCheckable
                | Qt.ItemFlag.ItemIsDragEnabled
            )
            item.setCheckState(Qt.CheckState.Checked if name in DEFAULT_COLUMNS[kind] else Qt.CheckState.Unchecked)
            if name in _DESCRIPTIONS:
                item.setToolTip(_DESCRIPTIONS[name])
            self.list.addItem(item)
        self.list.blockSignals(False)
        self.list.setCurrentRow(0)
        self.changed.emit()

    def _items(self) -> list[QListWidgetItem]:
        return [self.list.item(i) for i in range(self.list.count())]

    def columns(self) -> list[str]:
        return [str(item.data(NameRole)) for item in self._items() if item.checkState() == Qt.CheckState.Checked]

    def set_columns(self, names: list[str]) -> None:
        """Tick exactly ``names``, in that order, at the top of the list."""
        self.list.blockSignals(True)
        by_name = {str(item.data(NameRole)): item for item in self._items()}
        rest = [n for n in by_name if n not in names]
        taken = [self.list.takeItem(0) for _ in range(self.list.count())]
        del taken
        for name in [*[n for n in names if n in by_name], *rest]:
            item = by_name[name]
            item.setCheckState(Qt.CheckState.Checked if name in names else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        self.list.blockSignals(False)
        self.changed.emit()

    def apply_canonical(self) -> None:
        self.set_columns(list(DEFAULT_COLUMNS[self.kind]))

    def _check_all(self, checked: bool) -> None:
        self.list.blockSignals(True)
        for item in self._items():
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.list.blockSignals(False)
        self.changed.emit()

    def move_current(self, step: int) -> None:
        row = self.list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)
        self.changed.emit()
