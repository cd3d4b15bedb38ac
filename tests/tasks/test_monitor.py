"""Monitoring API: queue depths, workers, running jobs with progress, recent failures, broker status."""

from __future__ import annotations

import dataclasses
import os

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from contact360_desktop.services.runtime import Runtime
from contact360_desktop.settings import Settings
from contact360_desktop.tasks import context, monitor
from contact360_desktop.tasks.app import TaskApp
from contact360_desktop.tasks.config import TaskConfig
from tests.tasks import sim_tasks
from tests.tasks.fixtures import create_job

pytestmark = pytest.mark.timeout(60)


def test_monitoring_api(
    app: TaskApp, clean_db: Engine, broker_settings: Settings, task_config: TaskConfig
) -> None:
    app.enqueue(sim_tasks.whoami)
    app.enqueue(sim_tasks.record_import, "/dev/null", "x")
    assert monitor.queue_depths(broker_settings, task_config) == {"imports": 1, "exports": 0, "default": 1}
    running = create_job(clean_db, rows=10)
    failed = create_job(clean_db, rows=10)
    with clean_db.begin() as conn:
        conn.execute(
            text(
                "UPDATE contact_import_jobs SET status = 'processing', processed_rows = 4, total_rows = 10, "
                "started_at = now() WHERE id = :id"
            ),
            {"id": running},
        )
        conn.execute(
            text(
                "UPDATE contact_import_jobs SET status = 'failed', message = 'boom', finished_at = now() "
                "WHERE id = :id"
            ),
            {"id": failed},
        )
    context.current().lease.beat()
    with Session(clean_db) as session:
        workers = monitor.list_workers(session, stale_after=60)
        assert [w.pid for w in workers] == [os.getpid()]
        assert workers[0].queues == "test" and workers[0].rss_bytes
        jobs = monitor.running_jobs(session)
        assert [(str(j.id), j.progress) for j in jobs] == [(running, 0.4)]
        assert [(str(j.id), j.message) for j in monitor.recent_failures(session)] == [(failed, "boom")]
    status = monitor.broker_status(Runtime(broker_settings, clean_db), task_config)
    assert status["broker_reachable"] is True
    assert status["queues"]["default"] == 1 and status["running_jobs"] == 1
    assert len(status["workers"]) == 1


def test_broker_status_reports_an_unreachable_broker(clean_db: Engine, settings: Settings) -> None:
    down = dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0")
    status = monitor.broker_status(Runtime(down, clean_db), TaskConfig(namespace="down"))
    assert status["broker_reachable"] is False and status["broker_error"]
