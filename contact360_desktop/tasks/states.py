"""Celery-like task states by task id: PENDING, STARTED, RETRY, SUCCESS, FAILURE (and REVOKED).

Huey has no task states, only results, so a signal handler records one under
``state:<task id>`` in the queue's result store whenever a task changes state
(track-started included). Results and states expire with the broker's result
TTL (3600 s): an unknown or expired id reads as PENDING, as in Celery.

The job row remains the source of truth for the UI; task states answer "what
did the broker do with this message".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from huey import Huey
from huey import signals as S
from huey.api import Task

PENDING, STARTED, RETRY, SUCCESS, FAILURE, REVOKED = (
    "PENDING",
    "STARTED",
    "RETRY",
    "SUCCESS",
    "FAILURE",
    "REVOKED",
)


@dataclasses.dataclass(frozen=True)
class TaskState:
    task_id: str
    state: str
    queue: str | None = None
    changed_at: dt.datetime | None = None
    error: str | None = None
    retries_left: int | None = None


def state_key(task_id: str) -> str:
    return f"state:{task_id}"


def _record(huey: Huey, task: Task, state: str, error: str | None = None) -> None:
    huey.put_result(
        state_key(task.id),
        {"state": state, "at": dt.datetime.now(dt.UTC), "error": error, "retries_left": task.retries},
    )


def connect_state_signals(huey: Huey) -> None:
    """Record state changes of every task run by ``huey`` (called once per Huey instance)."""

    def on_signal(signal: str, task: Task, *args: Any, **kwargs: Any) -> None:
        if signal == S.SIGNAL_EXECUTING:
            _record(huey, task, STARTED)
        elif signal == S.SIGNAL_COMPLETE:
            _record(huey, task, SUCCESS)
        elif signal == S.SIGNAL_RETRYING:
            _record(huey, task, RETRY)
        elif signal in (S.SIGNAL_ERROR, S.SIGNAL_TIMEOUT, S.SIGNAL_CANCELED, S.SIGNAL_EXPIRED):
            # ERROR comes before RETRYING for a task that will run again: only a final error is FAILURE.
            if not task.retries:
                error = repr(args[0]) if args else signal
                _record(huey, task, FAILURE, error)
        elif signal == S.SIGNAL_REVOKED:
            _record(huey, task, REVOKED)
        elif signal == S.SIGNAL_INTERRUPTED:
            # The worker stopped mid-task; the job is re-queued (tasks.runner), so it waits again.
            _record(huey, task, PENDING)

    huey.signal()(on_signal)


def read_state(hueys: dict[str, Huey], task_id: str) -> TaskState:
    for queue, huey in hueys.items():
        data = huey.get(state_key(task_id), peek=True)
        if data is not None:
            return TaskState(
                task_id,
                data["state"],
                queue=queue,
                changed_at=data.get("at"),
                error=data.get("error"),
                retries_left=data.get("retries_left"),
            )
    return TaskState(task_id, PENDING)


def record_state(huey: Huey, task_id: str, state: str, error: str | None = None) -> None:
    """Record a state decided outside the worker (e.g. the pool's hard time limit killed it)."""
    huey.put_result(state_key(task_id), {"state": state, "at": dt.datetime.now(dt.UTC), "error": error})
