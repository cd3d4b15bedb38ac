"""Job leases and heartbeats: the acks-late / reject-on-worker-lost half that Huey lacks.

Huey deletes a message when a worker takes it, so a worker that dies loses it.
The job row is what survives. Each worker process keeps ONE dedicated
PostgreSQL connection (not the engine's pool, never shared with another
process) for two things:

- the lease: a session-level advisory lock on ``contact360:<kind>:<job id>``,
  taken before the job is marked processing and released after its final
  status. PostgreSQL drops it the moment the process dies (its connection
  closes), so "lock free + status processing" proves the run is gone, and a
  duplicate delivery that cannot take the lock knows the first run is alive
  and leaves (nothing is re-run while its first run is alive).
- the heartbeat: a thread that every ``heartbeat_interval`` seconds touches
  ``heartbeat_at`` of the job being run and the process's ``worker_processes``
  row (queues, current task, RSS, tasks done) for the monitoring API.

TCP keepalives make a vanished remote worker's session (and lock) end in
about half a minute instead of hours.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from typing import Any

import psutil
import psycopg

log = logging.getLogger(__name__)

#: SQL expression of the advisory-lock key; the reaper uses the same one.
LOCK_KEY_SQL = "hashtextextended(%s, 360)"


def lease_name(kind: str, job_id: str) -> str:
    return f"contact360:{kind}:{job_id}"


def worker_id(pid: int | None = None) -> str:
    return f"{socket.gethostname()}:{pid or os.getpid()}"


class WorkerLease:
    def __init__(self, dsn: str, queues: str, interval: float = 5.0) -> None:
        self.dsn = dsn
        self.queues = queues
        self.interval = interval
        self.id = worker_id()
        self.tasks_done = 0
        self._conn: psycopg.Connection[Any] | None = None
        self._lock = threading.Lock()
        self._current: tuple[str, str, str, str] | None = None  # kind, job id, task id, task name
        self._current_started: dt.datetime | None = None
        self._held: set[tuple[str, str]] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- connection ---------------------------------------------------------
    def _connection(self) -> psycopg.Connection[Any]:
        conn = self._conn
        if conn is None or conn.closed or conn.broken:
            conn = psycopg.connect(
                self.dsn,
                autocommit=True,
                connect_timeout=5,
                application_name=f"contact360:lease:{os.getpid()}",
                keepalives=1,
                keepalives_idle=10,
                keepalives_interval=5,
                keepalives_count=3,
            )
            self._conn = conn
            if self._held:
                # Reconnected: the old session's locks are gone. Take them back, or another run may start.
                for kind, job_id in list(self._held):
                    got = conn.execute(
                        f"SELECT pg_try_advisory_lock({LOCK_KEY_SQL})", (lease_name(kind, job_id),)
                    ).fetchone()
                    if not (got and got[0]):
                        log.error("lease of %s %s lost while reconnecting", kind, job_id)
                        self._held.discard((kind, job_id))
        return conn

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        with self._lock:
            self._connection().execute(sql, params)

    def _fetchone(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        with self._lock:
            return self._connection().execute(sql, params).fetchone()

    # -- leases -------------------------------------------------------------
    def acquire(self, kind: str, job_id: str) -> bool:
        row = self._fetchone(f"SELECT pg_try_advisory_lock({LOCK_KEY_SQL})", (lease_name(kind, job_id),))
        if row and row[0]:
            self._held.add((kind, job_id))
            return True
        return False

    def release(self, kind: str, job_id: str) -> None:
        if (kind, job_id) in self._held:
            self._held.discard((kind, job_id))
            self._execute(f"SELECT pg_advisory_unlock({LOCK_KEY_SQL})", (lease_name(kind, job_id),))

    # -- what this worker is doing -----------------------------------------
    def track(self, kind: str, job_id: str, task_id: str, task_name: str) -> None:
        self._current = (kind, job_id, task_id, task_name)
        self._current_started = dt.datetime.now(dt.UTC)

    def untrack(self) -> None:
        self._current = None
        self._current_started = None

    def task_finished(self) -> None:
        self.tasks_done += 1

    # -- heartbeat ----------------------------------------------------------
    def register(self) -> None:
        self._execute(
            "INSERT INTO worker_processes (id, host, pid, queues, started_at, heartbeat_at, rss_bytes, tasks_done) "
            "VALUES (%s, %s, %s, %s, now(), now(), %s, 0) ON CONFLICT (id) DO UPDATE SET queues = excluded.queues, "
            "started_at = now(), heartbeat_at = now(), tasks_done = 0, current_task = NULL, current_job = NULL",
            (self.id, socket.gethostname(), os.getpid(), self.queues, _rss()),
        )

    def beat(self) -> None:
        current = self._current
        self._execute(
            "UPDATE worker_processes SET heartbeat_at = now(), rss_bytes = %s, tasks_done = %s, "
            "current_task = %s, current_job = %s, task_started_at = %s WHERE id = %s",
            (
                _rss(),
                self.tasks_done,
                current[3] + ":" + current[2] if current else None,
                current[1] if current else None,
                self._current_started,
                self.id,
            ),
        )
        if current:
            kind, job_id = current[0], current[1]
            table = "contact_import_jobs" if kind == "import" else "exports"
            self._execute(
                f"UPDATE {table} SET heartbeat_at = now() WHERE id = %s AND status = 'processing'", (job_id,)
            )

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except Exception as exc:  # the next beat reconnects
                log.warning("heartbeat failed: %s", exc)

    def start(self) -> None:
        self.register()
        self._thread = threading.Thread(target=self._run, name="contact360-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 5)
        try:
            self._execute("DELETE FROM worker_processes WHERE id = %s", (self.id,))
        except Exception as exc:
            log.warning("could not remove worker row: %s", exc)
        if self._conn is not None:
            self._conn.close()


def _rss() -> int:
    return int(psutil.Process().memory_info().rss)
