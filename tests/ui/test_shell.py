"""The main window shell: workers panel, status bar, menus, drag and drop, dialogs, screenshots."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox
from sqlalchemy import Engine, text

from contact360_desktop.ui import app as app_module
from contact360_desktop.ui.context import POOL_RUNNING, POOL_STOPPED, POOL_UNAVAILABLE
from contact360_desktop.ui.main_window import MainWindow
from contact360_desktop.ui.views import launch
from contact360_desktop.ui.views.workers_panel import QUEUES, WorkersPanel
from tests.ui.helpers import grab, insert_contacts, insert_import_job


class FakePool:
    """Stands in for workers.pool.LocalPool (start/stop/running)."""

    instances: list[FakePool] = []

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.running = False
        self.calls: list[str] = []
        FakePool.instances.append(self)

    def start(self) -> None:
        self.calls.append("start")
        self.running = True

    def stop(self) -> None:
        self.calls.append("stop")
        self.running = False


class FakeDialog:
    """Records how a dialog was opened (the wizard/export dialog/error browser are another module's)."""

    opened: list[FakeDialog] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args, self.kwargs = args, kwargs
        self.visible = False
        FakeDialog.opened.append(self)

    def show(self) -> None:
        self.visible = True

    def raise_(self) -> None: ...

    def activateWindow(self) -> None: ...

    def isVisible(self) -> bool:
        return self.visible

    def close(self) -> None:
        self.visible = False


@pytest.fixture()
def fake_dialogs(monkeypatch: Any) -> type[FakeDialog]:
    FakeDialog.opened = []
    monkeypatch.setattr(launch, "load_dialog_class", lambda spec: FakeDialog)
    return FakeDialog


def make_window(qtbot: Any, context: Any) -> MainWindow:
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_workers_panel_shows_queues_workers_and_controls_the_pool(
    qtbot: Any, make_context: Any, ui_engine: Engine
) -> None:
    with ui_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO worker_processes (id, host, pid, queues, rss_bytes, heartbeat_at) "
                "VALUES ('box:4242', 'box', 4242, 'imports,exports', 104857600, now())"
            )
        )
    FakePool.instances = []
    context = make_context(pool_factory=lambda: FakePool)
    panel = WorkersPanel(context, interval_ms=200)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1 and panel.depths is not None, timeout=10_000)
    assert [panel.queues.item(r, 0).text() for r in range(len(QUEUES))] == list(QUEUES)
    assert all(panel.queues.item(r, 1).text() == "0" for r in range(len(QUEUES)))
    assert panel.model.data(panel.model.index(0, 0)) == "box"
    assert panel.model.data(panel.model.index(0, 4)) == "100.0 MB"
    assert panel.model.data(panel.model.index(0, 3)) == "idle"
    assert panel.pool_label.text() == "Local worker pool: stopped"
    with qtbot.waitSignal(
        context.pool_state_changed, check_params_cb=lambda s, d: s == POOL_RUNNING, timeout=5000
    ):
        panel.pool_button.click()
    assert panel.pool_label.text() == "Local worker pool: running"
    assert panel.pool_button.text() == "Stop local workers"
    with qtbot.waitSignal(
        context.pool_state_changed, check_params_cb=lambda s, d: s == POOL_STOPPED, timeout=5000
    ):
        panel.pool_button.click()
    assert FakePool.instances[0].calls == ["start", "stop"]


def test_pool_unavailable_until_the_module_appears(qtbot: Any, make_context: Any) -> None:
    available: list[Any] = []
    context = make_context(
        pool_factory=lambda: available[0] if available else None, pool_check_interval_ms=50
    )
    context.want_pool = True
    context.start_pool()
    assert context.pool_state == POOL_UNAVAILABLE
    panel = WorkersPanel(context)
    qtbot.addWidget(panel)
    assert (
        panel.pool_label.text() == "Local worker pool: unavailable (the worker pool module is not installed)"
    )
    assert not panel.pool_button.isEnabled()
    FakePool.instances = []
    available.append(FakePool)  # the task layer gets installed: the periodic check starts it
    qtbot.waitUntil(lambda: context.pool_state == POOL_RUNNING, timeout=5000)
    context.shutdown()  # stops the pool
    assert FakePool.instances[0].calls == ["start", "stop"]


def test_status_bar_names_database_broker_and_connection(qtbot: Any, app_context: Any) -> None:
    window = make_window(qtbot, app_context)
    status = window.status
    assert status.database_label.text().startswith("Database: PostgreSQL at ")
    assert status.broker_label.text() == f"Broker: {app_context.runtime.broker_label}"
    qtbot.waitUntil(lambda: status.connection_label.text() == "● Connected", timeout=10_000)
    qtbot.waitUntil(lambda: status.count_label.text() == "0 contacts", timeout=5000)


def test_menus_shortcuts_and_export_selection(
    qtbot: Any, app_context: Any, ui_engine: Engine, fake_dialogs: Any
) -> None:
    insert_contacts(ui_engine, 40, companies=2)
    window = make_window(qtbot, app_context)
    qtbot.waitUntil(lambda: window.contacts_tab.model.rowCount() == 40, timeout=5000)
    assert window.import_action.shortcut().toString() == "Ctrl+I"
    assert window.export_action.shortcut().toString() == "Ctrl+E"
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["&File", "&Jobs", "&View", "&Help"]
    window.contacts_tab.view.selectRow(2)
    window.export_action.trigger()
    dialog = fake_dialogs.opened[-1]
    assert dialog.args[0] is app_context and dialog.args[1] == "contacts"
    assert dialog.args[2] == {"ids": [window.contacts_tab.model.row_id(2)]}
    window.tabs.setCurrentWidget(window.companies_tab)
    qtbot.waitUntil(lambda: window.companies_tab.model.rowCount() == 2, timeout=5000)
    window.companies_tab.select_all_button.click()
    window.export_action.trigger()
    assert fake_dialogs.opened[-1].args[1:] == ("companies", {"filter": {}})
    window.import_action.trigger()
    assert fake_dialogs.opened[-1].kwargs["path"] is None
    assert window.status.count_label.text() == "2 companies — all 2 matching selected"


def test_errors_action_opens_the_latest_import(
    qtbot: Any, app_context: Any, ui_engine: Engine, fake_dialogs: Any
) -> None:
    insert_import_job(ui_engine, file_name="old.csv", status="completed")
    with ui_engine.begin() as conn:
        conn.execute(text("UPDATE contact_import_jobs SET created_at = now() - interval '1 day'"))
    newest = insert_import_job(ui_engine, file_name="new.csv", status="completed")
    window = make_window(qtbot, app_context)
    window.errors_action.trigger()
    qtbot.waitUntil(lambda: len(fake_dialogs.opened) == 1, timeout=5000)
    assert fake_dialogs.opened[0].args[1] == newest


def test_dropping_a_csv_starts_the_wizard_on_it(
    qtbot: Any, app_context: Any, tmp_path: Path, fake_dialogs: Any
) -> None:
    window = make_window(qtbot, app_context)
    csv_file = tmp_path / "dropped.csv"
    csv_file.write_text("email\na@example.com\n")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(csv_file))])
    enter = QDragEnterEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, drop)
    assert fake_dialogs.opened[-1].kwargs["path"] == str(csv_file)
    assert app_context.last_folder("import") == str(tmp_path)
    # Anything else is refused.
    other = QMimeData()
    other.setUrls([QUrl.fromLocalFile(str(tmp_path / "photo.png"))])
    refused = QDragEnterEvent(
        QPointF(5, 5),
        Qt.DropAction.CopyAction,
        other,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, refused)
    assert not refused.isAccepted()


def test_a_missing_dialog_module_gives_a_readable_message(
    qtbot: Any, app_context: Any, monkeypatch: Any
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, message: shown.append(message))
    monkeypatch.setattr(
        launch, "EXPORT_DIALOG", ("contact360_desktop.ui.no_such_dialog", "ExportDialog", "The export dialog")
    )
    window = make_window(qtbot, app_context)
    window.export_action.trigger()
    assert shown == ["The export dialog is not part of this build yet."]


def test_window_state_is_remembered(qtbot: Any, app_context: Any) -> None:
    window = make_window(qtbot, app_context)
    window.tabs.setCurrentIndex(1)
    window.resize(640, 480)  # as small as its contents allow
    size = (window.width(), window.height())
    window.close()
    again = make_window(qtbot, app_context)
    assert again.tabs.currentIndex() == 1
    assert again.height() == size[1]  # (the width is clamped to the 800 px offscreen screen)
    assert app_context.ui_settings().value("mainWindow/geometry") is not None
    again.tabs.setCurrentIndex(0)
    again.save_state()


def test_keyboard_navigation(qtbot: Any, app_context: Any) -> None:
    window = make_window(qtbot, app_context)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    tab = window.contacts_tab
    tab.search.setFocus()
    qtbot.keyClick(tab.search, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is tab.select_all_button
    tab.view.setFocus()
    qtbot.keyClick(tab.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is tab.search
    for widget in (tab.search, tab.select_all_button, window.workers_panel.pool_button):
        assert widget.toolTip(), widget.objectName()


def test_exception_hook_shows_a_message_not_a_traceback(qtbot: Any, monkeypatch: Any, tmp_path: Path) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, message: shown.append(message))
    reporter = app_module.ErrorReporter(tmp_path / "contact360.log")
    try:
        raise ValueError("the file is not a CSV")
    except ValueError as exc:
        reporter(type(exc), exc, exc.__traceback__)
    assert shown == [
        f"Something went wrong: the file is not a CSV\n\nDetails were written to {tmp_path / 'contact360.log'}."
    ]
    assert "Traceback" not in shown[0]


def test_display_hint_names_the_missing_debian_packages() -> None:
    env = {"DISPLAY": ":0"}
    have = {"xcb-icccm", "xcb-keysyms", "xcb-image", "xcb-render-util", "xkbcommon-x11"}
    hint = app_module.display_hint(env, "linux", lambda name: f"lib{name}.so" if name in have else None)
    assert hint is not None and hint.endswith("sudo apt install libxcb-cursor0")
    assert "\n" not in hint
    assert (
        app_module.display_hint({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux", lambda n: None)
        is None
    )
    assert app_module.display_hint({}, "linux", lambda n: None) is None
    assert app_module.display_hint(env, "darwin", lambda n: None) is None
    assert app_module.display_hint(env, "linux", lambda n: "x") is None


def test_screenshots_of_the_main_window(
    qtbot: Any, app_context: Any, ui_engine: Engine, artifacts: Path
) -> None:
    insert_contacts(ui_engine, 1500, companies=40)
    job = insert_import_job(
        ui_engine,
        file_name="hubspot-export.csv",
        total_rows=250_000,
        processed_rows=90_500,
        inserted=88_000,
        updated=1_900,
        rejected=600,
        warnings=120,
    )
    with ui_engine.begin() as conn:
        conn.execute(
            text("UPDATE contact_import_jobs SET started_at = now() - interval '45 seconds' WHERE id = :id"),
            {"id": job},
        )
        conn.execute(
            text(
                "INSERT INTO exports (user_id, kind, destination, status, row_count, total_rows, path_or_key, message, "
                "created_at, started_at, finished_at) VALUES ('tester', 'contacts', 'local:/home/me/exports', "
                "'completed', 1500, 1500, '/home/me/exports/contacts.csv', 'Exported 1,500 contacts', "
                "now() - interval '2 hours', now() - interval '2 hours', now() - interval '2 hours' + interval '3 seconds')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO worker_processes (id, host, pid, queues, rss_bytes, current_task, current_job, heartbeat_at) "
                "VALUES ('desk:5100', 'desk', 5100, 'imports', 88000000, 'process_contacts_import', :job, now()),"
                "('desk:5101', 'desk', 5101, 'exports,default', 61000000, NULL, NULL, now())"
            ),
            {"job": job},
        )
    window = make_window(qtbot, app_context)
    qtbot.waitUntil(lambda: window.contacts_tab.model.rowCount() == 500, timeout=20000)
    qtbot.waitUntil(lambda: window.jobs_dock.model.rowCount() == 2, timeout=20000)
    qtbot.waitUntil(lambda: window.workers_panel.model.rowCount() == 2, timeout=20000)
    qtbot.waitUntil(lambda: "1,500 contacts" in window.status.count_label.text(), timeout=20000)
    window.jobs_dock.view.selectRow(0)
    assert grab(window, artifacts, "main-window", (1280, 800)).stat().st_size > 10_000
    window.tabs.setCurrentWidget(window.companies_tab)
    qtbot.waitUntil(lambda: window.companies_tab.model.rowCount() == 40, timeout=5000)
    grab(window, artifacts, "main-window-companies", (1280, 800))
    grab(window.jobs_dock, artifacts, "jobs-dock")
    window.workers_panel.raise_()
    qtbot.waitUntil(window.workers_panel.isVisible)
    qtbot.waitUntil(lambda: window.workers_panel.model.rowCount() == 2, timeout=5000)
    grab(window, artifacts, "main-window-workers", (1280, 800))


def test_screenshot_of_the_empty_state(qtbot: Any, app_context: Any, artifacts: Path) -> None:
    window = make_window(qtbot, app_context)
    qtbot.waitUntil(
        lambda: window.contacts_tab.stack.currentWidget() is window.contacts_tab.empty, timeout=5000
    )
    grab(window, artifacts, "main-window-empty", (1280, 800))


def test_no_threads_of_ours_outlive_a_context(make_context: Any) -> None:
    context = make_context()
    context.shutdown()
    assert not [t for t in threading.enumerate() if t.name.startswith("contact360-")]
