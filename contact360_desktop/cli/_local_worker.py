"""`--wait` with nobody serving the queue: run a one-worker local pool until the job ends.

Alone (the default set-up) there is no `contact360 worker` running, so a waiting CLI
would wait forever. The job still goes through the queue like every other; this
only supplies a consumer. CONTACT360_LOCAL_WORKERS=0 turns it off (team set-ups
whose workers run elsewhere and may just be busy).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any


def _queue_is_served(runtime: Any, queue: str) -> bool:
    from contact360_desktop.storage.db import session_scope
    from contact360_desktop.tasks.monitor import list_workers

    with session_scope(runtime.engine) as session:
        return any(queue in str(worker.queues).replace(" ", "").split(",") for worker in list_workers(session))


@contextlib.contextmanager
def worker_while_waiting(runtime: Any, queue: str, *, quiet: bool = False) -> Iterator[None]:
    from contact360_desktop.workers.pool import LocalPool, local_workers_enabled

    if _queue_is_served(runtime, queue):
        yield
        return
    if not local_workers_enabled():
        if not quiet:
            print(
                f"contact360: no worker serves the {queue} queue; the job waits until one starts "
                "(`contact360 worker`, or open the app)",
                file=sys.stderr,
            )
        yield
        return
    pool = LocalPool(runtime.settings, queues=[queue], workers=1)
    pool.start()
    try:
        yield
    finally:
        pool.stop()
