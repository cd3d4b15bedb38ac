"""Starting a LocalPool in tests and waiting on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psutil

from contact360_desktop.settings import Settings
from contact360_desktop.tasks.config import TaskConfig
from contact360_desktop.workers.pool import LocalPool


@contextmanager
def running_pool(settings: Settings, config: TaskConfig, **kwargs: Any) -> Iterator[LocalPool]:
    pool = LocalPool(settings, config=config, **kwargs)
    pool.start()
    try:
        pool.wait_ready(60)
        yield pool
    finally:
        pids = pool.pids()
        pool.stop()
        assert not pool.running
        assert not [pid for pid in pids if alive(pid)], "worker processes outlived the pool"


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
