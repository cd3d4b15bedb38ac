"""Fixtures for task-layer tests on both brokers (imported by tests/tasks and tests/workers conftest)."""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from contact360_desktop.settings import Settings
from contact360_desktop.tasks import context
from contact360_desktop.tasks.app import TaskApp
from contact360_desktop.tasks.config import TaskConfig
from contact360_desktop.tasks.routing import QUEUES
from contact360_desktop.tasks.scheduler import enqueue_due
from contact360_desktop.workers.process import QueueWorker, alarm_timeout

SESSION_TAG = f"t{os.getpid()}{uuid.uuid4().hex[:4]}"
ROOT = Path(__file__).resolve().parents[2]


def fast_config(namespace: str, **overrides: Any) -> TaskConfig:
    values: dict[str, Any] = dict(
        namespace=namespace,
        retry_delay=0.3,
        retry_backoff=2.0,
        heartbeat_interval=0.3,
        stale_after=1.5,
        reaper_interval=0.5,
        pending_grace=1.0,
        scheduler_interval=0.1,
        shutdown_timeout=5.0,
        broker_attempts=10,
        broker_backoff_max=1.0,
        enqueue_attempts=1,
        extra_modules=("tests.tasks.sim_tasks",),
        import_task="tests.tasks.sim_tasks.sim_import",
        # drain() runs workers inside the pytest process, whose RSS (Qt, moto, ...) says
        # nothing about a worker's; tests of memory recycling set their own limit.
        max_rss_mb=64 * 1024,
    )
    values.update(overrides)
    return TaskConfig(**values)


@pytest.fixture(params=["postgres", "redis"])
def broker(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture()
def namespace(request: pytest.FixtureRequest) -> str:
    return f"{SESSION_TAG}_{uuid.uuid4().hex[:6]}"


@pytest.fixture()
def task_config(namespace: str) -> TaskConfig:
    return fast_config(namespace)


@pytest.fixture()
def broker_settings(
    broker: str, settings: Settings, clean_db: Engine, request: pytest.FixtureRequest, namespace: str
) -> Iterator[Settings]:
    """Settings on the chosen broker; Redis keys are namespaced per test and deleted afterwards."""
    redis_url = None
    if broker == "redis":
        redis_url = request.getfixturevalue("redis_url")
    yield dataclasses.replace(settings, redis_url=redis_url, soft_time_limit=60, hard_time_limit=120)
    if redis_url:
        import redis

        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(match=f"huey*{namespace}*", count=1000):
            client.delete(key)
        client.close()


@pytest.fixture()
def app(broker_settings: Settings, task_config: TaskConfig) -> Iterator[TaskApp]:
    """A TaskApp with an in-process worker context installed (for running tasks in the test process)."""
    ctx = context.build_context(broker_settings, task_config, "test")
    ctx.lease.start()
    context.install(ctx)
    yield ctx.app
    context.install(None)
    ctx.lease.stop()
    ctx.app.close()


def drain(
    app: TaskApp,
    until: Callable[[], bool],
    timeout: float = 20.0,
    queues: tuple[str, ...] = QUEUES,
    between: Callable[[], None] | None = None,
) -> QueueWorker:
    """Run a worker loop in this thread (moving due retries too) until ``until()`` or time out."""
    for huey in app.hueys.values():
        huey._timeout_handler = alarm_timeout
    worker = QueueWorker(app, queues, threading.Event(), app.config)
    worker.reader.read_timeout = 0.2
    deadline = time.monotonic() + timeout
    try:
        while not until():
            if time.monotonic() > deadline:
                raise TimeoutError("condition not reached while draining the queues")
            enqueue_due(app, queues)
            worker.loop()
            if between is not None:
                between()
    finally:
        worker.shutdown()
    return worker


def create_job(engine: Engine, **options: Any) -> str:
    with engine.begin() as conn:
        return str(
            conn.execute(
                text(
                    "INSERT INTO contact_import_jobs (user_id, file_name, file_path, file_size, options) "
                    "VALUES ('tester', 'sim.csv', '/dev/null', 0, CAST(:o AS jsonb)) RETURNING id"
                ),
                {"o": json.dumps(options)},
            ).scalar_one()
        )


def job_row(engine: Engine, job_id: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(text("SELECT * FROM contact_import_jobs WHERE id = :id"), {"id": job_id}).one()


def wait_for(condition: Callable[[], bool], timeout: float = 20.0, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(interval)


def job_status(engine: Engine, job_id: str) -> str:
    return str(job_row(engine, job_id).status)


def enqueue_for_job(app: TaskApp, engine: Engine, func: Callable[..., Any], job_id: str) -> str:
    """Send ``func(job_id)`` the way dispatch does (task id on the row, broker marker), so the reaper leaves it."""
    from contact360_desktop.tasks import jobs

    task_id = str(uuid.uuid4())
    jobs.set_task_id(engine, "import", job_id, task_id)
    app.enqueue(func, job_id, task_id=task_id)
    app.set_marker(app.queue_of(func), task_id)
    return task_id
