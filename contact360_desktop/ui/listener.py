"""The job listener: PostgreSQL LISTEN on the job channel in a thread of its own, as Qt signals.

It keeps its own psycopg connection (never the app's engine), emits
``job_changed(kind, id, status)`` for every notification, and reports its
connection state. When the connection is lost it says so, asks the UI to poll
(``resync_requested`` every few seconds, so jobs still update) and reconnects
with a growing delay; once back it asks for one more resync to catch up on
notifications missed meanwhile.
"""

from __future__ import annotations

import json
import logging
import threading
import time

import psycopg
from PySide6.QtCore import QObject, Signal

from contact360_desktop.storage.notify import JOB_CHANNEL

log = logging.getLogger(__name__)

CONNECTING = "connecting"
CONNECTED = "connected"
LOST = "lost"
STOPPED = "stopped"


class JobListener(QObject):
    job_changed = Signal(str, str, str)  # kind, id, status
    state_changed = Signal(str, str)  # state, detail
    resync_requested = Signal()

    def __init__(
        self,
        dsn: str,
        parent: QObject | None = None,
        *,
        poll_interval: float = 3.0,
        wait_timeout: float = 0.25,
        max_backoff: float = 10.0,
        keepalive: float = 5.0,
    ) -> None:
        super().__init__(parent)
        self.dsn = dsn
        self.poll_interval = poll_interval
        self.wait_timeout = wait_timeout
        self.max_backoff = max_backoff
        self.keepalive = keepalive
        self.state = STOPPED
        self.detail = ""
        self.backend_pid: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: psycopg.Connection | None = None

    # --- control (GUI thread) ---------------------------------------------------------------
    def start(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="contact360-job-listener", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._set_state(STOPPED, "")

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- the thread ---------------------------------------------------------------------------
    def _set_state(self, state: str, detail: str) -> None:
        if (state, detail) == (self.state, self.detail):
            return
        self.state, self.detail = state, detail
        try:
            self.state_changed.emit(state, detail)
        except RuntimeError:  # the QObject is gone (application shutting down)
            pass

    def _run(self) -> None:
        delay = 0.5
        first = True
        while not self._stop.is_set():
            if first:
                self._set_state(CONNECTING, "")
            try:
                self._listen()
                delay = 0.5
            except (psycopg.Error, OSError) as exc:
                message = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
                log.info("job listener: connection lost (%s); polling and reconnecting", message)
                self._set_state(LOST, message)
            finally:
                self._close()
            first = False
            # Poll while disconnected: the UI re-reads its jobs, then we try to reconnect.
            waited = 0.0
            while not self._stop.is_set() and waited < delay:
                step = min(self.poll_interval, delay - waited)
                if self._stop.wait(step):
                    return
                waited += step
                self.resync_requested.emit()
            delay = min(delay * 2, self.max_backoff)

    def _listen(self) -> None:
        conn = psycopg.connect(
            self.dsn, autocommit=True, connect_timeout=5, application_name="contact360-listener"
        )
        self._conn = conn
        conn.execute(f"LISTEN {JOB_CHANNEL}")
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
        self.backend_pid = int(row[0]) if row else None
        self._set_state(CONNECTED, "")
        self.resync_requested.emit()  # catch up on anything missed while not listening
        last_ping = time.monotonic()
        while not self._stop.is_set():
            for note in conn.notifies(timeout=self.wait_timeout):
                self._dispatch(note.payload)
                if self._stop.is_set():
                    return
            if conn.closed or conn.broken:
                raise psycopg.OperationalError("the listening connection was closed")
            if time.monotonic() - last_ping > self.keepalive:
                conn.execute("SELECT 1")  # notices a dead server that closed nothing cleanly
                last_ping = time.monotonic()

    def _dispatch(self, payload: str) -> None:
        try:
            data = json.loads(payload)
            kind, job_id, status = str(data["kind"]), str(data["id"]), str(data.get("status", ""))
        except (ValueError, KeyError, TypeError):
            log.warning("job listener: ignoring malformed payload %r", payload)
            return
        self.job_changed.emit(kind, job_id, status)

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        self.backend_pid = None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass
