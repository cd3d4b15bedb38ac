"""Support for the UI tests (and bench/gui_responsiveness.py) that run the REAL local worker pool.

- ``contacts_csv``: a generated contacts file (a few bad rows) of any size.
- ``live_config``: a TaskConfig for a pool whose workers run the real import task in a
  namespace of their own, with small batches.
- ``EventLoopProbe``: a 10 ms QTimer on the GUI thread recording the gaps between its ticks;
  the worst gap is the longest the event loop was stalled.
- ``CommitProbe``: a LISTEN connection of its own, in a thread, recording when each committed
  batch of a job became visible (the NOTIFY arrives at commit) and the processed_rows it made.
- ``DockWatch``: when the jobs dock's model showed each processed_rows value of that job.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
from PySide6.QtCore import QObject, QTimer

from contact360_desktop.storage.notify import JOB_CHANNEL
from contact360_desktop.tasks.config import TaskConfig

#: Every BAD_EVERY-th row has an invalid email (rejected).
BAD_EVERY = 1000


def contacts_csv(path: Path, rows: int) -> Path:
    """``rows`` data rows; every BAD_EVERY-th one is rejected (invalid email)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("Email,First Name,Last Name,Company,City\n")
        for i in range(1, rows + 1):
            email = f"not-an-email-{i}" if i % BAD_EVERY == 0 else f"person{i:08d}@example{i % 97}.com"
            fh.write(f"{email},First{i % 89},Last{i % 83},Company {i % 211},City{i % 7}\n")
    return path


def live_config(**overrides: Any) -> TaskConfig:
    """The real import task, a unique namespace, quick reaper/scheduler, ``import_batch_rows`` small."""
    values: dict[str, Any] = dict(
        namespace=f"ui{uuid.uuid4().hex[:8]}",
        heartbeat_interval=1.0,
        stale_after=20.0,
        reaper_interval=1.0,
        pending_grace=5.0,
        scheduler_interval=0.2,
        shutdown_timeout=5.0,
        retry_delay=0.5,
        import_batch_rows=1000,
    )
    values.update(overrides)
    return TaskConfig(**values)


class EventLoopProbe(QObject):
    """Ticks every ``interval_ms`` on the GUI thread; ``worst_gap`` is the longest time between ticks."""

    def __init__(self, interval_ms: int = 10, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self._last: float | None = None
        self.started = 0.0
        #: Seconds after start() when the worst gap ended.
        self.worst_at = 0.0

    def start(self) -> None:
        # The test session's own heap (hundreds of tests' objects) makes a full GC pass take
        # hundreds of ms; the app's heap is far smaller. Freeze what exists now so the probe
        # measures the app's work, not pytest's garbage.
        gc.collect()
        gc.freeze()
        self.gaps.clear()
        self.started = self._last = time.monotonic()
        self.worst_at = 0.0
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self._last = None
        gc.unfreeze()

    def _tick(self) -> None:
        now = time.monotonic()
        if self._last is not None:
            gap = now - self._last
            if gap > self.worst_gap:
                self.worst_at = now - self.started
            self.gaps.append(gap)
        self._last = now

    @property
    def worst_gap(self) -> float:
        return max(self.gaps, default=0.0)

    def percentile(self, p: float) -> float:
        if not self.gaps:
            return 0.0
        ordered = sorted(self.gaps)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


@dataclasses.dataclass
class CommitProbe:
    """LISTENs on the job channel; ``commits`` = [(monotonic time, processed_rows)] of ``job_id``."""

    dsn: str
    job_id: str = ""
    commits: list[tuple[float, int]] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="probe-commits", daemon=True)

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(10):
            raise TimeoutError("the commit probe did not connect")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        # Two connections: one iterates notifications, the other reads the job row.
        with (
            psycopg.connect(self.dsn, autocommit=True) as conn,
            psycopg.connect(self.dsn, autocommit=True) as reader,
        ):
            conn.execute(f"LISTEN {JOB_CHANNEL}")
            self._ready.set()
            while not self._stop.is_set():
                for note in conn.notifies(timeout=0.1):
                    received = time.monotonic()
                    data = json.loads(note.payload)
                    if data.get("id") != self.job_id or data.get("kind") != "import":
                        continue
                    row = reader.execute(
                        "SELECT processed_rows FROM contact_import_jobs WHERE id = %s", (self.job_id,)
                    ).fetchone()
                    if row is not None and row[0]:
                        self.commits.append((received, int(row[0])))


class DockWatch:
    """Records (monotonic time, processed_rows) each time the jobs model applied ``job_id``'s row."""

    def __init__(self, model: Any, job_id: str) -> None:
        self.model = model
        self.job_id = job_id
        self.shown: list[tuple[float, int]] = []
        model.job_updated.connect(self._updated)

    def _updated(self, kind: str, job_id: str) -> None:
        if kind != "import" or job_id != self.job_id:
            return
        row = self.model.row_of(kind, job_id)
        job = self.model.job_at(row) if row is not None else None
        if job is not None:
            self.shown.append((time.monotonic(), int(job.get("processed_rows") or 0)))

    def latencies(self, commits: list[tuple[float, int]]) -> list[float]:
        """Per committed batch: how long until the dock showed at least its processed_rows."""
        out = []
        for committed_at, rows in commits:
            shown = next((t for t, n in self.shown if n >= rows), None)
            if shown is not None:
                out.append(max(0.0, shown - committed_at))
            else:
                out.append(float("inf"))
        return out
