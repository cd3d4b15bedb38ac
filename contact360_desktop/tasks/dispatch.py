"""Sending jobs to the broker and taking them back.

``enqueue_*`` write the task id on the job row first, then send the message,
then set the broker marker (tasks.app). When the broker is down the bounded
retries give up quickly, the job stays ``pending`` and the reaper's pending
sweep delivers it once the broker answers again; the caller still gets the task
id. A message sent twice is harmless: the second delivery finds the job
finished or its lease held.
"""

from __future__ import annotations

import logging
import uuid
from typing import Literal

from sqlalchemy import Engine, text

from contact360_desktop.core.fields import CANCELLED, PENDING, PROCESSING
from contact360_desktop.services.errors import JobNotFound
from contact360_desktop.settings import Settings
from contact360_desktop.storage.db import get_engine
from contact360_desktop.storage.notify import notify_job
from contact360_desktop.tasks import jobs
from contact360_desktop.tasks.app import TaskApp, get_task_app
from contact360_desktop.tasks.brokers import BrokerUnavailable, retry_broker
from contact360_desktop.tasks.config import TaskConfig

log = logging.getLogger(__name__)

RevokeOutcome = Literal["revoked", "cancel_requested", "completed", "failed", "cancelled"]


def task_for(app: TaskApp, kind: str) -> str:
    return app.config.import_task if kind == "import" else app.config.export_task


def enqueue_job(
    app: TaskApp,
    engine: Engine,
    kind: str,
    job_id: str,
    *,
    task_id: str | None = None,
    priority: int | None = None,
) -> str:
    task_name = task_for(app, kind)
    queue = app.queue_of(task_name)
    task_id = task_id or str(uuid.uuid4())
    jobs.set_task_id(engine, kind, str(job_id), task_id)

    def send() -> None:
        app.enqueue(task_name, str(job_id), task_id=task_id, priority=priority)
        app.set_marker(queue, task_id)

    try:
        retry_broker(
            send, f"enqueue {kind} job {job_id}", app.config.enqueue_attempts, app.config.broker_backoff_max
        )
    except BrokerUnavailable as exc:
        log.warning("%s; the job stays pending and is delivered when the broker is back", exc)
    return task_id


def enqueue_import(
    settings: Settings,
    job_id: str | uuid.UUID,
    *,
    config: TaskConfig | None = None,
    priority: int | None = None,
) -> str:
    app = get_task_app(settings, config)
    return enqueue_job(app, get_engine(settings), "import", str(job_id), priority=priority)


def enqueue_export(
    settings: Settings,
    export_id: str | uuid.UUID,
    *,
    config: TaskConfig | None = None,
    priority: int | None = None,
) -> str:
    app = get_task_app(settings, config)
    return enqueue_job(app, get_engine(settings), "export", str(export_id), priority=priority)


def revoke_job(
    settings: Settings, job_id: str | uuid.UUID, kind: str | None = None, *, config: TaskConfig | None = None
) -> RevokeOutcome:
    """Cancel a job: a pending one now (and its message is revoked), a running one at its next batch."""
    engine = get_engine(settings)
    job_id = str(job_id)
    kind = kind or jobs.find_kind(engine, job_id)
    if kind is None:
        raise JobNotFound(f"no import or export job with id {job_id}")
    table = jobs.table(kind)
    with engine.begin() as conn:
        row = conn.execute(
            text(f"SELECT status, task_id FROM {table} WHERE id = :id FOR UPDATE"), {"id": job_id}
        ).one_or_none()
        if row is None:
            raise JobNotFound(f"no {kind} job with id {job_id}")
        if row.status == PENDING:
            conn.execute(
                text(
                    f"UPDATE {table} SET status = :s, cancel_requested = true, finished_at = now(), "
                    "next_retry_at = NULL, message = 'Cancelled before it started.' WHERE id = :id"
                ),
                {"s": CANCELLED, "id": job_id},
            )
            notify_job(conn, kind, job_id, CANCELLED)  # type: ignore[arg-type]
            outcome: RevokeOutcome = "revoked"
        elif row.status == PROCESSING:
            conn.execute(text(f"UPDATE {table} SET cancel_requested = true WHERE id = :id"), {"id": job_id})
            notify_job(conn, kind, job_id, PROCESSING)  # type: ignore[arg-type]
            outcome = "cancel_requested"
        else:
            return row.status  # type: ignore[no-any-return]
    if outcome == "revoked" and row.task_id:
        # Best effort: a worker that still gets the message finds the job cancelled and skips it.
        app = get_task_app(settings, config)
        queue = app.queue_of(task_for(app, kind))
        try:
            app.revoke(queue, row.task_id)
            app.drop_marker(queue, row.task_id)
        except Exception as exc:
            log.warning("could not revoke task %s in the broker: %s", row.task_id, exc)
    return outcome
