"""Task-layer benchmarks: enqueue->start latency, no-op throughput, reaper recovery time.

    CONTACT360_BENCH_PG=postgresql://postgres@127.0.0.1:5432/postgres \
    CONTACT360_BENCH_REDIS=redis://127.0.0.1:6379/14 \
    python -m bench.task_bench [--broker postgres|redis|both] [--tasks 1000]

Creates a scratch database on the given server (dropped afterwards) and uses a
unique Huey namespace, so it does not disturb other users of the servers.
Latency: one task at a time with a short gap, the task measures now - sent_at.
Throughput: N no-op tasks enqueued at once, timed until the last one succeeded,
with 4 worker processes. Recovery: a simulated import's worker is SIGKILLed
mid-run with production reaper settings (heartbeat 5 s, stale after 15 s,
sweep every 5 s); measured until the job makes progress again.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import time
import uuid
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from contact360_desktop.settings import Settings
from contact360_desktop.storage import migrate
from contact360_desktop.storage.db import make_engine
from contact360_desktop.tasks.app import TaskApp
from contact360_desktop.tasks.config import TaskConfig
from contact360_desktop.tasks.dispatch import enqueue_job
from contact360_desktop.workers.pool import LocalPool


def wait(condition: Any, timeout: float = 300.0, interval: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark condition not reached")
        time.sleep(interval)


def latency_and_throughput(settings: Settings, config: TaskConfig, tasks: int) -> dict[str, Any]:
    from bench import bench_tasks

    app = TaskApp(settings, config)
    pool = LocalPool(settings, config=config, workers=4)
    pool.start()
    try:
        pool.wait_ready(60)
        latencies = []
        for _ in range(200):
            task_id = app.enqueue(bench_tasks.stamp, time.time())
            wait(lambda t=task_id: app.task_state(t).state == "SUCCESS")
            latencies.append(app.result(task_id))
            time.sleep(0.005)
        latencies.sort()
        started = time.monotonic()
        ids = [app.enqueue(bench_tasks.noop) for _ in range(tasks)]
        enqueue_s = time.monotonic() - started
        wait(lambda: app.queue_depths()["default"] == 0 and app.task_state(ids[-1]).state == "SUCCESS")
        elapsed = time.monotonic() - started
    finally:
        pool.stop()
        app.close()
    return {
        "latency_p50_ms": round(1000 * statistics.median(latencies), 1),
        "latency_p99_ms": round(1000 * latencies[int(len(latencies) * 0.99) - 1], 1),
        "noop_tasks": tasks,
        "enqueue_per_s": round(tasks / enqueue_s),
        "throughput_per_s": round(tasks / elapsed),
    }


def reaper_recovery(settings: Settings, config: TaskConfig, engine: Any) -> dict[str, Any]:
    config = TaskConfig(
        **{**config.__dict__, "heartbeat_interval": 5.0, "stale_after": 15.0, "reaper_interval": 5.0}
    )
    app = TaskApp(settings, config)
    pool = LocalPool(settings, config=config, workers=1)
    pool.start()
    try:
        pool.wait_ready(60)
        with engine.begin() as conn:
            job_id = str(
                conn.execute(
                    text(
                        "INSERT INTO contact_import_jobs (user_id, file_name, file_path, file_size, options) VALUES "
                        "('bench', 'sim.csv', '/dev/null', 0, CAST(:o AS jsonb)) RETURNING id"
                    ),
                    {"o": json.dumps({"rows": 2000, "batch": 10, "sleep": 0.2, "prefix": "bench"})},
                ).scalar_one()
            )
        enqueue_job(app, engine, "import", job_id)

        def processed() -> int:
            with engine.connect() as conn:
                return int(
                    conn.execute(
                        text("SELECT processed_rows FROM contact_import_jobs WHERE id = :id"), {"id": job_id}
                    ).scalar_one()
                )

        wait(lambda: processed() >= 50)
        os.kill(pool.pids()[0], signal.SIGKILL)
        killed_at, before = time.monotonic(), processed()
        wait(lambda: processed() > before, timeout=120, interval=0.1)
        return {"reaper_resumed_after_s": round(time.monotonic() - killed_at, 1)}
    finally:
        pool.stop()
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--broker", default="both", choices=("postgres", "redis", "both"))
    parser.add_argument("--tasks", type=int, default=1000)
    args = parser.parse_args()
    server = os.environ.get("CONTACT360_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("CONTACT360_BENCH_REDIS", "redis://127.0.0.1:6379/14")
    name = f"c360_bench_{os.getpid()}"
    admin = create_engine(
        server.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin.url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    results: dict[str, Any] = {"load_before": os.getloadavg(), "cpus": os.cpu_count()}
    try:
        for broker in ("postgres", "redis") if args.broker == "both" else (args.broker,):
            settings = Settings(
                database_url=url, redis_url=redis_url if broker == "redis" else None, user="bench"
            )
            config = TaskConfig(
                namespace=f"bench{os.getpid()}{uuid.uuid4().hex[:4]}",
                extra_modules=("bench.bench_tasks", "tests.tasks.sim_tasks"),
                import_task="tests.tasks.sim_tasks.sim_import",
            )
            results[broker] = latency_and_throughput(settings, config, args.tasks)
            results[broker].update(reaper_recovery(settings, config, engine))
            with engine.begin() as conn:
                conn.execute(text("TRUNCATE contacts, contact_import_errors, contact_import_jobs CASCADE"))
            if broker == "redis":
                import redis

                client = redis.Redis.from_url(redis_url)
                for key in client.scan_iter(match=f"huey*{config.namespace}*"):
                    client.delete(key)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    results["load_after"] = os.getloadavg()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
