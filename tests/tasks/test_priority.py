"""A worker serving several queues takes the highest-priority waiting task first.

Everything is enqueued before the worker takes anything, i.e. while the pool is
saturated; the order the worker then takes them in is the order it would pick
after each task. (tests/workers/test_pool.py checks the same with real worker
processes busy on a long task.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from contact360_desktop.tasks.app import TaskApp
from tests.tasks import sim_tasks
from tests.tasks.fixtures import drain

pytestmark = pytest.mark.timeout(60)


def enqueue_mix(app: TaskApp, log: Path) -> None:
    app.enqueue(sim_tasks.record_default, str(log), "d1")
    app.enqueue(sim_tasks.record_export, str(log), "e1")
    app.enqueue(sim_tasks.record_default, str(log), "d2")
    app.enqueue(sim_tasks.record_import, str(log), "i1", priority=1)
    app.enqueue(sim_tasks.record_import, str(log), "i2", priority=9)
    app.enqueue(sim_tasks.record_export, str(log), "e2", priority=9)


EXPECTED = ["i2", "i1", "e2", "e1", "d1", "d2"]


def lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def test_saturated_worker_takes_imports_then_exports_then_default(app: TaskApp, tmp_path: Path) -> None:
    log = tmp_path / "order.log"
    enqueue_mix(app, log)
    drain(app, lambda: len(lines(log)) == 6)
    assert lines(log) == EXPECTED


def test_a_worker_serves_only_its_queues(app: TaskApp, tmp_path: Path) -> None:
    log = tmp_path / "order.log"
    enqueue_mix(app, log)
    drain(app, lambda: len(lines(log)) == 2, queues=("exports",))
    assert lines(log) == ["e2", "e1"]
    assert app.queue_depths() == {"imports": 2, "exports": 0, "default": 2}
