"""Task states, cancel (pending and running) and the soft time limit, on job rows."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from sqlalchemy import Engine, text

from contact360_desktop.settings import Settings
from contact360_desktop.tasks import context
from contact360_desktop.tasks.app import TaskApp
from contact360_desktop.tasks.config import TaskConfig
from contact360_desktop.tasks.dispatch import enqueue_job, revoke_job
from tests.tasks import sim_tasks
from tests.tasks.fixtures import create_job, drain, job_row

pytestmark = pytest.mark.timeout(60)


def contacts_of(engine: Engine, job_id: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM contacts WHERE created_by_job = :j"), {"j": job_id}
            ).scalar_one()
        )


def test_states_pending_then_success_with_result(app: TaskApp) -> None:
    task_id = app.enqueue(sim_tasks.echo, {"x": 1})
    assert app.task_state(task_id).state == "PENDING"
    drain(app, lambda: app.task_state(task_id).state == "SUCCESS")
    assert app.result(task_id) == {"x": 1}


def test_job_runs_to_completion_with_timestamps(app: TaskApp, clean_db: Engine) -> None:
    job_id = create_job(clean_db, rows=12, batch=5)
    task_id = enqueue_job(app, clean_db, "import", job_id)
    assert job_row(clean_db, job_id).task_id == task_id
    drain(app, lambda: app.task_state(task_id).state == "SUCCESS")
    row = job_row(clean_db, job_id)
    assert (row.status, row.processed_rows, row.inserted, row.rejected, row.attempts) == (
        "completed",
        12,
        10,
        2,
        1,
    )
    assert row.started_at <= row.finished_at
    assert not app.has_marker("imports", task_id)


def test_cancel_pending_job_is_revoked(
    app: TaskApp, clean_db: Engine, broker_settings: Settings, task_config: TaskConfig
) -> None:
    job_id = create_job(clean_db, rows=10)
    task_id = enqueue_job(app, clean_db, "import", job_id)
    assert revoke_job(broker_settings, job_id, config=task_config) == "revoked"
    assert job_status_and_message(clean_db, job_id) == ("cancelled", "Cancelled before it started.")
    drain(app, lambda: app.queue_depths()["imports"] == 0 and app.task_state(task_id).state == "REVOKED")
    assert contacts_of(clean_db, job_id) == 0
    assert revoke_job(broker_settings, job_id, config=task_config) == "cancelled"


def job_status_and_message(engine: Engine, job_id: str) -> tuple[str, str]:
    row = job_row(engine, job_id)
    return row.status, row.message


def test_cancel_running_import_stops_at_a_batch_boundary(
    app: TaskApp, clean_db: Engine, broker_settings: Settings, task_config: TaskConfig
) -> None:
    job_id = create_job(clean_db, rows=200, batch=5, sleep=0.1)
    task_id = enqueue_job(app, clean_db, "import", job_id)
    observed: dict[str, str] = {}

    def cancel() -> None:
        observed["state"] = app.task_state(task_id).state
        observed["outcome"] = revoke_job(broker_settings, job_id, config=task_config)

    timer = threading.Timer(0.6, cancel)
    timer.start()
    drain(app, lambda: app.task_state(task_id).state == "SUCCESS")
    timer.join()
    assert observed == {"state": "STARTED", "outcome": "cancel_requested"}
    row = job_row(clean_db, job_id)
    assert row.status == "cancelled"
    assert 0 < row.processed_rows < 200 and row.processed_rows % 5 == 0
    assert contacts_of(clean_db, job_id) == row.inserted


def test_soft_time_limit_fails_the_job_and_keeps_committed_batches(
    broker_settings: Settings, task_config: TaskConfig, clean_db: Engine
) -> None:
    limited = dataclasses.replace(broker_settings, soft_time_limit=1, hard_time_limit=5)
    ctx = context.build_context(limited, task_config, "test")
    ctx.lease.start()
    context.install(ctx)
    try:
        job_id = create_job(clean_db, rows=1000, batch=5, sleep=0.2)
        task_id = enqueue_job(ctx.app, clean_db, "import", job_id)
        drain(ctx.app, lambda: ctx.app.task_state(task_id).state == "FAILURE")
    finally:
        context.install(None)
        ctx.lease.stop()
        ctx.app.close()
    row = job_row(clean_db, job_id)
    assert row.status == "failed"
    assert row.message.startswith("Stopped by the time limit (1 s)")
    assert 0 < row.processed_rows < 1000
    assert contacts_of(clean_db, job_id) == row.inserted
