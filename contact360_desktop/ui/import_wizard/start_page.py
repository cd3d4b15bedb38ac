"""Page 6: a summary; Start creates and queues the job, then the wizard closes or follows it."""

from __future__ import annotations

import html
import os
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QLabel, QProgressBar, QVBoxLayout, QWizard, QWizardPage

from contact360_desktop.core.fields import FINISHED_STATUSES
from contact360_desktop.core.mapping import CUSTOM, IGNORE
from contact360_desktop.ui.import_wizard.file_page import delimiter_name
from contact360_desktop.ui.import_wizard.options_page import MODES
from contact360_desktop.ui.import_wizard.state import (
    SAMPLE_ROWS,
    build_request,
    load_job_progress,
)
from contact360_desktop.ui.import_wizard.support import (
    create_and_queue,
    format_size,
    readable_error,
    start_task,
)

if TYPE_CHECKING:
    from contact360_desktop.ui.import_wizard.wizard import ImportWizard

POLL_MS = 1000


def _scope(result: Any) -> str:
    if not result.done:
        return "stopped early"
    return "the whole file" if result.whole_file or result.checked < SAMPLE_ROWS else "a sample"


class StartPage(QWizardPage):
    #: The job exists and is queued (or could not be queued: see ``queue_message``).
    job_created = Signal(str)
    #: The followed job reached a final status.
    job_finished = Signal(str)
    start_failed = Signal(str)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setTitle("Start the import")
        self.setSubTitle("Check the summary, then start. The import runs in the background; you can keep working.")
        self.setCommitPage(False)
        self.job_id: str | None = None
        self.queue_message: str | None = None
        self.status: str | None = None
        self._starting = False
        self._polling = False

        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.follow = QCheckBox("&Follow the progress here (otherwise this window closes once the job is queued)", self)
        self.follow.setToolTip("The Jobs panel of the main window always shows the import's progress")
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setAccessibleName("Import progress")
        self.progress.hide()
        self.state_label = QLabel("", self)
        self.state_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addStretch(1)
        layout.addWidget(self.follow)
        layout.addWidget(self.progress)
        layout.addWidget(self.state_label)

        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._refresh)

    def wizard(self) -> ImportWizard:  # type: ignore[override]
        return super().wizard()  # type: ignore[return-value]

    # -- wizard hooks ------------------------------------------------------------------------------------
    def initializePage(self) -> None:
        wizard = self.wizard()
        info, mapping, options = wizard.file_info, wizard.mapping, wizard.import_options
        if info is None or mapping is None:
            return
        fields = [c for c in mapping.columns if c.is_field]
        custom = [c.source for c in mapping.columns if c.target == CUSTOM]
        ignored = [c.source for c in mapping.columns if c.target == IGNORE]
        mode = next(label for m, label, _tip in MODES if m == options.mode).replace("&", "")
        result = wizard.validate_page.result
        checked = (
            f"<li>Checked {result.checked:,} rows ({_scope(result)}): "
            f"{result.rejected:,} would be rejected, {result.warned:,} with warnings</li>"
            if result is not None
            else ""
        )
        rows = [
            f"<li><b>File:</b> {html.escape(os.path.basename(info.path))} ({format_size(info.size)}, "
            f"{html.escape(wizard.encoding())}, {delimiter_name(wizard.delimiter()).lower()})</li>",
            f"<li><b>Columns:</b> {len(fields)} mapped to contact fields, {len(custom)} kept as custom fields, "
            f"{len(ignored)} ignored</li>",
            f"<li><b>Mode:</b> {html.escape(mode)}</li>",
            f"<li><b>Phone region:</b> {options.phone_region}</li>",
            checked,
        ]
        if wizard.template_name:
            rows.insert(2, f"<li><b>Template:</b> {html.escape(wizard.template_name)}</li>")
        if options.dry_run:
            rows.append("<li><b>Dry run:</b> the rows are checked and problems recorded; no contact is written</li>")
        self.summary.setText("<ul>" + "".join(rows) + "</ul>")
        wizard.setButtonText(QWizard.WizardButton.FinishButton, "&Start import")

    def isComplete(self) -> bool:
        return not self._starting

    def validatePage(self) -> bool:
        """Finish: the first press creates and queues the job; the wizard closes when that is done."""
        if self.job_id is not None:
            return True
        self.start()
        return False

    # -- starting ----------------------------------------------------------------------------------------
    def start(self) -> None:
        if self._starting or self.job_id is not None:
            return
        wizard = self.wizard()
        try:
            request = build_request(
                wizard.file_info,  # type: ignore[arg-type]
                wizard.mapping,
                None,
                wizard.import_options,
                wizard.context.settings.user,
                wizard.file_page.encoding_override(),
                wizard.file_page.delimiter_override(),
            )
        except Exception as exc:  # a missing service module, bad options
            self._start_failed(exc)
            return
        self._starting = True
        self.follow.setEnabled(False)
        self.state_label.setText("Creating the job…")
        self.completeChanged.emit()
        start_task(
            wizard.context,
            self,
            create_and_queue,
            wizard.context.engine,
            wizard.context.settings,
            "import",
            request,
            on_done=self._started,
            on_error=self._start_failed,
        )

    def _started(self, result: tuple[str, str | None]) -> None:
        job_id, message = result
        self._starting = False
        self.job_id = job_id
        self.queue_message = message
        wizard = self.wizard()
        # The job exists: going back or "cancelling" the wizard would not undo it.
        wizard.setOption(QWizard.WizardOption.DisabledBackButtonOnLastPage, True)
        wizard.setOption(QWizard.WizardOption.NoCancelButton, True)
        wizard.job_started.emit(job_id)
        self.job_created.emit(job_id)
        if message:
            self.state_label.setText(f"<span style='color:#e65100'>{html.escape(message)}</span>")
        else:
            self.state_label.setText("The import is queued. The Jobs panel shows its progress.")
        if self.follow.isChecked() or message:
            wizard.setButtonText(QWizard.WizardButton.FinishButton, "&Close")
            self.progress.show()
            self.progress.setRange(0, 0)
            self._follow()
            self.completeChanged.emit()
        else:
            self.completeChanged.emit()
            wizard.accept()

    def _start_failed(self, exc: BaseException) -> None:
        self._starting = False
        self.follow.setEnabled(True)
        message = readable_error(exc)
        self.state_label.setText(f"<span style='color:#c62828'>The import could not be started: {html.escape(message)}</span>")
        self.completeChanged.emit()
        self.start_failed.emit(message)

    # -- following -------------------------------------------------------------------------------------------
    def _follow(self) -> None:
        listener = getattr(self.wizard().context, "listener", None)
        if listener is not None:
            listener.job_changed.connect(self._job_changed)
        self._poll.start()
        self._refresh()

    def _job_changed(self, kind: str, job_id: str, _status: str) -> None:
        if kind == "import" and job_id == self.job_id:
            self._refresh()

    def _refresh(self) -> None:
        if self.job_id is None or self._polling:
            return
        self._polling = True
        wizard = self.wizard()
        start_task(
            wizard.context, self, load_job_progress, wizard.context.engine, self.job_id,
            on_done=self._progress, on_error=self._progress_failed,
        )

    def _progress_failed(self, exc: BaseException) -> None:
        self._polling = False
        self.state_label.setText(f"Progress unavailable: {readable_error(exc)}")

    def _progress(self, job: dict[str, Any]) -> None:
        self._polling = False
        self.status = job["status"]
        total, done = job["total_rows"], job["processed_rows"] or 0
        if total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(min(int(done / max(total, 1) * 1000), 1000))
        counts = (
            f"{done:,} rows read · {job['inserted']:,} inserted · {job['updated']:,} updated · "
            f"{job['rejected']:,} rejected · {job['warnings']:,} warnings"
        )
        if job["status"] in FINISHED_STATUSES:
            self._poll.stop()
            self.progress.setRange(0, 1000)
            self.progress.setValue(1000 if job["status"] == "completed" else self.progress.value())
            message = f" — {html.escape(job['message'])}" if job.get("message") else ""
            self.state_label.setText(f"<b>Import {job['status']}</b>{message}<br>{counts}")
            self.job_finished.emit(job["status"])
        elif self.queue_message is None:
            self.state_label.setText(f"Import {job['status']}: {counts}")

    def cleanupPage(self) -> None:
        self._poll.stop()
