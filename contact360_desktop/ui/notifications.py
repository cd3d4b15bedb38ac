"""Desktop notifications when a long job finishes while the window is not in front."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QMainWindow, QSystemTrayIcon

#: A job counts as long (worth a notification) when it ran at least this long.
LONG_JOB_SECONDS = 10.0


def job_duration(job: dict[str, Any]) -> float:
    start = job.get("started_at") or job.get("created_at")
    end = job.get("finished_at") or dt.datetime.now(dt.UTC)
    if start is None:
        return 0.0
    return max(0.0, (end - start).total_seconds())


def describe(job: dict[str, Any]) -> tuple[str, str]:
    what = "Import" if job["kind"] == "import" else "Export"
    status = job["status"]
    title = f"{what} {status}: {job['name']}"
    if job["kind"] == "import" and status == "completed":
        body = (
            f"{job.get('inserted', 0):,} inserted, {job.get('updated', 0):,} updated, "
            f"{job.get('rejected', 0):,} rejected, {job.get('warnings', 0):,} warnings"
        )
    else:
        body = job.get("message") or status
    return title, body


class Notifier(QObject):
    """Shows a tray message when available, else a status bar message."""

    notified = Signal(str, str, bool)  # title, body, as a desktop notification

    def __init__(self, window: QMainWindow, icon: QIcon, parent: QObject | None = None) -> None:
        super().__init__(parent or window)
        self.window = window
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages():
            self.tray = QSystemTrayIcon(icon, self)
            self.tray.setToolTip("Contact360")

    def job_finished(self, job: dict[str, Any], previous_status: str = "") -> None:
        title, body = describe(job)
        long_job = job_duration(job) >= LONG_JOB_SECONDS
        if long_job and not self.window.isActiveWindow() and self.tray is not None:
            self.tray.show()
            icon = (
                QSystemTrayIcon.MessageIcon.Information
                if job["status"] == "completed"
                else QSystemTrayIcon.MessageIcon.Warning
            )
            self.tray.showMessage(title, body, icon, 10000)
            self.notified.emit(title, body, True)
            return
        status_bar = self.window.statusBar()
        status_bar.showMessage(f"{title} — {body}", 15000)
        self.notified.emit(title, body, False)
