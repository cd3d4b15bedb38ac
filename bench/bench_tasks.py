"""Tasks for bench/task_bench.py (imported by the workers through TaskConfig.extra_modules)."""

from __future__ import annotations

import time

from huey.api import Task

from contact360_desktop.tasks.routing import task


@task()
def stamp(sent_at: float, task: Task | None = None) -> float:
    """Enqueue-to-start latency in seconds (same host clock)."""
    return time.time() - sent_at


@task()
def noop(task: Task | None = None) -> None:
    return None
