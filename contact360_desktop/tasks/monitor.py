"""Monitoring API for the GUI and ``contact360 status``: broker, queues, workers, running jobs, failures.

Everything is read from the broker (queue depths) and the database (the
``worker_processes`` rows kept fresh by each worker's heartbeat, the job rows).
A worker whose heartbeat is older than ``stale_after`` is not listed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from contact360_desktop.settings import Settings
from contact360_desktop.tasks import routing
from contact360_desktop.tasks.app import get_task_app
from contact360_desktop.tasks.brokers import ping
from contact360_desktop.tasks.config import TaskConfig


@dataclasses.dataclass(frozen=True)
class WorkerInfo:
    id: str
    host: str
    pid: int
    queues: str
    current_task: str | None
    current_job: uuid.UUID | None
    task_started_at: dt.datetime | None
    rss_bytes: int | None
    tasks_done: int
    started_at: dt.datetime
    heartbeat_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class JobInfo:
    kind: str
    id: uuid.UUID
    user_id: str
    status: str
    processed: int
    total: int | None
    message: str | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    heartbeat_at: dt.datetime | None
    attempts: int
    retries: int
    redeliveries: int

    @property
    def progress(self) -> float | None:
        return None if not self.total else min(1.0, self.processed / self.total)


def queue_depths(settings: Settings, config: TaskConfig | None = None) -> dict[str, int]:
    """Messages waiting in each queue (retries waiting out their delay are not counted)."""
    return get_task_app(settings, config).queue_depths()


def scheduled_counts(settings: Settings, config: TaskConfig | None = None) -> dict[str, int]:
    return get_task_app(settings, config).scheduled_counts()


def list_workers(session: Session, stale_after: float | None = None) -> list[WorkerInfo]:
    stale_after = stale_after if stale_after is not None else TaskConfig.from_env().stale_after
    rows = session.execute(
        text(
            "SELECT id, host, pid, queues, current_task, current_job, task_started_at, rss_bytes, tasks_done, "
            "started_at, heartbeat_at FROM worker_processes "
            "WHERE heartbeat_at >= now() - make_interval(secs => :stale) ORDER BY host, pid"
        ),
        {"stale": stale_after},
    ).all()
    return [WorkerInfo(**row._asdict()) for row in rows]


_JOB_COLUMNS = {
    "import": ("contact_import_jobs", "processed_rows"),
    "export": ("exports", "row_count"),
}


def _jobs(session: Session, where: str, order: str, limit: int, params: dict[str, Any]) -> list[JobInfo]:
    parts = [
        f"SELECT '{kind}' AS kind, id, user_id, status, {processed} AS processed, total_rows AS total, message, "
        f"started_at, finished_at, heartbeat_at, attempts, retries, redeliveries FROM {table} WHERE {where}"
        for kind, (table, processed) in _JOB_COLUMNS.items()
    ]
    sql = " UNION ALL ".join(f"({p})" for p in parts) + f" ORDER BY {order} LIMIT :limit"
    rows = session.execute(text(sql), {**params, "limit": limit}).all()
    return [JobInfo(**row._asdict()) for row in rows]


def running_jobs(session: Session, limit: int = 100) -> list[JobInfo]:
    return _jobs(session, "status = 'processing'", "started_at", limit, {})


def recent_failures(session: Session, limit: int = 20) -> list[JobInfo]:
    return _jobs(session, "status = 'failed'", "finished_at DESC NULLS LAST", limit, {})


def broker_status(runtime: Any, config: TaskConfig | None = None) -> dict[str, Any]:
    """What `contact360 status` prints about the broker: reachable, queue depths, live workers."""
    status: dict[str, Any] = {"broker_label": runtime.broker_label}
    try:
        app = get_task_app(runtime.settings, config)
        ping(app.hueys[routing.QUEUES[0]])
        status["broker_reachable"] = True
        status["queues"] = app.queue_depths()
        status["scheduled_retries"] = app.scheduled_counts()
    except Exception as exc:  # reported, not raised: status must work when things are down
        status["broker_reachable"] = False
        status["broker_error"] = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    with Session(runtime.engine) as session:
        workers = list_workers(session, (config or TaskConfig.from_env()).stale_after)
        status["workers"] = [
            f"{w.id} [{w.queues}] {'running ' + w.current_task if w.current_task else 'idle'}, "
            f"{w.tasks_done} done, {(w.rss_bytes or 0) // 2**20} MB"
            for w in workers
        ]
        status["running_jobs"] = len(running_jobs(session))
    return status
