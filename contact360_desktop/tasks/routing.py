"""Queues, their priorities, and which queue a task goes to.

Three queues, highest priority first: ``imports`` (5), ``exports`` (4),
``default`` (3). A task is routed by the module that defines it
(``tasks.import_tasks`` -> imports, ``tasks.export_tasks`` -> exports, anything
else -> default), as Celery's task_routes did; ``queue=`` overrides that (tests).

Task functions are declared with :func:`task` and registered on real Huey
instances only when a :class:`~contact360_desktop.tasks.app.TaskApp` is built
from settings: the broker (Redis or PostgreSQL) is not known at import time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

QUEUE_PRIORITIES: dict[str, int] = {"imports": 5, "exports": 4, "default": 3}
#: Highest priority first: the order a multi-queue worker takes work in.
QUEUES: tuple[str, ...] = tuple(sorted(QUEUE_PRIORITIES, key=lambda q: -QUEUE_PRIORITIES[q]))

MODULE_ROUTES: dict[str, str] = {
    "contact360_desktop.tasks.import_tasks": "imports",
    "contact360_desktop.tasks.export_tasks": "exports",
}
DEFAULT_QUEUE = "default"
#: The modules every worker imports so their tasks are registered.
TASK_MODULES: tuple[str, ...] = tuple(MODULE_ROUTES)


def queue_for_module(module: str) -> str:
    return MODULE_ROUTES.get(module, DEFAULT_QUEUE)


def parse_queues(text: str | Iterable[str]) -> tuple[str, ...]:
    """``"exports,imports"`` -> ("imports", "exports"): validated, de-duplicated, priority order."""
    names = [q.strip() for q in (text.split(",") if isinstance(text, str) else text) if q.strip()]
    unknown = [q for q in names if q not in QUEUE_PRIORITIES]
    if unknown or not names:
        raise ValueError(f"unknown queue {', '.join(unknown) or '(none)'}: choose from {', '.join(QUEUES)}")
    return tuple(q for q in QUEUES if q in names)


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    func: Callable[..., Any]
    queue: str
    #: Extra keyword arguments for ``Huey.task`` (e.g. retries=0 for a task that must not retry).
    options: dict[str, Any]

    @property
    def name(self) -> str:
        """Huey's registry key: ``module.function``."""
        return f"{self.func.__module__}.{self.func.__name__}"


_SPECS: dict[str, TaskSpec] = {}

F = TypeVar("F", bound=Callable[..., Any])


def task(*, queue: str | None = None, **options: Any) -> Callable[[F], F]:
    """Declare a task function. It receives the Huey task as keyword ``task`` (retries, id)."""

    def decorator(func: F) -> F:
        target = queue or queue_for_module(func.__module__)
        if target not in QUEUE_PRIORITIES:
            raise ValueError(f"{func.__qualname__}: unknown queue {target!r}")
        spec = TaskSpec(func, target, dict(options))
        _SPECS[spec.name] = spec
        return func

    return decorator


def declared_tasks() -> list[TaskSpec]:
    return list(_SPECS.values())


def spec_for(func_or_name: Callable[..., Any] | str) -> TaskSpec:
    name = (
        func_or_name
        if isinstance(func_or_name, str)
        else f"{func_or_name.__module__}.{func_or_name.__name__}"
    )
    try:
        return _SPECS[name]
    except KeyError:
        raise KeyError(f"{name} is not a declared task (decorate it with tasks.routing.task)") from None
