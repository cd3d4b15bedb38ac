"""LocalPool: N worker processes serving some queues, supervised from one thread.

What the pool does, all from threads of the process that owns it (the GUI or
``contact360 worker``):

- **spawns** each worker as ``worker_command("--process", ...)`` in a session
  of its own (``start_new_session``) so it can be killed with its whole
  process group, from ONE long-lived supervisor thread (PR_SET_PDEATHSIG fires
  when the *thread* that spawned a child exits, so spawning from a short-lived
  GUI worker thread would kill the children early);
- **restarts** workers that exit: recycled ones (max tasks / RSS) at once,
  crashed ones with a back-off so a crash loop does not spin;
- **hard time limit**: each worker reports the task it starts on its stdout;
  a task running longer than ``Settings.hard_time_limit`` gets its worker's
  process group SIGKILLed, its job marked failed and the worker replaced;
- **maintenance** thread: moves due retries into their queues
  (tasks.scheduler) and runs the reaper (tasks.reaper) for lost runs and lost
  messages;
- **graceful stop** (``stop()``, SIGTERM/SIGINT in ``run_forever``): SIGTERM to
  each worker, which interrupts its task and re-queues the job; after
  ``shutdown_timeout`` the remaining process groups are SIGKILLed. A worker
  whose pool dies without stopping it gets SIGTERM from the kernel
  (PR_SET_PDEATHSIG) or notices through its parent-watch thread.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from contact360_desktop.settings import ENV_PREFIX, Settings
from contact360_desktop.storage.db import get_engine
from contact360_desktop.tasks import jobs, routing
from contact360_desktop.tasks.app import get_task_app
from contact360_desktop.tasks.brokers import is_broker_error
from contact360_desktop.tasks.config import TaskConfig
from contact360_desktop.tasks.lease import worker_id
from contact360_desktop.tasks.reaper import Reaper
from contact360_desktop.tasks.scheduler import enqueue_due
from contact360_desktop.tasks.states import FAILURE, record_state
from contact360_desktop.workers.command import worker_command

log = logging.getLogger(__name__)


def local_workers_enabled(env: Mapping[str, str] | None = None) -> bool:
    """``CONTACT360_LOCAL_WORKERS=0``: remote workers serve the queues, the app starts none."""
    env = os.environ if env is None else env
    return env.get("CONTACT360_LOCAL_WORKERS", "1").strip().lower() not in ("0", "false", "no", "off")


def settings_env(settings: Settings) -> dict[str, str | None]:
    """The settings as CONTACT360_* variables (None: remove it, so the child does not inherit another value)."""
    env: dict[str, str | None] = {}
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        env[ENV_PREFIX + field.name.upper()] = None if value is None else str(value)
    # The parent's settings are complete; a config file must not add to them in the child.
    env[ENV_PREFIX + "CONFIG"] = os.devnull
    return env


@dataclasses.dataclass
class WorkerSlot:
    index: int
    proc: subprocess.Popen[str] | None = None
    started: float = 0.0
    ready: bool = False
    current: dict[str, Any] | None = None
    crashes: int = 0
    not_before: float = 0.0
    recycled: int = 0
    reader: threading.Thread | None = None


class LocalPool:
    def __init__(
        self,
        settings: Settings,
        *,
        queues: Sequence[str] = routing.QUEUES,
        workers: int | None = None,
        config: TaskConfig | None = None,
        log_dir: Path | None = None,
    ) -> None:
        self.settings = settings
        self.queues = routing.parse_queues(queues)
        self.size = workers or settings.worker_concurrency
        self.config = config or TaskConfig.from_env()
        self.log_dir = log_dir
        self.slots = [WorkerSlot(i) for i in range(self.size)]
        self.hard_kills = 0
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None
        self._maintenance: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- public ---------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._supervisor is not None and self._supervisor.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stopping.clear()
        self._supervisor = threading.Thread(target=self._supervise, name="contact360-pool", daemon=True)
        self._supervisor.start()
        self._maintenance = threading.Thread(target=self._maintain, name="contact360-pool-maint", daemon=True)
        self._maintenance.start()

    def stop(self, timeout: float | None = None) -> None:
        """Interrupt running tasks (their jobs are re-queued), then kill what is left; returns when all are gone."""
        self._stopping.set()
        wait = (timeout if timeout is not None else self.config.shutdown_timeout) + 10
        for thread in (self._supervisor, self._maintenance):
            if thread is not None:
                thread.join(wait)

    def pids(self) -> list[int]:
        with self._lock:
            return [s.proc.pid for s in self.slots if s.proc is not None and s.proc.poll() is None]

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(s.ready for s in self.slots):
                return
            if not self.running:
                break
            time.sleep(0.05)
        raise TimeoutError(f"worker pool not ready after {timeout:g} s")

    def run_forever(self) -> int:
        """For `contact360 worker`: run until SIGTERM or SIGINT, then stop gracefully."""
        stop = threading.Event()

        def request_stop(signum: int, frame: Any) -> None:
            log.info("received %s, stopping the pool", signal.Signals(signum).name)
            stop.set()

        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, request_stop)
        self.start()
        while not stop.wait(0.5):
            if not self.running:
                return 1
        self.stop()
        return 0

    # -- supervisor thread ----------------------------------------------------
    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        for key, value in {**settings_env(self.settings), **self.config.to_env()}.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def _spawn(self, slot: WorkerSlot) -> None:
        args = worker_command(
            "--process", "--queues", ",".join(self.queues), "--parent-pid", str(os.getpid())
        )
        stderr: IO[Any] | None = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            stderr = open(self.log_dir / f"worker-{slot.index + 1}.log", "a", encoding="utf-8")  # noqa: SIM115
        try:
            proc = subprocess.Popen(
                args,
                stdout=subprocess.PIPE,
                stderr=stderr,
                stdin=subprocess.DEVNULL,
                env=self._child_env(),
                start_new_session=True,
                text=True,
                bufsize=1,
            )
        finally:
            if stderr is not None:
                stderr.close()
        with self._lock:
            slot.proc, slot.started, slot.ready, slot.current = proc, time.monotonic(), False, None
        slot.reader = threading.Thread(target=self._read_status, args=(slot, proc), daemon=True)
        slot.reader.start()
        log.info("started worker %d (pid %d) for %s", slot.index + 1, proc.pid, ",".join(self.queues))

    def _read_status(self, slot: WorkerSlot, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            with self._lock:
                if slot.proc is not proc:
                    return
                kind = event.get("event")
                if kind == "ready":
                    slot.ready = True
                elif kind == "start":
                    slot.current = {**event, "since": time.monotonic()}
                elif kind == "end":
                    slot.current = None
                elif kind == "recycle":
                    slot.recycled += 1

    def _supervise(self) -> None:
        try:
            while not self._stopping.is_set():
                for slot in self.slots:
                    self._check(slot)
                self._stopping.wait(0.2)
        except Exception:
            log.exception("pool supervisor failed")
        finally:
            self._shutdown()

    def _check(self, slot: WorkerSlot) -> None:
        proc = slot.proc
        now = time.monotonic()
        if proc is None:
            if now >= slot.not_before:
                self._spawn(slot)
            return
        code = proc.poll()
        if code is not None:
            self._reap(slot, proc, code)
            return
        current = slot.current
        if current and now - current["since"] > self.settings.hard_time_limit:
            self._hard_kill(slot, proc, current)

    def _reap(self, slot: WorkerSlot, proc: subprocess.Popen[str], code: int) -> None:
        lived = time.monotonic() - slot.started
        with self._lock:
            slot.proc, slot.ready, slot.current = None, False, None
        self._forget_worker(proc.pid)
        if code == 0:
            slot.crashes = 0
            log.info("worker %d (pid %d) exited (recycled)", slot.index + 1, proc.pid)
            return
        slot.crashes = slot.crashes + 1 if lived < 10 else 1
        delay = min(2.0 ** (slot.crashes - 1) - 1, 30.0)
        slot.not_before = time.monotonic() + delay
        log.warning(
            "worker %d (pid %d) exited with %d; restarting in %.0fs", slot.index + 1, proc.pid, code, delay
        )

    def _hard_kill(self, slot: WorkerSlot, proc: subprocess.Popen[str], current: dict[str, Any]) -> None:
        log.error(
            "task %s exceeded the hard time limit (%ss): killing worker pid %d",
            current.get("task_id"),
            self.settings.hard_time_limit,
            proc.pid,
        )
        _kill_group(proc, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        self.hard_kills += 1
        task_id = current.get("task_id")
        try:
            engine = get_engine(self.settings)
            job = jobs.find_by_task(engine, task_id) if task_id else None
            if job is not None:
                jobs.mark_failed(
                    engine,
                    job[0],
                    job[1],
                    f"Stopped by the hard time limit ({self.settings.hard_time_limit} s): "
                    "the worker was killed and replaced; committed progress is kept.",
                )
            app = get_task_app(self.settings, self.config)
            queue = current.get("queue")
            if queue in app.hueys and current.get("task_id"):
                record_state(app.hueys[queue], current["task_id"], FAILURE, "hard time limit")
                app.drop_marker(queue, current["task_id"])
        except Exception:
            log.exception("could not record the hard time limit of task %s", current.get("task_id"))

    def _forget_worker(self, pid: int) -> None:
        from sqlalchemy import text

        try:
            with get_engine(self.settings).begin() as conn:
                conn.execute(text("DELETE FROM worker_processes WHERE id = :id"), {"id": worker_id(pid)})
        except Exception as exc:
            log.warning("could not remove the row of worker %d: %s", pid, exc)

    def _shutdown(self) -> None:
        procs = [s.proc for s in self.slots if s.proc is not None]
        for proc in procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.config.shutdown_timeout
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.0, deadline - time.monotonic()))
        for proc in procs:
            # Kill the whole group: whatever a worker started must not outlive the pool.
            _kill_group(proc, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)
            self._forget_worker(proc.pid)
        for slot in self.slots:
            slot.proc, slot.ready, slot.current = None, False, None

    # -- maintenance thread ---------------------------------------------------
    def _maintain(self) -> None:
        app = get_task_app(self.settings, self.config)
        reaper = Reaper(app, get_engine(self.settings))
        next_reap = 0.0
        while not self._stopping.wait(self.config.scheduler_interval):
            try:
                enqueue_due(app, self.queues)
                if time.monotonic() >= next_reap:
                    next_reap = time.monotonic() + self.config.reaper_interval
                    reaper.sweep()
            except Exception as exc:
                if is_broker_error(exc):
                    log.warning("pool maintenance: broker unreachable (%s)", exc)
                else:
                    log.exception("pool maintenance failed")


def _kill_group(proc: subprocess.Popen[str], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signum)
