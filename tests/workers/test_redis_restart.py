"""Redis restarted without persistence while jobs are queued, and enqueue while Redis is down.

Uses a private redis-server (port 6390, no RDB/AOF) started by the test, never the shared one.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import Engine, text

from contact360_desktop.settings import Settings
from contact360_desktop.tasks import context
from contact360_desktop.tasks.config import TaskConfig
from contact360_desktop.tasks.dispatch import enqueue_job
from tests.tasks.fixtures import create_job, job_row, wait_for
from tests.workers.helpers import running_pool

pytestmark = [pytest.mark.timeout(120), pytest.mark.redis]

PORT = 6390
URL = f"redis://127.0.0.1:{PORT}/0"


class PrivateRedis:
    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(PORT), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(URL)
        wait_for(lambda: _pings(client), timeout=10)
        client.close()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


@pytest.fixture()
def private_redis() -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed", pytrace=False)
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


def test_jobs_queued_before_a_redis_restart_are_delivered(
    private_redis: PrivateRedis, settings: Settings, clean_db: Engine, task_config: TaskConfig
) -> None:
    on_redis = dataclasses.replace(settings, redis_url=URL)
    ctx = context.build_context(on_redis, task_config, "test")
    app = ctx.app
    try:
        queued = [create_job(clean_db, rows=10, prefix=f"q{i}-") for i in range(3)]
        for job_id in queued:
            enqueue_job(app, clean_db, "import", job_id)
        assert app.queue_depths()["imports"] == 3
        private_redis.stop()  # all queued messages are gone with it
        down = create_job(clean_db, rows=10, prefix="down-")
        started = time.monotonic()
        enqueue_job(app, clean_db, "import", down)  # broker down: the job stays pending
        assert time.monotonic() - started < 5
        assert job_row(clean_db, down).status == "pending"
        private_redis.start()
        assert app.queue_depths()["imports"] == 0
        with running_pool(on_redis, task_config, workers=2):
            wait_for(
                lambda: all(job_row(clean_db, j).status == "completed" for j in [*queued, down]), timeout=60
            )
        with clean_db.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM contacts")).scalar_one() == 4 * 8
    finally:
        app.close()
