"""Import task (queue ``imports``, priority 5): thin, the service does the work."""

from __future__ import annotations

from huey.api import Task

from contact360_desktop.tasks.routing import task
from contact360_desktop.tasks.runner import run_job


@task()
def process_contacts_import(job_id: str, task: Task) -> str:
    from contact360_desktop.services.imports import run_import

    return run_job("import", job_id, task, run_import)
