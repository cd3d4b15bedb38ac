"""Export task (queue ``exports``, priority 4): thin, the service does the work."""

from __future__ import annotations

from huey.api import Task

from contact360_desktop.tasks.routing import task
from contact360_desktop.tasks.runner import run_job


@task()
def process_export(export_id: str, task: Task) -> str:
    from contact360_desktop.services.exports import run_export

    return run_job("export", export_id, task, run_export)
