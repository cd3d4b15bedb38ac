"""Test-only tasks. Workers import this module via TaskConfig.extra_modules.

``sim_import`` simulates a batched, checkpointed import on real job rows, with
the contract of services.imports.run_import: one transaction per batch (rows +
row errors + counters + checkpoint), resume after the checkpoint, stop at a
batch boundary when cancel_requested. Every 5th row is "rejected" (a row error).
A batch applied twice would violate the unique email index and fail the job.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from huey.api import Task
from huey.exceptions import TaskTimeout
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from contact360_desktop.services.errors import PermanentJobError
from contact360_desktop.settings import Settings
from contact360_desktop.storage.notify import notify_job
from contact360_desktop.tasks.routing import task
from contact360_desktop.tasks.runner import run_job


def simulate_import(engine: Engine, job_id: str, settings: Settings) -> str:
    while True:
        with engine.begin() as conn:
            job = conn.execute(
                text(
                    "SELECT options, checkpoint, cancel_requested FROM contact_import_jobs WHERE id = :id FOR UPDATE"
                ),
                {"id": job_id},
            ).one()
            options: dict[str, Any] = job.options
            done = int(job.checkpoint.get("row", 0))
            total, size = int(options.get("rows", 20)), int(options.get("batch", 5))
            if job.cancel_requested:
                conn.execute(
                    text(
                        "UPDATE contact_import_jobs SET status = 'cancelled', finished_at = now(), "
                        "message = 'Cancelled by the user.' WHERE id = :id"
                    ),
                    {"id": job_id},
                )
                notify_job(conn, "import", job_id, "cancelled")
                return "cancelled"
            if done >= total:
                conn.execute(
                    text(
                        "UPDATE contact_import_jobs SET status = 'completed', finished_at = now(), total_rows = :t, "
                        "message = 'Imported.' WHERE id = :id"
                    ),
                    {"id": job_id, "t": total},
                )
                notify_job(conn, "import", job_id, "completed")
                return "completed"
            rows = range(done + 1, min(done + size, total) + 1)
            good = [r for r in rows if r % 5]
            bad = [r for r in rows if not r % 5]
            prefix = options.get("prefix", "sim")
            for r in good:
                conn.execute(
                    text("INSERT INTO contacts (email, first_name, created_by_job) VALUES (:e, :n, :j)"),
                    {"e": f"{prefix}{r}@example.com", "n": f"Row {r}", "j": job_id},
                )
            for r in bad:
                conn.execute(
                    text(
                        "INSERT INTO contact_import_errors (job_id, row_number, line_number, severity, field, code, "
                        "message, raw) VALUES (:j, :r, :l, 'error', 'email', 'invalid', 'bad email', '{}')"
                    ),
                    {"j": job_id, "r": r, "l": r + 1},
                )
            conn.execute(
                text(
                    "UPDATE contact_import_jobs SET processed_rows = processed_rows + :n, inserted = inserted + :g, "
                    "rejected = rejected + :b, checkpoint = jsonb_build_object('row', :row), total_rows = :t "
                    "WHERE id = :id"
                ),
                {"n": len(rows), "g": len(good), "b": len(bad), "row": rows[-1], "t": total, "id": job_id},
            )
            notify_job(conn, "import", job_id, "processing")
        time.sleep(float(options.get("sleep", 0)))


@task(queue="imports")
def sim_import(job_id: str, task: Task) -> str:
    return run_job("import", job_id, task, simulate_import)


def _always_transient(engine: Engine, job_id: str, settings: Settings) -> str:
    raise OperationalError("SELECT 1", {}, ConnectionError("server closed the connection unexpectedly"))


@task()
def flaky_job(job_id: str, task: Task) -> str:
    return run_job("import", job_id, task, _always_transient)


def _invalid(engine: Engine, job_id: str, settings: Settings) -> str:
    raise PermanentJobError("the mapping has no email column")


@task()
def invalid_job(job_id: str, task: Task) -> str:
    return run_job("import", job_id, task, _invalid)


def _stubborn(engine: Engine, job_id: str, settings: Settings) -> str:
    # Ignores the soft limit, like code stuck in a C call: only the hard limit stops it.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            time.sleep(0.1)
        except TaskTimeout:
            pass
    return "completed"


@task()
def stubborn_job(job_id: str, task: Task) -> str:
    return run_job("import", job_id, task, _stubborn)


def _append(path: str, tag: str, sleep: float) -> int:
    time.sleep(sleep)
    with Path(path).open("a", encoding="utf-8") as f:
        f.write(f"{tag}\n")
    return os.getpid()


@task(queue="imports")
def record_import(path: str, tag: str, sleep: float = 0.0, task: Task | None = None) -> int:
    return _append(path, tag, sleep)


@task(queue="exports")
def record_export(path: str, tag: str, sleep: float = 0.0, task: Task | None = None) -> int:
    return _append(path, tag, sleep)


@task()
def record_default(path: str, tag: str, sleep: float = 0.0, task: Task | None = None) -> int:
    return _append(path, tag, sleep)


_HOARD: list[bytes] = []


@task()
def hog(mb: int, task: Task | None = None) -> int:
    _HOARD.append(os.urandom(mb * 2**20))
    return os.getpid()


@task()
def whoami(task: Task | None = None) -> int:
    return os.getpid()


@task()
def echo(value: Any, task: Task | None = None) -> Any:
    return value
