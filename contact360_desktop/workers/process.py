"""The body of one worker process: a Huey worker loop over one or more queues.

One task at a time per process (processes, not threads: SIGALRM soft limits,
RSS accounting and a hard kill all need a process of its own). The loop is
Huey's ``Worker`` with ``loop()`` replaced to read several queues in priority
order (tasks.brokers.MultiQueueReader) and to recycle the process after
``max_tasks`` tasks or when its RSS is above ``max_rss_mb`` (checked between
tasks). ``huey.execute`` does the rest: revocation, results, retries, signals,
and the soft limit through the SIGALRM timeout handler installed here.

The process talks to its pool through stdout, one JSON object per line
(``ready``, ``start`` with the task and job, ``end``, ``recycle``); logging goes
to stderr. It never outlives its pool: PR_SET_PDEATHSIG (Linux) plus a thread
that watches the parent pid (everywhere) turn the pool's death into a SIGTERM
here, which interrupts the running task so its job is re-queued.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

import psutil
from huey.consumer import Worker, WorkerRecycle
from huey.exceptions import TaskTimeout

from contact360_desktop.settings import Settings
from contact360_desktop.tasks import context
from contact360_desktop.tasks.app import TaskApp
from contact360_desktop.tasks.brokers import (
    BrokerUnavailable,
    MultiQueueReader,
    is_broker_error,
    ping,
    retry_broker,
)
from contact360_desktop.tasks.config import TaskConfig

log = logging.getLogger("contact360.worker")

EXIT_OK, EXIT_BROKER = 0, 3


@contextlib.contextmanager
def alarm_timeout(seconds: float) -> Iterator[None]:
    """Huey's process-worker soft limit: SIGALRM raises TaskTimeout inside the task."""
    if not hasattr(signal, "SIGALRM"):  # Windows: only the pool's hard limit applies
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise TaskTimeout(f"soft time limit ({seconds:g} s)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class StatusPipe:
    """JSON lines to the pool on the real stdout (fd 1 is pointed at stderr for everything else)."""

    def __init__(self) -> None:
        self._out: IO[str] = os.fdopen(os.dup(1), "w", buffering=1)
        os.dup2(2, 1)
        sys.stdout = sys.stderr

    def send(self, event: str, **data: Any) -> None:
        try:
            self._out.write(json.dumps({"event": event, "pid": os.getpid(), **data}, default=str) + "\n")
        except (BrokenPipeError, ValueError):
            pass  # the pool is gone; the parent watch ends this process


class QueueWorker(Worker):
    def __init__(
        self,
        app: TaskApp,
        queues: Sequence[str],
        stop_flag: threading.Event,
        config: TaskConfig,
        report: Callable[..., None] = lambda event, **data: None,
    ) -> None:
        super().__init__(
            app.hueys[queues[0]],
            stop_flag,
            default_delay=0.1,
            max_delay=config.broker_backoff_max,
            backoff=2.0,
            max_tasks=config.max_tasks,
        )
        self.app = app
        self.reader = MultiQueueReader([(q, app.hueys[q]) for q in queues])
        self.report = report
        self.config = config
        self.in_task = False
        self._failures = 0

    def loop(self, now: Any = None) -> None:
        try:
            item = self.reader.read()
        except Exception as exc:
            if not is_broker_error(exc):
                raise
            self._failures += 1
            if self._failures >= self.config.broker_attempts:
                raise BrokerUnavailable(
                    f"broker unreachable after {self._failures} attempts ({exc.__class__.__name__}: {exc})"
                ) from exc
            delay = min(0.2 * 2 ** (self._failures - 1), self.config.broker_backoff_max)
            log.warning("reading the queue failed (%s); retry %d in %.1fs", exc, self._failures, delay)
            self.stop_flag.wait(delay)
            return
        self._failures = 0
        if item is None:
            return
        queue, data = item
        huey = self.app.hueys[queue]
        try:
            task = huey.deserialize_task(data)
        except Exception:
            log.exception("dropping a message of queue %s that cannot be read", queue)
            return
        if self.stop_flag.is_set():
            # Stopping: a message read during shutdown goes back for a worker that stays.
            huey.enqueue(task)
            return
        self.task_count += 1
        job = task.args[0] if task.args and isinstance(task.args[0], str) else None
        name = f"{type(task).__module__}.{type(task).__name__}"
        self.report("start", task_id=task.id, queue=queue, name=name, job=job)
        self.in_task = True
        try:
            huey.execute(task, now)
        except KeyboardInterrupt:
            # Stopped before the task body ran (inside it, runner.run_job re-queues the job): send it back.
            with contextlib.suppress(Exception):
                huey.enqueue(task)
            raise
        except Exception:
            log.exception("unhandled error running %s", task.id)
        finally:
            self.in_task = False
            self.report("end", task_id=task.id)
        self._maybe_recycle()

    def _maybe_recycle(self) -> None:
        if self.max_tasks and self.task_count >= self.max_tasks:
            raise WorkerRecycle(f"max tasks ({self.max_tasks})")
        rss = psutil.Process().memory_info().rss
        if rss > self.config.max_rss_mb * 2**20:
            raise WorkerRecycle(f"RSS {rss // 2**20} MB above {self.config.max_rss_mb} MB")

    def shutdown(self) -> None:
        super().shutdown()
        self.reader.close()


def _die_with_parent(parent_pid: int, grace: float) -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        log.warning("pool process %d is gone; stopping", parent_pid)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(grace)
        os._exit(1)

    if parent_pid:
        if os.getppid() != parent_pid:  # died before prctl took effect
            os._exit(1)
        threading.Thread(target=watch, name="contact360-parent-watch", daemon=True).start()


def run_worker_process(
    settings: Settings, config: TaskConfig, queues: Sequence[str], parent_pid: int = 0
) -> int:
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format=f"%(asctime)s worker {os.getpid()} %(levelname)s %(message)s",
    )
    # Huey logs every task at INFO; a pool running thousands of tasks keeps warnings and errors only.
    logging.getLogger("huey").setLevel(logging.WARNING)
    pipe = StatusPipe()
    _die_with_parent(parent_pid, config.shutdown_timeout)
    stop = threading.Event()
    worker: QueueWorker | None = None

    def on_term(signum: int, frame: Any) -> None:
        stop.set()
        if worker is not None and worker.in_task:
            raise KeyboardInterrupt  # Huey's own convention: the task is interrupted, its job re-queued

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C goes to the pool, which stops us
    ctx = context.build_context(settings, config, ",".join(queues))
    context.install(ctx)
    code = EXIT_OK
    try:
        retry_broker(
            lambda: ping(ctx.app.hueys[queues[0]]),
            "worker start-up",
            config.broker_attempts,
            config.broker_backoff_max,
        )
        ctx.lease.start()
        for huey in ctx.app.hueys.values():
            huey._timeout_handler = alarm_timeout
        worker = QueueWorker(ctx.app, queues, stop, config, pipe.send)
        worker.initialize()
        pipe.send("ready", queues=list(queues))
        while not stop.is_set():
            worker.loop()
    except WorkerRecycle as exc:
        log.info("recycling: %s", exc)
        pipe.send("recycle", reason=str(exc))
    except BrokerUnavailable as exc:
        log.error("%s", exc)
        pipe.send("error", message=str(exc))
        code = EXIT_BROKER
    except KeyboardInterrupt:
        pass
    finally:
        if worker is not None:
            worker.shutdown()
        ctx.lease.stop()
        ctx.app.close()
    return code
