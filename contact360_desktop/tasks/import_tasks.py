"""Import task (queue ``imports``, priority 5): thin, the service does the work."""

from __future__ import annotations

from huey.api import Task
from sqlalchemy import Engine

from contact360_desktop.settings import Settings
from contact360_desktop.tasks import context
from contact360_desktop.tasks.routing import task
from contact360_desktop.tasks.runner import run_job


def _run_import(engine: Engine, job_id: str, settings: Settings) -> str:
    from contact360_desktop.services.imports import run_import

    batch_rows = context.current().config.import_batch_rows
    if batch_rows:
        return run_import(engine, job_id, settings, batch_rows=batch_rows)
    return run_import(engine, job_id, settings)


@task()
def process_contacts_import(job_id: str, task: Task) -> str:
    return run_job("import", job_id, task, _run_import)
