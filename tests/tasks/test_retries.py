"""Retry policy: transient faults retried 3 times with growing delays, permanent ones not at all."""

from __future__ import annotations

import time
import uuid

import pytest
from huey import signals
from sqlalchemy import Engine

from contact360_desktop.tasks.app import TaskApp
from tests.tasks import sim_tasks
from tests.tasks.fixtures import create_job, drain, job_row

pytestmark = pytest.mark.timeout(60)


def attempt_times(app: TaskApp) -> list[float]:
    times: list[float] = []
    app.hueys["default"].signal(signals.SIGNAL_EXECUTING)(lambda signal, task: times.append(time.monotonic()))
    return times


def retry_delays(app: TaskApp) -> list[float]:
    """The delay Huey schedules each retry with (read as it retries, before the back-off grows it)."""
    delays: list[float] = []
    app.hueys["default"].signal(signals.SIGNAL_RETRYING)(lambda signal, task: delays.append(task.retry_delay))
    return delays


def test_transient_error_is_retried_three_times_with_growing_delays_then_fails(
    app: TaskApp, clean_db: Engine
) -> None:
    job_id = create_job(clean_db)
    times = attempt_times(app)
    scheduled = retry_delays(app)
    seen: set[tuple[str, int, bool]] = set()
    states: set[str] = set()

    def observe() -> None:
        row = job_row(clean_db, job_id)
        seen.add((row.status, row.retries, row.next_retry_at is not None))
        states.add(app.task_state(task_id).state)

    task_id = app.enqueue(sim_tasks.flaky_job, job_id)
    drain(app, lambda: app.task_state(task_id).state == "FAILURE", between=observe)
    row = job_row(clean_db, job_id)
    assert (row.status, row.attempts, row.retries) == ("failed", 4, 3)
    assert "after 3 retries" in row.message and "OperationalError" in row.message
    assert {("pending", 1, True), ("pending", 2, True), ("pending", 3, True)} <= seen
    assert "RETRY" in states
    # retry_delay 0.3 s doubling; each retry ran no earlier than scheduled (how much later
    # depends on the drain loop's polling, so the waits themselves need not grow strictly)
    assert scheduled == pytest.approx([0.3, 0.6, 1.2])
    waited = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(waited) == 3
    assert all(wait >= delay - 0.05 for wait, delay in zip(waited, scheduled, strict=True)), (waited, scheduled)


def test_validation_error_is_not_retried(app: TaskApp, clean_db: Engine) -> None:
    job_id = create_job(clean_db)
    times = attempt_times(app)
    task_id = app.enqueue(sim_tasks.invalid_job, job_id)
    drain(app, lambda: app.task_state(task_id).state == "FAILURE")
    row = job_row(clean_db, job_id)
    assert (row.status, row.attempts, row.retries) == ("failed", 1, 0)
    assert row.message == "Failed: PermanentJobError: the mapping has no email column"
    assert len(times) == 1
    assert app.hueys["default"].scheduled_count() == 0


def test_missing_job_is_not_retried(app: TaskApp, clean_db: Engine) -> None:
    times = attempt_times(app)
    task_id = app.enqueue(sim_tasks.flaky_job, str(uuid.uuid4()))
    drain(app, lambda: app.task_state(task_id).state == "FAILURE")
    assert len(times) == 1
    assert "does not exist" in (app.task_state(task_id).error or "")
