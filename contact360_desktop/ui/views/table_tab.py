"""TableTab: a searchable, sortable lazy table with an empty state (base of Contacts/Companies)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from contact360_desktop.ui.context import DB_FAILED, AppContext
from contact360_desktop.ui.models.lazy_table import LazyTableModel

SEARCH_DEBOUNCE_MS = 300

# Pages of the stack.
_TABLE, _EMPTY, _MESSAGE = range(3)


class TableTab(QWidget):
    """Search box + lazy table + "select all matching"; reports counts via ``status_changed``."""

    status_changed = Signal(str)
    import_requested = Signal()

    model_class: type[LazyTableModel] = LazyTableModel
    search_placeholder = "Search…"
    search_tooltip = ""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.model = self.model_class(context, self)
        self.all_matching = False

        self.search = QLineEdit(self)
        self.search.setObjectName("search")
        self.search.setPlaceholderText(self.search_placeholder)
        self.search.setToolTip(self.search_tooltip)
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName(f"Search {self.model.noun_plural}")
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._apply_search)
        self.search.textChanged.connect(self._debounce.start)
        self.search.returnPressed.connect(self._apply_search)

        self.select_all_button = QPushButton(f"Select all matching {self.model.noun_plural}", self)
        self.select_all_button.setObjectName("selectAllMatching")
        self.select_all_button.setCheckable(True)
        self.select_all_button.setToolTip(
            f"Select every {self.model.noun} that matches the search, including rows not loaded yet.\n"
            "Exports then use the filter rather than a list of rows."
        )
        self.select_all_button.toggled.connect(self.set_all_matching)

        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.select_all_button)

        self.view = QTableView(self)
        self.view.setObjectName(f"{self.model.kind}View")
        self.view.setModel(self.model)
        # The indicator first: enabling sorting sorts by it (the fast default order, oldest first).
        self.view.horizontalHeader().setSortIndicator(self.model.sort_column(), Qt.SortOrder.AscendingOrder)
        self.view.setSortingEnabled(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 10)
        header = self.view.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        for i, width in enumerate(self.column_widths()):
            header.resizeSection(i, width)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)

        self.empty = QWidget(self)
        self.empty_label = QLabel(self.empty)
        self.empty_label.setObjectName("emptyState")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_button = QPushButton("Import a CSV…", self.empty)
        self.empty_button.setToolTip("Open the import wizard (Ctrl+I)")
        self.empty_button.clicked.connect(self.import_requested)
        empty_layout = QVBoxLayout(self.empty)
        empty_layout.addStretch(2)
        empty_layout.addWidget(self.empty_label)
        empty_layout.addWidget(self.empty_button, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addStretch(3)

        self.message = QLabel(self)
        self.message.setObjectName("stateMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)

        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.message)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)
        self.setFocusProxy(self.view)
        self.setTabOrder(self.search, self.select_all_button)
        self.setTabOrder(self.select_all_button, self.view)

        focus_search = QShortcut(QKeySequence.StandardKey.Find, self)
        focus_search.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        focus_search.activated.connect(self.focus_search)

        self.model.modelReset.connect(self._update_state)
        self.model.page_loaded.connect(self._page_loaded)
        self.model.loading_changed.connect(self._update_state)
        self.model.count_changed.connect(self._emit_status)
        self.model.errored.connect(self._update_state)
        context.db_state_changed.connect(self._update_state)
        self._update_state()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    # --- hooks --------------------------------------------------------------------------------
    def column_widths(self) -> list[int]:
        return [160] * len(self.model.columns)

    # --- search and selection -----------------------------------------------------------------
    def _apply_search(self) -> None:
        self._debounce.stop()
        self.set_all_matching(False)
        self.model.set_search(self.search.text())

    def set_all_matching(self, on: bool) -> None:
        if on == self.all_matching:
            return
        self.all_matching = on
        self.select_all_button.blockSignals(True)
        self.select_all_button.setChecked(on)
        self.select_all_button.blockSignals(False)
        if on:
            self.view.selectAll()
        self._emit_status()

    def _page_loaded(self, added: int) -> None:
        if self.all_matching and added:
            # Rows fetched while "all matching" is on are selected too.
            model = self.model
            first = model.rowCount() - added
            selection = QItemSelection(
                model.index(first, 0), model.index(model.rowCount() - 1, model.columnCount() - 1)
            )
            self.view.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.Select)
        self._update_state()

    def _selection_changed(self, *_: Any) -> None:
        if self.all_matching and len(self.view.selectionModel().selectedRows()) < self.model.rowCount():
            self.set_all_matching(False)
        self._emit_status()

    def selected_ids(self) -> list[Any]:
        rows = sorted({index.row() for index in self.view.selectionModel().selectedRows()})
        return [self.model.row_id(r) for r in rows]

    def current_selection(self) -> dict[str, Any]:
        """What an export takes: ``{"ids": [...]}`` for picked rows, else ``{"filter": {...}}``.

        With "select all matching" on, or nothing selected, it is the current filter (never a
        list of millions of ids).
        """
        if self.all_matching:
            return {"filter": dict(self.model.query.filter)}
        ids = self.selected_ids()
        if ids:
            return {"ids": ids}
        return {"filter": dict(self.model.query.filter)}

    # --- state and status ---------------------------------------------------------------------
    def _update_state(self, *_: Any) -> None:
        model = self.model
        noun = model.noun_plural
        if not self.context.is_ready:
            if self.context.db_state == DB_FAILED:
                self._show_message(f"The database is not available:\n{self.context.db_detail}")
            else:
                self._show_message("Starting database…")
        elif model.last_error and model.rowCount() == 0:
            self._show_message(f"Could not load {noun}:\n{model.last_error}")
        elif model.rowCount() == 0 and model.exhausted:
            if model.query.search:
                self.empty_label.setText(f"No {noun} match “{model.query.search}”.")
                self.empty_button.hide()
            else:
                self.empty_label.setText(f"No {noun} yet — Import a CSV (Ctrl+I)")
                self.empty_button.show()
            self.stack.setCurrentIndex(_EMPTY)
        elif model.rowCount() == 0:
            self._show_message(f"Loading {noun}…")
        else:
            self.stack.setCurrentIndex(_TABLE)
        self._emit_status()

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.stack.setCurrentIndex(_MESSAGE)

    def status_text(self) -> str:
        model = self.model
        if model.count is None:
            total = f"{model.rowCount():,}+ {model.noun_plural}" if model.rowCount() else ""
        elif not model.count.exact and model.query.search:
            # A filtered count that took too long: the planner's guess for a substring search is
            # unreliable, so say only what is known.
            total = f"{model.rowCount():,}+ {model.noun_plural}"
        else:
            n = model.count.value
            approx = "" if model.count.exact else "about "
            total = f"{approx}{n:,} {model.noun if n == 1 else model.noun_plural}"
        if model.query.search and total:
            total += " matching"
        if self.all_matching:
            what = f"all {model.count.value:,}" if model.count else "all"
            return f"{total} — {what} matching selected"
        selected = len(self.view.selectionModel().selectedRows())
        if selected:
            return f"{total} — {selected:,} selected"
        return total

    def _emit_status(self, *_: Any) -> None:
        self.status_changed.emit(self.status_text())

    def reload(self) -> None:
        self.model.reload()

    def index_of_row(self, row: int) -> QModelIndex:
        return self.model.index(row, 0)
