"""Job-row transitions the task layer owns (the services own progress and the final outcome).

Both job tables (``contact_import_jobs`` for kind "import", ``exports`` for
"export") carry the same task columns: status, attempts, retries,
next_retry_at, heartbeat_at, task_id, cancel_requested, redeliveries, message,
started_at/finished_at. Every status change here sends the job NOTIFY in the
same transaction, so the GUI's listener sees it at commit.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from sqlalchemy import Connection, Engine, text

from contact360_desktop.core.fields import CANCELLED, COMPLETED, FAILED, PENDING, PROCESSING
from contact360_desktop.storage.notify import notify_job

JobKind = Literal["import", "export"]
TABLES: dict[str, str] = {"import": "contact_import_jobs", "export": "exports"}
TERMINAL = (COMPLETED, FAILED, CANCELLED)

Claim = Literal["run", "missing", "finished", "cancelled"]


def table(kind: str) -> str:
    try:
        return TABLES[kind]
    except KeyError:
        raise ValueError(f"unknown job kind {kind!r}") from None


def _set_status(
    conn: Connection, kind: str, job_id: str, status: str, sets: str, params: dict[str, object]
) -> None:
    conn.execute(
        text(f"UPDATE {table(kind)} SET status = :status, {sets} WHERE id = :id"),
        {"status": status, "id": job_id, **params},
    )
    notify_job(conn, kind, job_id, status)  # type: ignore[arg-type]


def claim(engine: Engine, kind: str, job_id: str, task_id: str) -> Claim:
    """Mark the job processing for this run (the caller holds its lease)."""
    with engine.begin() as conn:
        row = conn.execute(
            text(f"SELECT status, cancel_requested FROM {table(kind)} WHERE id = :id FOR UPDATE"),
            {"id": job_id},
        ).one_or_none()
        if row is None:
            return "missing"
        if row.status in TERMINAL:
            return "finished"
        if row.cancel_requested and row.status == PENDING:
            _set_status(
                conn,
                kind,
                job_id,
                CANCELLED,
                "finished_at = now(), heartbeat_at = NULL, message = 'Cancelled before it started.'",
                {},
            )
            return "cancelled"
        _set_status(
            conn,
            kind,
            job_id,
            PROCESSING,
            "attempts = attempts + 1, heartbeat_at = now(), task_id = :task_id, "
            "started_at = coalesce(started_at, now()), next_retry_at = NULL",
            {"task_id": task_id},
        )
        return "run"


def record_retry(
    engine: Engine, kind: str, job_id: str, retries: int, next_at: dt.datetime, message: str
) -> None:
    """Back to pending until Huey re-delivers the task at ``next_at``."""
    with engine.begin() as conn:
        _set_status(
            conn,
            kind,
            job_id,
            PENDING,
            "retries = :retries, next_retry_at = :next_at, heartbeat_at = NULL, message = :message",
            {"retries": retries, "next_at": next_at, "message": message},
        )


def mark_failed(engine: Engine, kind: str, job_id: str, message: str) -> bool:
    """Fail a job that is not finished yet; False when it already was."""
    with engine.begin() as conn:
        result = conn.execute(
            text(
                f"UPDATE {table(kind)} SET status = :failed, finished_at = now(), heartbeat_at = NULL, "
                "next_retry_at = NULL, message = :message WHERE id = :id AND status IN (:pending, :processing)"
            ),
            {
                "failed": FAILED,
                "message": message,
                "id": job_id,
                "pending": PENDING,
                "processing": PROCESSING,
            },
        )
        if result.rowcount:
            notify_job(conn, kind, job_id, FAILED)  # type: ignore[arg-type]
        return bool(result.rowcount)


def requeue(engine: Engine, kind: str, job_id: str, message: str) -> None:
    """A run that was interrupted (worker shutdown): pending again, delivered anew."""
    with engine.begin() as conn:
        _set_status(
            conn, kind, job_id, PENDING, "heartbeat_at = NULL, message = :message", {"message": message}
        )


def set_task_id(engine: Engine, kind: str, job_id: str, task_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(f"UPDATE {table(kind)} SET task_id = :t WHERE id = :id"), {"t": task_id, "id": job_id}
        )


def find_kind(engine: Engine, job_id: str) -> JobKind | None:
    """Which table holds this id (ids are UUIDs, unique across both)."""
    try:
        uuid.UUID(str(job_id))
    except ValueError:
        return None
    with engine.connect() as conn:
        for kind, name in TABLES.items():
            if conn.execute(text(f"SELECT 1 FROM {name} WHERE id = :id"), {"id": str(job_id)}).first():
                return kind  # type: ignore[return-value]
    return None


def find_by_task(engine: Engine, task_id: str) -> tuple[JobKind, str] | None:
    """The job a task id was last sent for, if any."""
    with engine.connect() as conn:
        for kind, name in TABLES.items():
            found = conn.execute(text(f"SELECT id FROM {name} WHERE task_id = :t"), {"t": task_id}).first()
            if found:
                return kind, str(found.id)  # type: ignore[return-value]
    return None
