"""Page 5: the core rules on a sample (or the whole file), in the background, before anything is written."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWizardPage,
)

from contact360_desktop.core.fields import MODE_UPSERT
from contact360_desktop.ui.background import BackgroundTask
from contact360_desktop.ui.import_wizard.issues_model import IssuesModel
from contact360_desktop.ui.import_wizard.state import (
    MAX_ISSUES_SHOWN,
    SAMPLE_ROWS,
    ValidationProgress,
    validate_rows,
)
from contact360_desktop.ui.import_wizard.support import readable_error, start_generator

if TYPE_CHECKING:
    from contact360_desktop.ui.import_wizard.wizard import ImportWizard


class ValidatePage(QWizardPage):
    #: A validation run ended (its last snapshot); not emitted when cancelled.
    validation_finished = Signal(object)
    validation_cancelled = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setTitle("Check the rows")
        self.setSubTitle(
            f"The import rules run on the first {SAMPLE_ROWS:,} rows (or the whole file on request). "
            "Nothing is written yet."
        )
        self._task: BackgroundTask | None = None
        self._key: tuple[Any, ...] | None = None
        self.result: ValidationProgress | None = None
        self._last = ValidationProgress()

        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setAccessibleName("Validation progress")
        self.summary = QLabel("", self)
        self.summary.setWordWrap(True)
        self.whole_button = QPushButton("Check the &whole file", self)
        self.whole_button.setToolTip("Run the rules on every row (in the background; you can cancel)")
        self.cancel_button = QPushButton("&Cancel check", self)
        self.cancel_button.setToolTip("Stop checking; what was found so far stays listed")
        self.cancel_button.setEnabled(False)
        self.model = IssuesModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.setAccessibleName("Rows with problems")
        header = self.table.horizontalHeader()
        for i, width in enumerate((60, 60, 70, 110, 330, 220)):
            header.resizeSection(i, width)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.note = QLabel(
            "Duplicates against contacts already in the database (insert-only / update-only) are found during the import.",
            self,
        )
        self.note.setWordWrap(True)
        self.note.setEnabled(False)

        row = QHBoxLayout()
        row.addWidget(self.progress, 1)
        row.addWidget(self.whole_button)
        row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)

        self.whole_button.clicked.connect(lambda: self.start(whole_file=True))
        self.cancel_button.clicked.connect(self.cancel)

    def wizard(self) -> ImportWizard:  # type: ignore[override]
        return super().wizard()  # type: ignore[return-value]

    # -- wizard hooks ---------------------------------------------------------------------------------
    def initializePage(self) -> None:
        wizard = self.wizard()
        key = wizard.validation_key()
        self.note.setVisible(wizard.import_options.mode != MODE_UPSERT)
        if key != self._key or self.result is None:
            self._key = key
            self.start(whole_file=False)

    def cleanupPage(self) -> None:
        self.cancel()

    def isComplete(self) -> bool:
        return self._task is None and self.result is not None

    # -- running ----------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._task is not None

    def start(self, whole_file: bool) -> None:
        self.cancel()
        wizard = self.wizard()
        info = wizard.file_info
        if info is None or wizard.mapping is None:
            return
        self.result = None
        self._last = ValidationProgress(whole_file=whole_file)
        self.model.clear()
        self.progress.setValue(0)
        if whole_file:
            self.progress.setFormat("%p%")
        else:
            self.progress.setFormat(f"%p% of the first {SAMPLE_ROWS:,} rows")
        self.summary.setText("Checking…")
        self.whole_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.completeChanged.emit()
        task_box: list[BackgroundTask] = []

        def mine() -> bool:
            return bool(task_box) and self._task is task_box[0]

        task = start_generator(
            wizard.context,
            self,
            validate_rows,
            info.path,
            wizard.encoding(),
            wizard.delimiter(),
            wizard.mapping,
            wizard.import_options.phone_region,
            None if whole_file else SAMPLE_ROWS,
            on_progress=lambda snap: self._progress(snap) if mine() else None,
            on_done=lambda snap: self._done(snap) if mine() else None,
            on_error=lambda exc: self._failed(exc) if mine() else None,
            on_cancelled=self.validation_cancelled.emit,
        )
        task_box.append(task)
        self._task = task

    def cancel(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        self.whole_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setFormat("Cancelled at %p%")
        self.summary.setText(self.summary.text().replace("Checking", "Stopped") + " (cancelled)")
        # What was found so far stays; the page may go on as if the sample were complete.
        self.result = self._last
        self.completeChanged.emit()

    def _progress(self, snap: ValidationProgress) -> None:
        self._last = snap
        self.model.append(snap.new_issues)
        if snap.fraction is None:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(snap.fraction * 1000))
        self.summary.setText(self._describe(snap, finished=snap.done))

    def _done(self, snap: ValidationProgress) -> None:
        self._task = None
        self.result = snap
        self.progress.setRange(0, 1000)
        self.progress.setValue(1000)
        if snap.whole_file or snap.checked < SAMPLE_ROWS:
            self.progress.setFormat(f"All {snap.checked:,} rows checked")
        else:
            self.progress.setFormat(f"First {snap.checked:,} rows checked")
        self.summary.setText(self._describe(snap, finished=True))
        self.whole_button.setEnabled(not snap.whole_file)
        self.cancel_button.setEnabled(False)
        self.completeChanged.emit()
        self.validation_finished.emit(snap)

    def _failed(self, exc: BaseException) -> None:
        self._task = None
        self.result = None
        self.whole_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat("Failed")
        self.summary.setText(f"<span style='color:#c62828'>The rows could not be checked: {readable_error(exc)}</span>")
        self.completeChanged.emit()

    def _describe(self, snap: ValidationProgress, finished: bool) -> str:
        scope = "the whole file" if snap.whole_file else "the sample"
        verb = "Checked" if finished else "Checking…"
        text = (
            f"{verb} {snap.checked:,} rows of {scope}: <b>{snap.valid:,} OK</b>, "
            f"<b>{snap.rejected:,} would be rejected</b>, {snap.warned:,} imported with a warning."
        )
        if self.model.rowCount() >= MAX_ISSUES_SHOWN:
            text += f" (The first {MAX_ISSUES_SHOWN:,} problems are listed.)"
        elif finished and snap.rejected == 0 and snap.warned == 0:
            text += " No problems found."
        return text
