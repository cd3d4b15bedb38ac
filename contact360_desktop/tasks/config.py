"""Tuning of the task layer that is not a user setting: retries, heartbeats, reaper, recycling.

Defaults are the production values of the Celery set-up this replaces
(max_retries=3, default_retry_delay=60 s doubled per retry, recycle after 1000
tasks or 200 MB RSS, results kept 3600 s). Every value can be overridden with a
``CONTACT360_TASK_<NAME>`` environment variable; the local pool passes its
config to the worker processes it spawns that way, which is also how tests run
everything with delays of a fraction of a second.

The time limits are user settings (``Settings.soft_time_limit`` /
``hard_time_limit``) and are not repeated here.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any

ENV_PREFIX = "CONTACT360_TASK_"


@dataclasses.dataclass(frozen=True)
class TaskConfig:
    #: Prefix of the Huey names (Redis keys / PostgreSQL queue column); tests use a unique one.
    namespace: str = "contact360"
    max_retries: int = 3
    retry_delay: float = 60.0
    retry_backoff: float = 2.0
    #: How often a running task's heartbeat thread touches its job and worker rows.
    heartbeat_interval: float = 5.0
    #: A processing job whose heartbeat is older than this (and whose lease is free) is re-delivered.
    stale_after: float = 15.0
    reaper_interval: float = 5.0
    #: A pending job younger than this is left alone by the reaper (its enqueue may be in flight).
    pending_grace: float = 30.0
    max_redeliveries: int = 3
    max_tasks: int = 1000
    max_rss_mb: int = 200
    result_ttl: int = 3600
    #: Broker connection: attempts and the cap of the exponential back-off between them.
    broker_attempts: int = 10
    broker_backoff_max: float = 5.0
    #: Attempts of an enqueue before the job is left pending for the reaper to deliver later.
    enqueue_attempts: int = 2
    scheduler_interval: float = 1.0
    #: Seconds a stopping pool waits for its workers before killing their process groups.
    shutdown_timeout: float = 10.0
    #: The task each job kind runs, by Huey name (the reaper re-delivers jobs with it).
    import_task: str = "contact360_desktop.tasks.import_tasks.process_contacts_import"
    export_task: str = "contact360_desktop.tasks.export_tasks.process_export"
    #: Rows per import batch (0: the import service's default). Small values make kill tests fast.
    import_batch_rows: int = 0
    #: Extra modules defining tasks, imported by every worker (tests register their own tasks).
    extra_modules: tuple[str, ...] = ()

    def to_env(self) -> dict[str, str]:
        env = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            env[ENV_PREFIX + field.name.upper()] = ",".join(value) if isinstance(value, tuple) else str(value)
        return env

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> TaskConfig:
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            raw = env.get(ENV_PREFIX + field.name.upper())
            if raw is None or raw.strip() == "":
                continue
            default = field.default if field.default is not dataclasses.MISSING else ()
            try:
                values[field.name] = _convert(default, raw.strip())
            except ValueError:
                raise ValueError(f"{ENV_PREFIX}{field.name.upper()}: cannot use {raw!r}") from None
        values.update(overrides)
        return cls(**values)


def _convert(default: Any, raw: str) -> Any:
    if isinstance(default, bool):
        return raw.lower() in ("1", "true", "yes")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw
