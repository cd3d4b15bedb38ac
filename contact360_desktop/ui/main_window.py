"""The main window: a thin shell composing the tabs, the docks, the menus and the status bar."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox, QTabWidget, QWidget

from contact360_desktop.services import browse
from contact360_desktop.ui.context import AppContext
from contact360_desktop.ui.notifications import Notifier
from contact360_desktop.ui.status_bar import StatusBar
from contact360_desktop.ui.theme import app_icon
from contact360_desktop.ui.views import launch
from contact360_desktop.ui.views.companies_tab import CompaniesTab
from contact360_desktop.ui.views.contacts_tab import ContactsTab
from contact360_desktop.ui.views.jobs_dock import JobsDock
from contact360_desktop.ui.views.table_tab import TableTab
from contact360_desktop.ui.views.workers_panel import WorkersPanel

log = logging.getLogger(__name__)

#: Files a drop starts the import wizard on.
IMPORTABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".gz")


def importable_path(event: QDragEnterEvent | QDropEvent) -> str | None:
    mime = event.mimeData()
    if not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile() and url.toLocalFile().lower().endswith(IMPORTABLE_SUFFIXES):
            return url.toLocalFile()
    return None


class MainWindow(QMainWindow):
    #: A dialog was opened by an action (the dialog object); tests and the shell keep track.
    dialog_opened = Signal(object)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setObjectName("mainWindow")
        self.setWindowTitle("Contact360")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.resize(1280, 800)
        self.dialogs: list[Any] = []

        self.contacts_tab = ContactsTab(context, self)
        self.companies_tab = CompaniesTab(context, self)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("mainTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.contacts_tab, "&Contacts")
        self.tabs.addTab(self.companies_tab, "C&ompanies")
        self.tabs.setTabToolTip(0, "Every contact in the database (Alt+C)")
        self.tabs.setTabToolTip(1, "Every company in the database (Alt+O)")
        self.setCentralWidget(self.tabs)

        self.jobs_dock = JobsDock(context, self)
        self.workers_panel = WorkersPanel(context, self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.jobs_dock)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.workers_panel)
        self.tabifyDockWidget(self.jobs_dock, self.workers_panel)
        self.jobs_dock.raise_()
        self.resizeDocks([self.jobs_dock], [260], Qt.Orientation.Vertical)

        self.status = StatusBar(context, self)
        self.setStatusBar(self.status)
        self.notifier = Notifier(self, app_icon(), self)
        self.jobs_dock.model.job_finished.connect(self._job_finished)
        self.jobs_dock.status_message.connect(lambda text: self.status.showMessage(text, 8000))

        for tab in (self.contacts_tab, self.companies_tab):
            tab.status_changed.connect(self._tab_status)
            tab.import_requested.connect(self.open_import)
        self.tabs.currentChanged.connect(lambda _: self._tab_status())
        self._build_menus()
        self.restore_state()
        self._tab_status()

    # --- menus --------------------------------------------------------------------------------
    def _action(self, text: str, shortcut: Any, tip: str, slot: Any) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        self.import_action = self._action(
            "&Import…", "Ctrl+I", "Import contacts from a CSV file", self.open_import
        )
        self.export_action = self._action(
            "&Export…",
            "Ctrl+E",
            "Export the selected rows, or all rows matching the search",
            self.open_export,
        )
        self.errors_action = self._action(
            "Import &Errors…",
            "Ctrl+Shift+E",
            "Show the rejected rows of the selected (or latest) import",
            self.open_errors,
        )
        self.quit_action = self._action("&Quit", QKeySequence.StandardKey.Quit, "Quit Contact360", self.close)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.refresh_action = self._action(
            "&Refresh", QKeySequence.StandardKey.Refresh, "Reload the tables", self.refresh
        )
        self.about_action = self._action("&About Contact360", None, "About this application", self.about)

        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.import_action)
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        jobs_menu = self.menuBar().addMenu("&Jobs")
        jobs_menu.addAction(self.errors_action)
        jobs_menu.addSeparator()
        for action in self.jobs_dock.actions():
            if action is not self.jobs_dock.errors_action:
                jobs_menu.addAction(action)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.refresh_action)
        view_menu.addSeparator()
        jobs_toggle = self.jobs_dock.toggleViewAction()
        jobs_toggle.setShortcut(QKeySequence("Ctrl+J"))
        view_menu.addAction(jobs_toggle)
        view_menu.addAction(self.workers_panel.toggleViewAction())
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self.about_action)

    # --- tabs and status ----------------------------------------------------------------------
    def current_tab(self) -> TableTab:
        widget = self.tabs.currentWidget()
        assert isinstance(widget, TableTab)
        return widget

    def _tab_status(self, *_: Any) -> None:
        self.status.set_count(self.current_tab().status_text())

    def refresh(self) -> None:
        for tab in (self.contacts_tab, self.companies_tab):
            tab.reload()
        self.jobs_dock.model.reload()
        self.workers_panel.refresh()

    def _job_finished(self, job: dict[str, Any], previous: str) -> None:
        self.notifier.job_finished(job, previous)
        if job["kind"] == "import" and job["status"] == "completed":
            self.contacts_tab.reload()
            self.companies_tab.reload()

    # --- actions ------------------------------------------------------------------------------
    def _opened(self, dialog: Any) -> Any:
        if dialog is not None:
            self.dialogs = [d for d in self.dialogs if _alive(d)] + [dialog]
            self.dialog_opened.emit(dialog)
        return dialog

    def open_import(self, path: str | None = None) -> Any:
        if path:
            self.context.remember_folder("import", path)
        return self._opened(launch.open_import_wizard(self.context, self, path=path or None))

    def open_export(self) -> Any:
        tab = self.current_tab()
        return self._opened(
            launch.open_export_dialog(self.context, tab.model.kind, tab.current_selection(), self)
        )

    def open_errors(self) -> None:
        job = self.jobs_dock.selected_job()
        if job is not None and job["kind"] == "import":
            self._opened(launch.open_error_browser(self.context, job["id"], self))
            return
        if not self.context.is_ready:
            launch.open_error_browser(self.context, None, self)  # says the database is not ready
            return
        user = self.context.settings.user

        def latest() -> Any:
            assert self.context.engine is not None
            with self.context.engine.connect() as conn:
                return browse.last_import_job(conn, user)

        def found(job_id: Any) -> None:
            if job_id is None:
                QMessageBox.information(
                    self, "No imports yet", "There is no import whose errors could be shown."
                )
            else:
                self._opened(launch.open_error_browser(self.context, str(job_id), self))

        self.context.run_in_background(latest, on_done=found)

    def about(self) -> None:
        from contact360_desktop import __version__

        QMessageBox.about(
            self,
            "About Contact360",
            f"<b>Contact360 Desktop</b> {__version__}<br>Import, clean and export contact lists.<br><br>"
            f"Database: {self.context.db_detail}<br>Broker: {getattr(self.context.runtime, 'broker_label', '—')}",
        )

    # --- drag and drop ------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if importable_path(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = importable_path(event)
        if path:
            event.acceptProposedAction()
            self.open_import(path)

    # --- state --------------------------------------------------------------------------------
    def restore_state(self) -> None:
        settings = self.context.ui_settings()
        geometry = settings.value("mainWindow/geometry")
        state = settings.value("mainWindow/state")
        if isinstance(geometry, QByteArray | bytes):
            self.restoreGeometry(QByteArray(geometry))
        if isinstance(state, QByteArray | bytes):
            self.restoreState(QByteArray(state))
        tab = settings.value("mainWindow/tab")
        if tab is not None:
            self.tabs.setCurrentIndex(int(tab))

    def save_state(self) -> None:
        settings = self.context.ui_settings()
        settings.setValue("mainWindow/geometry", self.saveGeometry())
        settings.setValue("mainWindow/state", self.saveState())
        settings.setValue("mainWindow/tab", self.tabs.currentIndex())

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        for dialog in self.dialogs:
            if _alive(dialog):
                dialog.close()
        super().closeEvent(event)


def _alive(dialog: Any) -> bool:
    try:
        return bool(dialog.isVisible())
    except RuntimeError:  # deleted
        return False
