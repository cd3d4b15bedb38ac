"""Page 1: pick or drop a file; its size and detected encoding/delimiter, both overridable."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWizardPage,
)

from contact360_desktop.ui.import_wizard.preview_model import PreviewModel
from contact360_desktop.ui.import_wizard.state import FileInfo, file_size, load_file_info
from contact360_desktop.ui.import_wizard.support import folder_of, format_size, readable_error, start_task

if TYPE_CHECKING:
    from contact360_desktop.ui.import_wizard.wizard import ImportWizard

LAST_FOLDER_KEY = "import/last_folder"

ENCODINGS: tuple[tuple[str, str], ...] = (
    ("utf-8", "UTF-8"),
    ("utf-8-sig", "UTF-8 with BOM"),
    ("utf-16", "UTF-16 (with BOM)"),
    ("utf-16-le", "UTF-16 LE"),
    ("utf-16-be", "UTF-16 BE"),
    ("cp1252", "Windows-1252 (Western)"),
    ("latin-1", "ISO-8859-1 (Latin-1)"),
    ("iso-8859-15", "ISO-8859-15 (Latin-9)"),
    ("mac_roman", "Mac Roman"),
    ("cp1250", "Windows-1250 (Central European)"),
    ("cp1251", "Windows-1251 (Cyrillic)"),
)

DELIMITERS: tuple[tuple[str, str], ...] = (
    (",", "Comma ( , )"),
    (";", "Semicolon ( ; )"),
    ("\t", "Tab"),
    ("|", "Pipe ( | )"),
)

_DELIMITER_NAMES = {d: name for d, name in DELIMITERS}


def delimiter_name(delimiter: str) -> str:
    return _DELIMITER_NAMES.get(delimiter, repr(delimiter))


#: Widest a preview column gets (the full value is in its tooltip / the cell).
MAX_COLUMN_WIDTH = 280

class FilePage(QWizardPage):
    #: The file was (re)read: the FileInfo, or None when it could not be.
    file_loaded = Signal(object)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setTitle("Choose a file")
        self.setSubTitle("Pick a CSV file, or drop one here. Encoding and delimiter are detected; change them if the preview looks wrong.")
        self.setAcceptDrops(True)
        self.info: FileInfo | None = None
        self._loading = False
        self._request = 0
        self._detected: dict[str, tuple[str, str]] = {}

        self.path_edit = QLineEdit(self)
        self.path_edit.setPlaceholderText("Path of a .csv or .txt file")
        self.path_edit.setAccessibleName("File path")
        self.browse_button = QPushButton("&Browse…", self)
        self.browse_button.setToolTip("Choose the file to import")
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse_button)

        self.size_label = QLabel("—", self)
        self.encoding_combo = QComboBox(self)
        self.encoding_combo.setToolTip(
            "How the file's bytes become text. Auto-detect works for UTF-8, UTF-16 and Excel's Windows-1252;\n"
            "pick another one if accented letters look wrong in the preview."
        )
        self.encoding_combo.addItem("Auto-detect", None)
        for code, name in ENCODINGS:
            self.encoding_combo.addItem(name, code)
        self.delimiter_combo = QComboBox(self)
        self.delimiter_combo.setToolTip("The character between the values of a row. Auto-detect sniffs it from the first lines.")
        self.delimiter_combo.addItem("Auto-detect", None)
        for code, name in DELIMITERS:
            self.delimiter_combo.addItem(name, code)
        self.status_label = QLabel("", self)
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        file_label = QLabel("&File:", self)
        file_label.setBuddy(self.path_edit)
        form.addRow(file_label, row)
        form.addRow("Size:", self.size_label)
        enc_label = QLabel("&Encoding:", self)
        enc_label.setBuddy(self.encoding_combo)
        form.addRow(enc_label, self.encoding_combo)
        delim_label = QLabel("&Delimiter:", self)
        delim_label.setBuddy(self.delimiter_combo)
        form.addRow(delim_label, self.delimiter_combo)

        self.preview_model = PreviewModel(self)
        self.preview = QTableView(self)
        self.preview.setModel(self.preview_model)
        self.preview.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview.setAlternatingRowColors(True)
        self.preview.setWordWrap(False)
        self.preview.setAccessibleName("Preview of the first rows")
        self.preview.setToolTip("The first rows as they will be read")

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status_label)
        layout.addWidget(self.preview, 1)

        self.setTabOrder(self.path_edit, self.browse_button)
        self.setTabOrder(self.browse_button, self.encoding_combo)
        self.setTabOrder(self.encoding_combo, self.delimiter_combo)
        self.setTabOrder(self.delimiter_combo, self.preview)

        self.browse_button.clicked.connect(self.browse)
        self.path_edit.editingFinished.connect(self._path_edited)
        self.encoding_combo.activated.connect(lambda _i: self.reload())
        self.delimiter_combo.activated.connect(lambda _i: self.reload())

    # -- wizard hooks -------------------------------------------------------------------------------
    def wizard(self) -> ImportWizard:  # type: ignore[override]
        return super().wizard()  # type: ignore[return-value]

    def isComplete(self) -> bool:
        return self.info is not None and not self._loading and self.info.path == self.path()

    def validatePage(self) -> bool:
        return self.isComplete()

    # -- public API -----------------------------------------------------------------------------------
    def path(self) -> str:
        return self.path_edit.text().strip()

    @property
    def loading(self) -> bool:
        return self._loading

    def encoding_override(self) -> str | None:
        data = self.encoding_combo.currentData()
        return str(data) if data else None

    def delimiter_override(self) -> str | None:
        data = self.delimiter_combo.currentData()
        return str(data) if data else None

    def set_overrides(self, encoding: str | None, delimiter: str | None) -> None:
        """Select an encoding/delimiter (None = auto-detect); adds an unknown encoding to the list."""
        if encoding:
            i = self.encoding_combo.findData(encoding)
            if i < 0:
                self.encoding_combo.addItem(encoding, encoding)
                i = self.encoding_combo.count() - 1
            self.encoding_combo.setCurrentIndex(i)
        else:
            self.encoding_combo.setCurrentIndex(0)
        i = self.delimiter_combo.findData(delimiter) if delimiter else 0
        if i < 0:
            self.delimiter_combo.addItem(repr(delimiter), delimiter)
            i = self.delimiter_combo.count() - 1
        self.delimiter_combo.setCurrentIndex(i)

    def set_path(self, path: str) -> None:
        self.path_edit.setText(path)
        self.reload()

    def browse(self) -> None:
        settings = QSettings()
        start = str(settings.value(LAST_FOLDER_KEY, "") or "") or folder_of(self.path()) or os.path.expanduser("~")
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose a CSV file", start, "CSV and text files (*.csv *.txt *.tsv);;All files (*)"
        )
        if path:
            settings.setValue(LAST_FOLDER_KEY, folder_of(path))
            self.set_path(path)

    def reload(self) -> None:
        """Read the current file with the current overrides in the background."""
        path = self.path()
        self._request += 1
        request = self._request
        self.info = None
        self.preview_model.clear()
        if not path:
            self._loading = False
            self.size_label.setText("—")
            self.status_label.setText("")
            self.completeChanged.emit()
            return
        self._loading = True
        self.status_label.setText("Reading the file…")
        self.completeChanged.emit()
        encoding, delimiter = self.encoding_override(), self.delimiter_override()
        start_task(
            getattr(self.wizard(), "context", None),
            self,
            load_file_info,
            path,
            encoding,
            delimiter,
            on_done=lambda info: self._loaded(request, info),
            on_error=lambda exc: self._failed(request, exc),
        )

    # -- results --------------------------------------------------------------------------------------
    def _loaded(self, request: int, info: FileInfo) -> None:
        if request != self._request:
            return
        self._loading = False
        self.info = info
        if self.encoding_override() is None and self.delimiter_override() is None:
            self._detected[info.path] = (info.encoding, info.delimiter)
        detected_enc, detected_delim = self._detected.get(info.path, (info.encoding, info.delimiter))
        self.encoding_combo.setItemText(0, f"Auto-detect ({detected_enc})")
        self.delimiter_combo.setItemText(0, f"Auto-detect ({delimiter_name(detected_delim)})")
        self.size_label.setText(format_size(info.size))
        skipped = f"; {len(info.preamble)} line(s) before it skipped" if info.preamble else ""
        self.status_label.setText(
            f"Header on line {info.header_line} with {len(info.header)} columns{skipped}. "
            f"Read as {info.encoding}, {delimiter_name(info.delimiter).lower()}-separated."
        )
        self.preview_model.set_preview(info.header, info.records[:10])
        self.preview.resizeColumnsToContents()
        for column in range(self.preview.model().columnCount()):  # one over-long value must not hide the rest
            if self.preview.columnWidth(column) > MAX_COLUMN_WIDTH:
                self.preview.setColumnWidth(column, MAX_COLUMN_WIDTH)
        self.file_loaded.emit(info)
        self.completeChanged.emit()

    def _failed(self, request: int, exc: BaseException) -> None:
        if request != self._request:
            return
        self._loading = False
        self.info = None
        self.size_label.setText("—")
        start_task(  # the size of a file that cannot be read may still be known (stat off the GUI thread)
            getattr(self.wizard(), "context", None),
            self,
            file_size,
            self.path(),
            on_done=lambda size: self._size_known(request, size),
        )
        self.status_label.setText(f"<span style='color:#c62828'>This file cannot be imported: {readable_error(exc)}</span>")
        self.file_loaded.emit(None)
        self.completeChanged.emit()

    def _size_known(self, request: int, size: int | None) -> None:
        if request == self._request and size is not None:
            self.size_label.setText(format_size(size))

    def _path_edited(self) -> None:
        if not self.isVisible():  # focus lost while the wizard closes
            return
        if self.info is None or self.info.path != self.path():
            self.reload()

    # -- drag and drop ------------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            path = urls[0].toLocalFile()
            QSettings().setValue(LAST_FOLDER_KEY, folder_of(path))
            self.set_path(path)
            event.acceptProposedAction()
