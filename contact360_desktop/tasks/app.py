"""TaskApp: the Huey instances of one process for one set of settings, with every task registered.

Building one is cheap and connects nothing; :func:`get_task_app` keeps one per
process and settings (a spawned worker builds its own; nothing is shared across
processes). Task functions declared with ``tasks.routing.task`` are registered
on their queue's Huey with the retry policy of :class:`TaskConfig`
(``retries``/``retry_delay``/``retry_backoff``: Huey's own retry machinery, no
hand-written loop) and the soft time limit as Huey's ``timeout``.
"""

from __future__ import annotations

import importlib
import os
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from huey import Huey
from huey.api import TaskWrapper

from contact360_desktop.settings import Settings
from contact360_desktop.tasks import routing
from contact360_desktop.tasks.brokers import make_hueys
from contact360_desktop.tasks.config import TaskConfig
from contact360_desktop.tasks.states import TaskState, connect_state_signals, read_state

#: Broker key marking "a message for this task id is in the broker (queue or retry schedule)".
MARKER_PREFIX = "msg:"


class TaskApp:
    def __init__(self, settings: Settings, config: TaskConfig | None = None) -> None:
        self.settings = settings
        self.config = config or TaskConfig.from_env()
        for module in (*routing.TASK_MODULES, *self.config.extra_modules):
            importlib.import_module(module)
        self.hueys: dict[str, Huey] = make_hueys(settings, self.config, routing.QUEUES)
        for huey in self.hueys.values():
            connect_state_signals(huey)
        self.wrappers: dict[str, TaskWrapper] = {}
        for spec in routing.declared_tasks():
            options: dict[str, Any] = {
                "retries": self.config.max_retries,
                "retry_delay": self.config.retry_delay,
                "retry_backoff": self.config.retry_backoff,
                "timeout": settings.soft_time_limit,
                "priority": routing.QUEUE_PRIORITIES[spec.queue],
                "context": True,
            }
            options.update(spec.options)
            self.wrappers[spec.name] = self.hueys[spec.queue].task(**options)(spec.func)

    def queue_of(self, func: Callable[..., Any] | str) -> str:
        return routing.spec_for(func).queue

    def enqueue(
        self,
        func: Callable[..., Any] | str,
        *args: Any,
        task_id: str | None = None,
        priority: int | None = None,
        **kwargs: Any,
    ) -> str:
        """Send one message; raises NotJsonSerializable for bad arguments, broker errors as they come."""
        spec = routing.spec_for(func)
        wrapper = self.wrappers[spec.name]
        task_id = task_id or str(uuid.uuid4())
        options: dict[str, Any] = {"id": task_id}
        if priority is not None:
            options["priority"] = priority
        self.hueys[spec.queue].enqueue(wrapper.s(*args, **kwargs, **options))
        return task_id

    # A marker per task id tells the reaper the broker holds its message. It lives in
    # the broker itself, so a Redis restart without persistence loses both together.
    def set_marker(self, queue: str, task_id: str) -> None:
        self.hueys[queue].put(MARKER_PREFIX + task_id, 1)

    def has_marker(self, queue: str, task_id: str) -> bool:
        return self.hueys[queue].storage.has_data_for_key(MARKER_PREFIX + task_id)

    def drop_marker(self, queue: str, task_id: str) -> None:
        self.hueys[queue].delete(MARKER_PREFIX + task_id)

    def revoke(self, queue: str, task_id: str) -> None:
        self.hueys[queue].revoke_by_id(task_id)

    def task_state(self, task_id: str) -> TaskState:
        return read_state(self.hueys, task_id)

    def result(self, task_id: str) -> Any:
        """The stored return value (raises huey TaskException for a failed task); None if none yet."""
        for huey in self.hueys.values():
            value = huey.result(task_id, preserve=True)
            if value is not None:
                return value
        return None

    def queue_depths(self, queues: Sequence[str] = routing.QUEUES) -> dict[str, int]:
        return {queue: int(self.hueys[queue].pending_count()) for queue in queues}

    def scheduled_counts(self, queues: Sequence[str] = routing.QUEUES) -> dict[str, int]:
        return {queue: int(self.hueys[queue].scheduled_count()) for queue in queues}

    def close(self) -> None:
        closed_pools: set[int] = set()
        for huey in self.hueys.values():
            storage = huey.storage
            pool = getattr(storage, "pool", None)
            if pool is not None:
                if id(pool) not in closed_pools:
                    closed_pools.add(id(pool))
                    pool.disconnect()
            else:
                storage.close()


_apps: dict[tuple[int, Settings, TaskConfig], TaskApp] = {}


def get_task_app(settings: Settings, config: TaskConfig | None = None) -> TaskApp:
    """This process's TaskApp for these settings (config defaults to the environment's)."""
    config = config or TaskConfig.from_env()
    key = (os.getpid(), settings, config)
    if key not in _apps:
        _apps[key] = TaskApp(settings, config)
    return _apps[key]
