"""LazyTableModel: the base of the Contacts and Companies models.

Rows come from PostgreSQL a page at a time (keyset paging, ``services.browse``)
on background threads: ``canFetchMore``/``fetchMore`` ask for the next page when
the view scrolls near the end; nothing ever loads a whole table. Changing the
search or the sort resets the model and fetches the first page again; results
of an outdated query are dropped (a generation counter).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from contact360_desktop.services import browse
from contact360_desktop.ui.background import first_line
from contact360_desktop.ui.context import AppContext

log = logging.getLogger(__name__)

#: The row's primary key (uuid.UUID).
IdRole = Qt.ItemDataRole.UserRole + 1
#: The raw value of the cell (not formatted for display).
RawValueRole = Qt.ItemDataRole.UserRole + 2

Index = QModelIndex | QPersistentModelIndex


class LazyTableModel(QAbstractTableModel):
    kind: browse.Kind = "contacts"
    noun = "row"
    noun_plural = "rows"
    #: Columns whose values are numbers (right-aligned).
    numeric_columns: frozenset[str] = frozenset()

    loading_changed = Signal(bool)
    count_changed = Signal()
    page_loaded = Signal(int)  # rows added
    first_page_loaded = Signal(float)  # seconds from reset to first rows shown
    errored = Signal(str)

    def __init__(
        self, context: AppContext, parent: Any = None, *, page_size: int = browse.DEFAULT_PAGE_SIZE
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.page_size = page_size
        self.columns = browse.columns(self.kind)
        self.query = browse.BrowseQuery(kind=self.kind)
        self.rows: list[dict[str, Any]] = []
        self.count: browse.RowCount | None = None
        self.last_error: str | None = None
        self.first_page_seconds: float | None = None
        self._after: tuple[Any, ...] | None = None
        self._exhausted = False
        self._fetching = False
        self._generation = 0
        self._reset_at = 0.0
        self.pages_fetched = 0
        if context.is_ready:
            self.reload()
        else:
            context.ready.connect(self.reload)

    # --- queries ------------------------------------------------------------------------------
    @property
    def loading(self) -> bool:
        return self._fetching

    @property
    def exhausted(self) -> bool:
        return self._exhausted

    def set_search(self, search: str) -> None:
        if search.strip() == self.query.search.strip():
            return
        self.query = browse.BrowseQuery(self.kind, search.strip(), self.query.sort, self.query.descending)
        self.reload()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns) or self.columns[column].sort is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        key = self.columns[column].key
        if (key, descending) == (self.query.sort, self.query.descending):
            return
        self.query = browse.BrowseQuery(self.kind, self.query.search, key, descending)
        self.reload()

    def sort_column(self) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == self.query.sort)

    def reload(self) -> None:
        """Forget the rows and fetch the first page (and the count) of the current query."""
        if not self.context.is_ready:
            return
        self._generation += 1
        self.beginResetModel()
        self.rows = []
        self._after = None
        self._exhausted = False
        self.count = None
        self.last_error = None
        self.first_page_seconds = None
        self.endResetModel()
        self._reset_at = time.perf_counter()
        self.count_changed.emit()
        self._fetching = False
        self._fetch()
        self._count()

    def refresh_count(self) -> None:
        self._count()

    def _fetch(self) -> None:
        if self._fetching or self._exhausted or not self.context.is_ready:
            return
        self._fetching = True
        self.loading_changed.emit(True)
        generation, query, after = self._generation, self.query, self._after
        self.context.run_in_background(
            self._load_page,
            query,
            after,
            on_done=lambda page: self._page_arrived(generation, page),
            on_error=lambda exc: self._page_failed(generation, exc),
        )

    def _load_page(self, query: browse.BrowseQuery, after: tuple[Any, ...] | None) -> browse.Page:
        assert self.context.engine is not None
        with self.context.engine.connect() as conn:
            return browse.fetch_page(conn, query, after, self.page_size)

    def _page_arrived(self, generation: int, page: browse.Page) -> None:
        if generation != self._generation:
            return  # an older query's page
        self._fetching = False
        self.pages_fetched += 1
        if page.rows:
            start = len(self.rows)
            self.beginInsertRows(QModelIndex(), start, start + len(page.rows) - 1)
            self.rows.extend(page.rows)
            self.endInsertRows()
        self._after = page.next_after
        self._exhausted = page.next_after is None
        if self.first_page_seconds is None:
            self.first_page_seconds = time.perf_counter() - self._reset_at
            self.first_page_loaded.emit(self.first_page_seconds)
        if self._exhausted and (self.count is None or not self.count.exact):
            # Everything is loaded: the count is now known exactly.
            self.count = browse.RowCount(len(self.rows), True)
            self.count_changed.emit()
        self.loading_changed.emit(False)
        self.page_loaded.emit(len(page.rows))

    def _page_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._fetching = False
        self.last_error = first_line(exc)
        log.warning("loading %s failed: %s", self.kind, exc)
        self.loading_changed.emit(False)
        self.errored.emit(self.last_error)

    def _count(self) -> None:
        generation, kind, filter_ = self._generation, self.kind, self.query.filter

        def count() -> browse.RowCount:
            assert self.context.engine is not None
            with self.context.engine.connect() as conn:
                return browse.count_rows(conn, kind, filter_)

        def counted(result: browse.RowCount) -> None:
            if generation != self._generation:
                return
            if self.count is not None and self.count.exact and self._exhausted:
                return  # fully loaded meanwhile: that count is exact
            self.count = result
            self.count_changed.emit()

        self.context.run_in_background(count, on_done=counted, on_error=lambda exc: None)

    # --- Qt model interface -------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted and not self._fetching and self.context.is_ready

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not parent.isValid():
            self._fetch()

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        column = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"Sort by {column.title.lower()}" if column.sort else f"{column.title} (not sortable)"
        if role == Qt.ItemDataRole.TextAlignmentRole and column.key in self.numeric_columns:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        key = self.columns[index.column()].key
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.display(key, row.get(key))
        if role == IdRole:
            return row["id"]
        if role == RawValueRole:
            return row.get(key)
        if role == Qt.ItemDataRole.TextAlignmentRole and key in self.numeric_columns:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def display(self, key: str, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            return value.astimezone().strftime("%Y-%m-%d %H:%M")
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    def row_id(self, row: int) -> Any:
        return self.rows[row]["id"]

