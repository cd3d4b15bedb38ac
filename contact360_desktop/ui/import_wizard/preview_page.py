"""Page 2: the first 50 records as the core reader reads them, the header row, skipped lines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QAbstractItemView, QLabel, QPlainTextEdit, QTableView, QVBoxLayout, QWizardPage

from contact360_desktop.ui.import_wizard.preview_model import PreviewModel
from contact360_desktop.ui.import_wizard.state import PREVIEW_ROWS

if TYPE_CHECKING:
    from contact360_desktop.ui.import_wizard.wizard import ImportWizard


#: Widest a preview column gets (the full value is in its tooltip / the cell).
MAX_COLUMN_WIDTH = 280

class PreviewPage(QWizardPage):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setTitle("Preview")
        self.setSubTitle(f"The first {PREVIEW_ROWS} rows exactly as the import will read them.")
        self.header_label = QLabel(self)
        self.header_label.setWordWrap(True)
        self.skipped_label = QLabel("Lines before the header (skipped):", self)
        self.skipped = QPlainTextEdit(self)
        self.skipped.setReadOnly(True)
        self.skipped.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.skipped.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.skipped.setMaximumHeight(self.skipped.fontMetrics().lineSpacing() * 5 + 16)
        self.skipped.setAccessibleName("Skipped lines")
        self.skipped.setToolTip("Notes or titles above the header row: they are not imported")
        self.model = PreviewModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setAccessibleName("Preview rows")
        self.table.verticalHeader().setToolTip("Row number (header excluded); hover for the line in the file")
        layout = QVBoxLayout(self)
        layout.addWidget(self.header_label)
        layout.addWidget(self.skipped_label)
        layout.addWidget(self.skipped)
        layout.addWidget(self.table, 1)

    def wizard(self) -> ImportWizard:  # type: ignore[override]
        return super().wizard()  # type: ignore[return-value]

    def initializePage(self) -> None:
        info = self.wizard().file_info
        if info is None:
            return
        self.header_label.setText(
            f"Header row detected on line {info.header_line}: {len(info.header)} columns "
            f"({', '.join(info.header[:8])}{'…' if len(info.header) > 8 else ''}). "
            f"Showing {len(info.records)} rows."
        )
        has_preamble = bool(info.preamble)
        self.skipped_label.setVisible(has_preamble)
        self.skipped.setVisible(has_preamble)
        self.skipped.setPlainText(
            "\n".join(f"line {i + 1}: {line}" for i, line in enumerate(info.preamble))
        )
        self.model.set_preview(info.header, info.records)
        self.table.resizeColumnsToContents()
        for column in range(self.table.model().columnCount()):  # one over-long value must not hide the rest
            if self.table.columnWidth(column) > MAX_COLUMN_WIDTH:
                self.table.setColumnWidth(column, MAX_COLUMN_WIDTH)
        for column in range(self.model.columnCount()):
            if self.table.columnWidth(column) > 260:
                self.table.setColumnWidth(column, 260)
