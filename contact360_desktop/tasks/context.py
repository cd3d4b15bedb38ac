"""What a running task needs from its worker process: settings, config, engine, TaskApp, lease.

A worker process installs one at start-up (workers.process); code that runs a
task in the current process (tests, ``contact360 import --here``) uses
:func:`local_context`, which builds the same pieces on demand.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy import Engine

from contact360_desktop.settings import Settings, load_settings
from contact360_desktop.storage.db import database_url, get_engine, libpq_dsn
from contact360_desktop.tasks.app import TaskApp, get_task_app
from contact360_desktop.tasks.config import TaskConfig
from contact360_desktop.tasks.lease import WorkerLease


@dataclasses.dataclass
class WorkerContext:
    settings: Settings
    config: TaskConfig
    engine: Engine
    app: TaskApp
    lease: WorkerLease


_current: WorkerContext | None = None


def install(context: WorkerContext | None) -> None:
    global _current
    _current = context


def build_context(settings: Settings, config: TaskConfig, queues: str) -> WorkerContext:
    lease = WorkerLease(libpq_dsn(database_url(settings)), queues, config.heartbeat_interval)
    return WorkerContext(settings, config, get_engine(settings), get_task_app(settings, config), lease)


def current() -> WorkerContext:
    """The installed context, or one built from the environment (and installed) on first use."""
    global _current
    if _current is None:
        _current = build_context(load_settings(), TaskConfig.from_env(), "local")
        _current.lease.start()
    return _current
