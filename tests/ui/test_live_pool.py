"""The desktop app with the REAL local worker pool: cancel from the jobs dock, the workers panel,
progress latency and GUI responsiveness during an import.

Real widgets (offscreen), real PostgreSQL (also the Huey broker), ``workers.pool.LocalPool``
spawning ``contact360 worker --process`` children that run the real import task; the GUI
learns about the jobs from its listener, as in the app.
"""

from __future__ import annotations

import dataclasses
import functools
import socket
import statistics
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from contact360_desktop.services.imports import ImportRequest, create_import_job
from contact360_desktop.settings import Settings
from contact360_desktop.storage.db import libpq_dsn
from contact360_desktop.storage.models import Contact, ImportJob
from contact360_desktop.tasks.config import TaskConfig
from contact360_desktop.tasks.dispatch import enqueue_import
from contact360_desktop.ui.context import POOL_RUNNING, POOL_STOPPED
from contact360_desktop.ui.models.jobs_model import COLUMN_INDEX
from contact360_desktop.ui.models.workers_model import COLUMNS as WORKER_COLUMNS
from contact360_desktop.ui.views.jobs_dock import JobsDock
from contact360_desktop.ui.views.workers_panel import QUEUES, WorkersPanel
from contact360_desktop.workers.pool import LocalPool
from tests.ui.live_support import BAD_EVERY, CommitProbe, DockWatch, EventLoopProbe, contacts_csv, live_config
from tests.ui.wizard_support import grab

pytestmark = pytest.mark.timeout(180)

WORKER_COLUMN = {key: i for i, (key, _) in enumerate(WORKER_COLUMNS)}


@pytest.fixture()
def task_config(monkeypatch: pytest.MonkeyPatch) -> Iterator[TaskConfig]:
    """A config for the pool's workers AND this process (dispatch, monitor read the environment)."""
    config = live_config()
    for key, value in config.to_env().items():
        monkeypatch.setenv(key, value)
    yield config


def live_context(make_context: Any, qtbot: Any, config: TaskConfig, workers: int) -> Any:
    """An AppContext whose local pool is a real LocalPool of ``workers`` processes, started and ready."""
    context = make_context(pool_factory=lambda: functools.partial(LocalPool, config=config, workers=workers))
    context.start_pool()
    qtbot.waitUntil(lambda: context.pool_state == POOL_RUNNING, timeout=30_000)
    qtbot.waitUntil(lambda: all(slot.ready for slot in context.pool.slots), timeout=60_000)
    return context


def queue_import(settings: Settings, engine: Engine, path: Path) -> str:
    with Session(engine) as session:
        job = create_import_job(session, ImportRequest(path=path, user=settings.user))
        session.commit()
        job_id = str(job.id)
    enqueue_import(settings, job_id)
    return job_id


def dock_job(dock: JobsDock, job_id: str) -> dict[str, Any] | None:
    row = dock.model.row_of("import", job_id)
    return dock.model.job_at(row) if row is not None else None


def dock_text(dock: JobsDock, job_id: str, column: str) -> str:
    row = dock.model.row_of("import", job_id)
    assert row is not None
    return str(dock.model.index(row, COLUMN_INDEX[column]).data())


def job_status(engine: Engine, job_id: str) -> str | None:
    with Session(engine) as session:
        return session.scalar(select(ImportJob.status).where(ImportJob.id == uuid.UUID(job_id)))


def contacts_in_db(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(Contact)) or 0)


def test_cancel_from_the_jobs_dock_stops_a_running_import(
    qtbot: Any,
    make_context: Any,
    settings: Settings,
    ui_engine: Engine,
    task_config: TaskConfig,
    tmp_path: Path,
) -> None:
    rows = 60_000
    config = dataclasses.replace(task_config, import_batch_rows=500)
    context = live_context(make_context, qtbot, config, workers=1)
    dock = JobsDock(context)
    qtbot.addWidget(dock)
    dock.resize(1200, 260)
    dock.show()
    job_id = queue_import(settings, ui_engine, contacts_csv(tmp_path / "big.csv", rows))

    # Running, and a few batches committed: as the dock shows it.
    qtbot.waitUntil(
        lambda: (
            (job := dock_job(dock, job_id)) is not None
            and job["status"] == "processing"
            and (job["processed_rows"] or 0) >= 1500
        ),
        timeout=60_000,
    )
    dock.select_job("import", job_id)
    assert dock.cancel_action.isEnabled()
    with qtbot.waitSignal(dock.status_message, timeout=10_000) as said:
        dock.cancel_action.trigger()
    assert said.args[0].startswith("Cancelling")

    qtbot.waitUntil(lambda: (dock_job(dock, job_id) or {}).get("status") == "cancelled", timeout=60_000)
    shown = dock_job(dock, job_id)
    assert shown is not None
    assert dock_text(dock, job_id, "status") == "cancelled"
    assert not dock.cancel_action.isEnabled() and dock.retry_action.isEnabled()
    with Session(ui_engine) as session:
        job = session.get(ImportJob, uuid.UUID(job_id))
        assert job is not None and job.status == "cancelled" and job.finished_at is not None
        # Stopped at a batch boundary: the committed batches are kept, the rest never written.
        assert 0 < job.processed_rows < rows
        assert job.processed_rows % 500 == 0
        assert job.inserted + job.rejected == job.processed_rows
        assert job.rejected == job.processed_rows // BAD_EVERY
        committed = job.inserted
    assert contacts_in_db(ui_engine) == committed
    # The dock shows the same numbers as the job row.
    assert shown["processed_rows"] == job.processed_rows
    assert dock_text(dock, job_id, "inserted") == f"{committed:,}"
    assert dock_text(dock, job_id, "progress").startswith(f"{job.processed_rows:,} / ")
    assert job.message and dock_text(dock, job_id, "message") == job.message
    grab(dock, "live-pool-jobs-dock-cancelled")


def worker_cells(panel: WorkersPanel) -> list[dict[str, str]]:
    model = panel.model
    return [
        {key: str(model.index(row, i).data()) for key, i in WORKER_COLUMN.items()}
        for row in range(model.rowCount())
    ]


def queue_cells(panel: WorkersPanel) -> dict[str, str]:
    return {name: panel.queues.item(row, 1).text() for row, name in enumerate(QUEUES)}


def test_workers_panel_shows_the_pool_and_stops_and_starts_it(
    qtbot: Any,
    make_context: Any,
    settings: Settings,
    ui_engine: Engine,
    task_config: TaskConfig,
    tmp_path: Path,
) -> None:
    context = live_context(make_context, qtbot, task_config, workers=2)
    panel = WorkersPanel(context, interval_ms=200)
    qtbot.addWidget(panel)
    panel.resize(900, 300)
    panel.show()

    # The real workers: this host, the pool's pids, their queues, their memory.
    pids = set(context.pool.pids())
    assert len(pids) == 2
    qtbot.waitUntil(lambda: {int(w["pid"]) for w in worker_cells(panel)} == pids, timeout=20_000)
    for worker in worker_cells(panel):
        assert worker["host"] == socket.gethostname()
        assert [q.strip() for q in worker["queues"].split(",")] == list(QUEUES)
        assert (
            worker["rss_bytes"].endswith("MB") and float(worker["rss_bytes"].split()[0].replace(",", "")) > 5
        )
        assert worker["current_job"] == "idle"
    assert panel.view.isVisibleTo(panel) and not panel.empty.isVisibleTo(panel)
    qtbot.waitUntil(lambda: queue_cells(panel) == dict.fromkeys(QUEUES, "0"), timeout=10_000)
    assert panel.pool_label.text() == "Local worker pool: running"
    assert panel.pool_button.text() == "Stop local workers"
    grab(panel, "live-pool-workers-panel")

    # Stop from the panel: the processes exit, their rows go, the panel says so.
    qtbot.mouseClick(panel.pool_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: context.pool_state == POOL_STOPPED, timeout=30_000)
    assert panel.pool_label.text() == "Local worker pool: stopped"
    assert panel.pool_button.text() == "Start local workers" and panel.pool_button.isEnabled()
    assert not context.pool.running and context.pool.pids() == []
    qtbot.waitUntil(lambda: panel.model.rowCount() == 0, timeout=10_000)
    assert panel.empty.isVisibleTo(panel)

    # Nobody serves the queue now: an import waits there, and the panel counts it.
    job_id = queue_import(settings, ui_engine, contacts_csv(tmp_path / "small.csv", 2_000))
    qtbot.waitUntil(lambda: queue_cells(panel)["imports"] == "1", timeout=10_000)

    # Start from the panel: new worker processes take the waiting job and finish it.
    qtbot.mouseClick(panel.pool_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: context.pool_state == POOL_RUNNING, timeout=30_000)
    qtbot.waitUntil(lambda: len(worker_cells(panel)) == 2, timeout=60_000)
    assert {int(w["pid"]) for w in worker_cells(panel)}.isdisjoint(pids)
    qtbot.waitUntil(lambda: job_status(ui_engine, job_id) == "completed", timeout=60_000)
    qtbot.waitUntil(lambda: queue_cells(panel)["imports"] == "0", timeout=10_000)


def test_progress_reaches_the_dock_quickly_and_the_gui_never_stalls(
    qtbot: Any,
    make_context: Any,
    settings: Settings,
    ui_engine: Engine,
    task_config: TaskConfig,
    tmp_path: Path,
) -> None:
    """Issue 6 "Responsiveness", at a size for the test suite (bench/gui_responsiveness.py: 1M rows)."""
    from contact360_desktop.ui.main_window import MainWindow

    rows = 100_000
    config = dataclasses.replace(task_config, import_batch_rows=5_000)
    context = live_context(make_context, qtbot, config, workers=2)
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.show()
    dock = window.jobs_dock
    qtbot.waitUntil(
        lambda: dock.model.rowCount() == 0 and context.listener.state == "connected", timeout=10_000
    )
    path = contacts_csv(tmp_path / "responsive.csv", rows)

    probe = EventLoopProbe(10)
    commits = CommitProbe(libpq_dsn(ui_engine.url.render_as_string(hide_password=False)))
    commits.start()
    try:
        # Queued by the test itself (blocking DB work on this thread): the probe starts after that.
        job_id = queue_import(settings, ui_engine, path)
        commits.job_id = job_id
        watch = DockWatch(dock.model, job_id)
        probe.start()
        qtbot.waitUntil(lambda: (dock_job(dock, job_id) or {}).get("status") == "completed", timeout=120_000)
        probe.stop()
    finally:
        commits.stop()

    job = dock_job(dock, job_id)
    assert job is not None and job["processed_rows"] == rows
    assert job["inserted"] == rows - rows // BAD_EVERY and job["rejected"] == rows // BAD_EVERY
    batches = [c for c in commits.commits if c[1] < rows]
    assert len(batches) >= 5, f"expected many batch commits, saw {commits.commits}"
    latencies = watch.latencies(commits.commits)
    print(
        f"\n{rows:,} rows, {len(commits.commits)} commits seen: dock latency median "
        f"{statistics.median(latencies) * 1000:.0f} ms, worst {max(latencies) * 1000:.0f} ms; "
        f"event loop worst gap {probe.worst_gap * 1000:.0f} ms, p99 {probe.percentile(0.99) * 1000:.0f} ms "
        f"over {len(probe.gaps)} ticks"
    )
    assert max(latencies) < 1.0, f"progress took {max(latencies):.2f} s to reach the dock"
    assert len(probe.gaps) > 100
    assert probe.worst_gap < 0.100, f"the GUI event loop stalled for {probe.worst_gap * 1000:.0f} ms"
