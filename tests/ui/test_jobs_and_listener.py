"""The job listener turns NOTIFY into signals and survives a lost connection; the jobs dock stays live."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text

from contact360_desktop.storage.notify import notify_job
from contact360_desktop.ui.listener import CONNECTED, LOST, JobListener
from contact360_desktop.ui.models.jobs_model import COLUMN_INDEX, ProgressRole, rate_and_eta
from contact360_desktop.ui.notifications import Notifier
from contact360_desktop.ui.status_bar import StatusBar
from contact360_desktop.ui.views.jobs_dock import JobsDock
from tests.ui.helpers import insert_import_job


def wait_connected(qtbot: Any, listener: JobListener) -> None:
    qtbot.waitUntil(lambda: listener.state == CONNECTED, timeout=10_000)


def test_listener_emits_job_changed_on_commit(qtbot: Any, app_context: Any, ui_engine: Engine) -> None:
    listener = app_context.listener
    wait_connected(qtbot, listener)
    with qtbot.waitSignal(listener.job_changed, timeout=5000) as blocker, ui_engine.begin() as conn:
        notify_job(conn, "import", "3f1c3c7e-0000-4000-8000-000000000001", "processing")
    assert blocker.args == ["import", "3f1c3c7e-0000-4000-8000-000000000001", "processing"]


def test_listener_reports_a_lost_connection_and_reconnects(
    qtbot: Any, app_context: Any, ui_engine: Engine
) -> None:
    listener = app_context.listener
    bar = StatusBar(app_context)
    qtbot.addWidget(bar)
    wait_connected(qtbot, listener)
    assert bar.connection_label.text() == "● Connected"
    states: list[str] = []
    listener.state_changed.connect(lambda state, detail: states.append(state))
    with ui_engine.begin() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": listener.backend_pid})
    qtbot.waitUntil(lambda: LOST in states, timeout=10_000)
    assert "lost" in bar.connection_label.text().lower() or states[-1] == CONNECTED
    # While lost the UI is asked to poll; then the listener is back by itself.
    wait_connected(qtbot, listener)
    assert bar.connection_label.text() == "● Connected"
    with qtbot.waitSignal(listener.job_changed, timeout=5000), ui_engine.begin() as conn:
        notify_job(conn, "export", "3f1c3c7e-0000-4000-8000-000000000002", "completed")


def test_listener_falls_back_to_polling_when_it_cannot_connect(qtbot: Any) -> None:
    listener = JobListener("postgresql://nobody@127.0.0.1:1/none", poll_interval=0.1, max_backoff=0.3)
    try:
        with qtbot.waitSignal(listener.resync_requested, timeout=10_000):
            listener.start()
        assert listener.state == LOST
    finally:
        listener.stop()


def test_jobs_dock_shows_jobs_and_follows_notifications(
    qtbot: Any, app_context: Any, ui_engine: Engine
) -> None:
    insert_import_job(ui_engine, user="someone-else", file_name="not-mine.csv")
    job_id = insert_import_job(ui_engine, file_name="people.csv", total_rows=1000, processed_rows=0)
    dock = JobsDock(app_context)
    qtbot.addWidget(dock)
    model = dock.model
    wait_connected(qtbot, app_context.listener)
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=5000)
    assert model.data(model.index(0, COLUMN_INDEX["name"])) == "Import: people.csv"
    assert dock.stack.currentWidget() is dock.view
    # A worker commits a batch and notifies: the row follows.
    with qtbot.waitSignal(model.job_updated, timeout=5000), ui_engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE contact_import_jobs SET processed_rows = 400, inserted = 390, rejected = 10, "
                "started_at = now() - interval '4 seconds' WHERE id = :id"
            ),
            {"id": job_id},
        )
        notify_job(conn, "import", job_id, "processing")
    index = model.index(0, COLUMN_INDEX["progress"])
    assert model.data(index, ProgressRole) == pytest.approx(0.4)
    assert model.data(model.index(0, COLUMN_INDEX["inserted"])) == "390"
    assert model.data(model.index(0, COLUMN_INDEX["rejected"])) == "10"
    assert model.data(model.index(0, COLUMN_INDEX["rate"])) != ""
    assert model.data(model.index(0, COLUMN_INDEX["eta"])) != ""
    # It finishes: the model says so once (the main window turns that into a notification).
    with qtbot.waitSignal(model.job_finished, timeout=5000) as finished, ui_engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE contact_import_jobs SET status = 'completed', processed_rows = 1000, "
                "finished_at = now(), message = 'done' WHERE id = :id"
            ),
            {"id": job_id},
        )
        notify_job(conn, "import", job_id, "completed")
    assert finished.args[0]["status"] == "completed" and finished.args[1] == "processing"
    # A new job of this user appears at the top.
    new_id = insert_import_job(ui_engine, file_name="second.csv", status="pending")
    with qtbot.waitSignal(model.job_updated, timeout=5000), ui_engine.begin() as conn:
        notify_job(conn, "import", new_id, "pending")
    assert model.rowCount() == 2
    assert model.data(model.index(0, COLUMN_INDEX["name"])) == "Import: second.csv"


def test_cancel_from_the_dock_flags_the_running_job(qtbot: Any, app_context: Any, ui_engine: Engine) -> None:
    job_id = insert_import_job(ui_engine, file_name="big.csv", status="processing")
    dock = JobsDock(app_context)
    qtbot.addWidget(dock)
    qtbot.waitUntil(lambda: dock.model.rowCount() == 1, timeout=5000)
    dock.view.selectRow(0)
    assert dock.cancel_action.isEnabled() and not dock.retry_action.isEnabled()
    assert dock.errors_action.isEnabled() and not dock.open_folder_action.isEnabled()
    with qtbot.waitSignal(dock.status_message, timeout=10_000):
        dock.cancel_action.trigger()
    with ui_engine.connect() as conn:
        assert conn.execute(
            text("SELECT cancel_requested FROM contact_import_jobs WHERE id = :id"), {"id": job_id}
        ).scalar()
    qtbot.waitUntil(
        lambda: "cancelling" in dock.model.data(dock.model.index(0, COLUMN_INDEX["status"])), timeout=5000
    )
    assert not dock.cancel_action.isEnabled()


def test_export_actions_for_a_local_and_an_s3_export(
    qtbot: Any, app_context: Any, ui_engine: Engine, monkeypatch: Any
) -> None:
    with ui_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO exports (user_id, kind, destination, status, row_count, path_or_key, created_at) VALUES "
                "('tester', 'contacts', 'local:/tmp/out', 'completed', 5, '/tmp/out/contacts.csv', now() - interval '1 minute'),"
                "('tester', 'companies', 's3://bucket/x.csv', 'completed', 2, 's3://bucket/x.csv', now())"
            )
        )
    dock = JobsDock(app_context)
    qtbot.addWidget(dock)
    qtbot.waitUntil(lambda: dock.model.rowCount() == 2, timeout=5000)
    dock.view.selectRow(0)  # newest: the S3 one
    assert dock.copy_url_action.isEnabled() and not dock.open_folder_action.isEnabled()
    dock.copy_url_action.trigger()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == "s3://bucket/x.csv"
    opened: list[str] = []
    monkeypatch.setattr(
        "contact360_desktop.ui.views.launch.QDesktopServices.openUrl",
        lambda url: opened.append(url.toLocalFile()) or True,
    )
    dock.view.selectRow(1)
    assert dock.open_folder_action.isEnabled() and not dock.errors_action.isEnabled()
    dock.open_folder_action.trigger()
    dock.open_file_action.trigger()
    assert opened == ["/tmp/out", "/tmp/out/contacts.csv"]


def test_rate_and_eta() -> None:
    import datetime as dt

    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    job = {"status": "processing", "started_at": start, "processed_rows": 500, "total_rows": 1500}
    rate, eta = rate_and_eta(job, now=start + dt.timedelta(seconds=10))
    assert rate == 50 and eta == 20


def test_notifier_uses_the_status_bar_without_a_tray(qtbot: Any) -> None:
    import datetime as dt

    from PySide6.QtWidgets import QMainWindow

    from contact360_desktop.ui.theme import app_icon

    window = QMainWindow()
    qtbot.addWidget(window)
    notifier = Notifier(window, app_icon())
    notifier.tray = None
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    job = {
        "kind": "import",
        "name": "a.csv",
        "status": "completed",
        "inserted": 5,
        "updated": 1,
        "rejected": 2,
        "warnings": 0,
        "started_at": start,
        "finished_at": start + dt.timedelta(minutes=2),
    }
    with qtbot.waitSignal(notifier.notified) as blocker:
        notifier.job_finished(job, "processing")
    assert blocker.args[0] == "Import completed: a.csv" and blocker.args[2] is False
    assert "5 inserted" in window.statusBar().currentMessage()
