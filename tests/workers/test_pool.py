"""The local pool with real worker processes: priority when saturated, limits, recycling, shutdown."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from contact360_desktop.settings import Settings
from contact360_desktop.tasks.app import TaskApp
from contact360_desktop.tasks.config import TaskConfig
from contact360_desktop.tasks.dispatch import enqueue_job
from contact360_desktop.workers.pool import settings_env
from tests.tasks import sim_tasks
from tests.tasks.fixtures import ROOT, create_job, enqueue_for_job, job_row, wait_for
from tests.tasks.test_priority import EXPECTED, enqueue_mix, lines
from tests.workers.helpers import alive, running_pool

pytestmark = pytest.mark.timeout(90)


def test_busy_pool_takes_the_highest_priority_task_next(
    app: TaskApp, broker_settings: Settings, task_config: TaskConfig, tmp_path: Path
) -> None:
    log = tmp_path / "order.log"
    with running_pool(broker_settings, task_config, workers=1) as pool:
        app.enqueue(sim_tasks.record_default, str(log), "blocker", sleep=1.0)
        wait_for(lambda: pool.slots[0].current is not None)
        enqueue_mix(app, log)
        wait_for(lambda: len(lines(log)) == 7)
    assert lines(log) == ["blocker", *EXPECTED]


def test_hard_time_limit_kills_and_replaces_the_worker(
    app: TaskApp, broker_settings: Settings, task_config: TaskConfig, clean_db: Engine
) -> None:
    limited = dataclasses.replace(broker_settings, soft_time_limit=1, hard_time_limit=2)
    with running_pool(limited, task_config, workers=1) as pool:
        first = pool.pids()
        job_id = create_job(clean_db)
        task_id = enqueue_for_job(app, clean_db, sim_tasks.stubborn_job, job_id)
        wait_for(lambda: job_row(clean_db, job_id).status == "failed", timeout=15)
        assert job_row(clean_db, job_id).message.startswith("Stopped by the hard time limit (2 s)")
        assert pool.hard_kills == 1 and not alive(first[0])
        assert app.task_state(task_id).state == "FAILURE"
        after = app.enqueue(sim_tasks.whoami)
        wait_for(lambda: app.task_state(after).state == "SUCCESS", timeout=30)
        assert app.result(after) not in first


def test_workers_recycle_after_max_tasks(
    broker_settings: Settings, task_config: TaskConfig, app: TaskApp
) -> None:
    config = dataclasses.replace(task_config, max_tasks=2)
    with running_pool(broker_settings, config, workers=1):
        ids = [app.enqueue(sim_tasks.whoami) for _ in range(5)]
        wait_for(lambda: all(app.task_state(t).state == "SUCCESS" for t in ids), timeout=40)
    pids = [app.result(t) for t in ids]
    assert pids[0] == pids[1] and pids[2] == pids[3] and len(set(pids)) == 3


def test_workers_recycle_above_the_memory_limit(
    broker_settings: Settings, task_config: TaskConfig, app: TaskApp
) -> None:
    config = dataclasses.replace(task_config, max_rss_mb=200)
    with running_pool(broker_settings, config, workers=1) as pool:
        small = app.enqueue(sim_tasks.hog, 1)
        wait_for(lambda: app.task_state(small).state == "SUCCESS")
        big = app.enqueue(sim_tasks.hog, 220)
        wait_for(lambda: app.task_state(big).state == "SUCCESS")
        after = app.enqueue(sim_tasks.whoami)
        wait_for(lambda: app.task_state(after).state == "SUCCESS", timeout=30)
        assert app.result(small) == app.result(big) != app.result(after)
        assert pool.slots[0].recycled == 1


def test_graceful_stop_requeues_the_running_job_and_leaves_no_process(
    app: TaskApp, broker_settings: Settings, task_config: TaskConfig, clean_db: Engine
) -> None:
    with running_pool(broker_settings, task_config, workers=2):
        job_id = create_job(clean_db, rows=1000, batch=5, sleep=0.1)
        enqueue_job(app, clean_db, "import", job_id)
        wait_for(lambda: job_row(clean_db, job_id).processed_rows > 0)
    row = job_row(clean_db, job_id)
    assert row.status == "pending" and row.message.startswith("Interrupted by a worker shutdown")
    assert 0 < row.processed_rows < 1000
    assert app.queue_depths()["imports"] == 1
    with clean_db.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM worker_processes WHERE queues <> 'test'")).scalar_one()
            == 0
        )


def test_killing_the_pool_process_leaves_no_orphans(
    broker_settings: Settings, task_config: TaskConfig, clean_db: Engine
) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for key, value in {**settings_env(broker_settings), **task_config.to_env()}.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    cli = subprocess.Popen(
        [sys.executable, "-m", "contact360_desktop", "worker", "--workers", "2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:

        def worker_pids() -> list[int]:
            with clean_db.connect() as conn:
                return [int(p) for p in conn.execute(text("SELECT pid FROM worker_processes")).scalars()]

        wait_for(lambda: len(worker_pids()) == 2, timeout=60)
        children = worker_pids()
        cli.send_signal(signal.SIGKILL)
        cli.wait(10)
        wait_for(lambda: not any(alive(pid) for pid in children), timeout=15)
    finally:
        if cli.poll() is None:
            os.killpg(cli.pid, signal.SIGKILL)
