"""Moves due messages (retries waiting out their delay) from each queue's schedule into the queue.

Huey's consumer runs this in its scheduler process; our pools run it in a
thread for the queues they serve. Several pools doing it at once is safe: both
storages pop due entries atomically (Redis Lua script, PostgreSQL SKIP LOCKED).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from contact360_desktop.tasks.app import TaskApp

log = logging.getLogger(__name__)


def enqueue_due(app: TaskApp, queues: Sequence[str]) -> int:
    moved = 0
    for queue in queues:
        huey = app.hueys[queue]
        for task in huey.read_schedule():
            huey.enqueue(task)
            moved += 1
    return moved
