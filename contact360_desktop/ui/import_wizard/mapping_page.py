"""Page 3: which column feeds which field; auto-mapped, templates applied, email required."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWizardPage,
)
from sqlalchemy.orm import Session

from contact360_desktop.core.fields import CONTACT_FIELDS
from contact360_desktop.core.mapping import CUSTOM, IGNORE, ColumnMapping, auto_map, header_signature
from contact360_desktop.storage.db import session_scope
from contact360_desktop.storage.models import MappingTemplate
from contact360_desktop.ui.import_wizard.support import readable_error, start_task

if TYPE_CHECKING:
    from contact360_desktop.ui.import_wizard.wizard import ImportWizard

#: The two columns an error CSV adds to the original ones (``contact360 errors --csv``).
ERROR_CSV_COLUMNS = ("row_number", "error")

METHOD_NAMES = {
    "exact": "the header is the field's name",
    "normalised": "the header is the field's name (ignoring case, spaces and punctuation)",
    "synonym": "a header name that contact exports (Outlook, Google, HubSpot, LinkedIn…) use for this field",
    "fuzzy": "a header that looks like a known name (fuzzy match): check it",
    "layout": "decided by the file's layout (e.g. Outlook's Title is the honorific)",
    "duplicate": "another column matched this field better; kept as a custom field",
    "unmapped": "no field matches this header; kept as a custom field",
    "user": "chosen by you or a saved mapping",
}

_SOURCE, _SAMPLE, _TARGET, _MATCH = range(4)


def field_label(field: str) -> str:
    return field.replace("_", " ").capitalize().replace("url", "URL").replace("Linkedin", "LinkedIn")


def confidence_mark(column: Any) -> tuple[str, str]:
    """(text, colour) of the confidence mark for a ColumnTarget."""
    if column.target == IGNORE:
        return ("ignored", "#888888")
    if column.target == CUSTOM:
        return ("custom field", "#888888")
    if column.method == "user":
        return ("✔ your choice", "#2e7d32")
    pct = round(column.confidence * 100)
    if column.confidence >= 0.95:
        return (f"✔ {pct}%", "#2e7d32")
    if column.confidence >= 0.85:
        return (f"✓ {pct}%", "#558b2f")
    return (f"? {pct}% — check", "#e65100")


def find_template(engine: Any, header: list[str], name: str | None) -> tuple[str, dict[str, Any]] | None:
    """The template named ``name``, or else the one saved for this header signature."""
    from contact360_desktop.services import templates

    with Session(engine) as session:
        found: MappingTemplate | None
        if name:
            found = templates.get_template(session, name)
        else:
            found = templates.template_for_header(session, header_signature(header))
        return None if found is None else (found.name, dict(found.mapping))


def store_template(engine: Any, name: str, header: list[str], mapping: dict[str, Any]) -> str:
    from contact360_desktop.services import templates

    with session_scope(engine) as session:
        templates.save_template(session, name, header_signature(header), mapping)
    return name.strip()


class MappingPage(QWizardPage):
    #: The mapping shown changed (a template or prefill was applied, or the user chose).
    mapping_changed = Signal(object)
    #: A template was applied automatically or saved (its name).
    template_applied = Signal(str)
    template_saved = Signal(str)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setTitle("Map the columns")
        self.setSubTitle("Each column of the file goes into a contact field, is kept as a custom field, or is ignored.")
        self._header: list[str] | None = None
        self._lookup_pending = False
        self._request = 0

        self.template_label = QLabel("", self)
        self.template_label.setWordWrap(True)
        self.save_button = QPushButton("&Save as template…", self)
        self.save_button.setToolTip("Remember this mapping; files with the same columns will use it automatically")
        self.reset_button = QPushButton("&Automatic mapping", self)
        self.reset_button.setToolTip("Forget the choices made here and map the columns automatically again")
        top = QHBoxLayout()
        top.addWidget(self.template_label, 1)
        top.addWidget(self.reset_button)
        top.addWidget(self.save_button)

        self.table = QTableWidget(0, 4, self)
        self.table.setHorizontalHeaderLabels(["Column in the file", "Sample values", "Maps to", "Match"])
        for column, tip in (
            (_MATCH, "How sure the automatic mapping is (hover a row for how it matched)"),
            (_SAMPLE, "The first values of the column in the preview"),
        ):
            item = self.table.horizontalHeaderItem(column)
            if item is not None:
                item.setToolTip(tip)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setAccessibleName("Column mapping")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(_SOURCE, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(_SAMPLE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(_TARGET, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(_MATCH, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(_MATCH, self.fontMetrics().horizontalAdvance("? 100% — check") + 16)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.combos: list[QComboBox] = []

        self.status_label = QLabel("", self)
        self.status_label.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status_label)

        self.save_button.clicked.connect(self._ask_template_name)
        self.reset_button.clicked.connect(self._reset)

    def wizard(self) -> ImportWizard:  # type: ignore[override]
        return super().wizard()  # type: ignore[return-value]

    # -- wizard hooks -----------------------------------------------------------------------------------
    def initializePage(self) -> None:
        wizard = self.wizard()
        info = wizard.file_info
        if info is None:
            return
        if self._header == info.header and wizard.mapping is not None:
            self._show(wizard.mapping)
            return
        self._header = list(info.header)
        prefill = wizard.prefill_mapping()
        if prefill is not None:
            self._set_mapping(self._without_error_columns(prefill.resolve(info.header)))
            self.template_label.setText("The mapping of the earlier import is applied.")
            return
        self._set_mapping(self._without_error_columns(auto_map(info.header)))
        self.template_label.setText("Columns mapped automatically. Looking for a saved template…")
        self._lookup_pending = True
        self._request += 1
        request = self._request
        start_task(
            wizard.context,
            self,
            find_template,
            wizard.context.engine,
            list(info.header),
            wizard.prefill_template(),
            on_done=lambda found: self._template_found(request, found),
            on_error=lambda exc: self._template_failed(request, exc),
        )
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        mapping = self.wizard().mapping if self.wizard() else None
        return mapping is not None and mapping.has_email and not self._lookup_pending

    # -- mapping ----------------------------------------------------------------------------------------
    @property
    def lookup_pending(self) -> bool:
        return self._lookup_pending

    def mapping(self) -> ColumnMapping | None:
        return self.wizard().mapping

    def set_target(self, column: int | str, target: str) -> None:
        """What choosing ``target`` in a column's dropdown does."""
        mapping = self.wizard().mapping
        if mapping is None:
            return
        self._set_mapping(mapping.with_target(column, target))

    def _without_error_columns(self, mapping: ColumnMapping) -> ColumnMapping:
        sources = mapping.sources
        if tuple(sources[-2:]) == ERROR_CSV_COLUMNS:
            for name in ERROR_CSV_COLUMNS:
                if mapping.columns[sources.index(name)].target != IGNORE:
                    mapping = mapping.with_target(name, IGNORE)
        return mapping

    def _set_mapping(self, mapping: ColumnMapping) -> None:
        self.wizard().mapping = mapping
        self._show(mapping)
        self.mapping_changed.emit(mapping)
        self.completeChanged.emit()

    def _template_found(self, request: int, found: tuple[str, dict[str, Any]] | None) -> None:
        if request != self._request:
            return
        self._lookup_pending = False
        info = self.wizard().file_info
        if found is not None and info is not None:
            name, data = found
            try:
                mapping = ColumnMapping.from_json(data).resolve(info.header)
            except ValueError as exc:
                self.template_label.setText(f"Template '{name}' could not be applied: {readable_error(exc)}")
            else:
                self.wizard().template_name = name
                self._set_mapping(self._without_error_columns(mapping))
                self.template_label.setText(f"<b>Template '{name}' applied.</b> Change any column below if needed.")
                self.template_applied.emit(name)
        else:
            self.template_label.setText("Columns mapped automatically (no saved template matches these columns).")
        self.completeChanged.emit()

    def _template_failed(self, request: int, exc: BaseException) -> None:
        if request != self._request:
            return
        self._lookup_pending = False
        self.template_label.setText(f"Columns mapped automatically. (Templates could not be read: {readable_error(exc)})")
        self.completeChanged.emit()

    def _reset(self) -> None:
        info = self.wizard().file_info
        if info is not None:
            self.wizard().template_name = None
            self._set_mapping(self._without_error_columns(auto_map(info.header)))
            self.template_label.setText("Columns mapped automatically.")

    # -- templates --------------------------------------------------------------------------------------
    def _ask_template_name(self) -> None:
        wizard = self.wizard()
        suggested = wizard.template_name or ""
        name, ok = QInputDialog.getText(
            self, "Save as template", "Template name (files with the same columns will use it):", text=suggested
        )
        if ok and name.strip():
            self.save_template(name.strip())

    def save_template(self, name: str) -> None:
        wizard = self.wizard()
        mapping, info = wizard.mapping, wizard.file_info
        if mapping is None or info is None:
            return
        self.save_button.setEnabled(False)

        def done(saved: str) -> None:
            self.save_button.setEnabled(True)
            wizard.template_name = saved
            self.template_label.setText(f"<b>Template '{saved}' saved.</b> Files with these columns will use it.")
            self.template_saved.emit(saved)

        def failed(exc: BaseException) -> None:
            self.save_button.setEnabled(True)
            self.template_label.setText(f"The template could not be saved: {readable_error(exc)}")

        start_task(
            wizard.context,
            self,
            store_template,
            wizard.context.engine,
            name,
            list(info.header),
            mapping.to_json(),
            on_done=done,
            on_error=failed,
        )

    # -- table ------------------------------------------------------------------------------------------
    def _samples(self, column: int) -> str:
        info = self.wizard().file_info
        if info is None:
            return ""
        values = []
        for record in info.records:
            if column < len(record.values) and record.values[column].strip():
                values.append(record.values[column].strip().replace("\n", " "))
            if len(values) == 3:
                break
        return " · ".join(values)

    def _show(self, mapping: ColumnMapping) -> None:
        columns = mapping.columns
        if self.table.rowCount() != len(columns):
            self._build_rows(mapping)
        for row, column in enumerate(columns):
            combo = self.combos[row]
            combo.blockSignals(True)
            combo.setCurrentIndex(max(combo.findData(column.target), 0))
            combo.blockSignals(False)
            text, colour = confidence_mark(column)
            item = QTableWidgetItem(text)
            item.setForeground(QBrush(colour))
            how = METHOD_NAMES.get(column.method, column.method)
            item.setToolTip(f"{how}\nconfidence {column.confidence:.0%}" if column.target not in (CUSTOM, IGNORE) else how)
            self.table.setItem(row, _MATCH, item)
            source_item = self.table.item(row, _SOURCE)
            if source_item is not None:
                font = source_item.font()
                font.setBold(column.target == "email")
                source_item.setFont(font)
        if mapping.has_email:
            source = mapping.source_for("email")
            self.status_label.setText(f"Contacts are identified by their email, from the column “{source}”.")
            self.status_label.setStyleSheet("")
        else:
            self.status_label.setText("Map one column to <b>Email</b> to continue: every contact needs an email address.")
            self.status_label.setStyleSheet("color: #c62828;")

    def _build_rows(self, mapping: ColumnMapping) -> None:
        self.table.setRowCount(0)
        self.combos = []
        self.table.setRowCount(len(mapping.columns))
        for row, column in enumerate(mapping.columns):
            source = QTableWidgetItem(column.source or f"(column {row + 1})")
            source.setToolTip(f"Column {row + 1} of the file")
            self.table.setItem(row, _SOURCE, source)
            sample = QTableWidgetItem(self._samples(row))
            sample.setToolTip(sample.text())
            self.table.setItem(row, _SAMPLE, sample)
            combo = QComboBox(self.table)
            combo.addItem("Email (required)", "email")
            for field in CONTACT_FIELDS:
                if field != "email":
                    combo.addItem(field_label(field), field)
            combo.insertSeparator(combo.count())
            combo.addItem("Keep as custom field", CUSTOM)
            combo.addItem("Ignore", IGNORE)
            combo.setToolTip(f"Where the values of “{column.source}” go")
            combo.setAccessibleName(f"Target of column {column.source}")
            combo.activated.connect(lambda _i, r=row, c=combo: self.set_target(r, str(c.currentData())))
            self.table.setCellWidget(row, _TARGET, combo)
            if self.combos:
                self.setTabOrder(self.combos[-1], combo)
            self.combos.append(combo)
        if self.combos:
            height = self.combos[0].sizeHint().height() + 4
            self.table.verticalHeader().setDefaultSectionSize(height)
            for row in range(self.table.rowCount()):
                self.table.setRowHeight(row, height)
