"""Recovers jobs whose worker died or whose message never reached the broker.

Runs in every pool (several at once is fine: rows are taken FOR UPDATE SKIP
LOCKED and a message sent twice is harmless). Each sweep:

1. **Lost runs**: ``processing`` jobs whose heartbeat is older than
   ``stale_after`` and whose lease (advisory lock, tasks.lease) is free, i.e.
   the process that ran them is gone. They go back to ``pending`` with
   ``redeliveries + 1`` and a new message; the service resumes from the last
   committed checkpoint. After ``max_redeliveries`` they fail with "worker
   lost"; with ``cancel_requested`` they end ``cancelled``.
2. **Lost messages**: ``pending`` jobs older than ``pending_grace`` whose
   broker marker is missing: the enqueue failed, or Redis restarted without
   persistence. They are sent again (same task id).
3. Housekeeping: worker rows without a heartbeat for a while are removed and
   expired PostgreSQL-broker results purged.
"""

from __future__ import annotations

import dataclasses
import logging

from sqlalchemy import Engine, text

from contact360_desktop.core.fields import CANCELLED, FAILED, PENDING, PROCESSING
from contact360_desktop.storage import import_indexes
from contact360_desktop.storage.notify import notify_job
from contact360_desktop.tasks import jobs
from contact360_desktop.tasks.app import TaskApp
from contact360_desktop.tasks.brokers import is_broker_error, purge_expired
from contact360_desktop.tasks.dispatch import enqueue_job, task_for
from contact360_desktop.tasks.lease import LOCK_KEY_SQL, lease_name

log = logging.getLogger(__name__)


@dataclasses.dataclass
class SweepReport:
    redelivered: list[str] = dataclasses.field(default_factory=list)
    failed: list[str] = dataclasses.field(default_factory=list)
    cancelled: list[str] = dataclasses.field(default_factory=list)
    resent: list[str] = dataclasses.field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.redelivered or self.failed or self.cancelled or self.resent)


class Reaper:
    def __init__(self, app: TaskApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine
        self.config = app.config

    def sweep(self) -> SweepReport:
        report = SweepReport()
        for kind in jobs.TABLES:
            for job_id, task_id in self._lost_runs(kind, report):
                enqueue_job(self.app, self.engine, kind, job_id, task_id=task_id)
            try:
                self._lost_messages(kind, report)
            except Exception as exc:
                if not is_broker_error(exc):
                    raise
                log.warning("pending sweep skipped, broker unreachable: %s", exc)
        self._housekeeping()
        if report:
            log.warning("reaper: %s", report)
        return report

    def _lost_runs(self, kind: str, report: SweepReport) -> list[tuple[str, str | None]]:
        table = jobs.table(kind)
        resend: list[tuple[str, str | None]] = []
        with self.engine.begin() as conn:
            rows = conn.execute(
                text(
                    f"SELECT id, task_id, redeliveries, cancel_requested FROM {table} WHERE status = :processing "
                    "AND (heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => :stale)) "
                    "ORDER BY heartbeat_at NULLS FIRST LIMIT 50 FOR UPDATE SKIP LOCKED"
                ),
                {"processing": PROCESSING, "stale": self.config.stale_after},
            ).all()
            for row in rows:
                job_id = str(row.id)
                free = conn.execute(
                    text(f"SELECT pg_try_advisory_xact_lock({LOCK_KEY_SQL.replace('%s', ':key')})"),
                    {"key": lease_name(kind, job_id)},
                ).scalar_one()
                if not free:
                    continue  # its run is alive, only slow to beat
                if row.cancel_requested:
                    status, message = CANCELLED, "Cancelled (its worker was lost)."
                    report.cancelled.append(job_id)
                elif row.redeliveries >= self.config.max_redeliveries:
                    status, message = (
                        FAILED,
                        f"Worker lost: the worker running this job died {row.redeliveries + 1} times.",
                    )
                    report.failed.append(job_id)
                else:
                    n = row.redeliveries + 1
                    status = PENDING
                    message = f"Worker lost; re-delivered ({n}/{self.config.max_redeliveries}), resuming from the last checkpoint."
                    report.redelivered.append(job_id)
                    resend.append((job_id, row.task_id))
                conn.execute(
                    text(
                        f"UPDATE {table} SET status = :status, message = :message, heartbeat_at = NULL, "
                        "redeliveries = redeliveries + :bump, "
                        "finished_at = CASE WHEN :bump = 1 THEN NULL ELSE now() END WHERE id = :id"
                    ),
                    {"status": status, "message": message, "id": job_id, "bump": int(status == PENDING)},
                )
                notify_job(conn, kind, job_id, status)  # type: ignore[arg-type]
        return resend

    def _lost_messages(self, kind: str, report: SweepReport) -> None:
        table = jobs.table(kind)
        queue = self.app.queue_of(task_for(self.app, kind))
        with self.engine.begin() as conn:
            rows = conn.execute(
                text(
                    f"SELECT id, task_id FROM {table} WHERE status = :pending AND NOT cancel_requested "
                    "AND created_at < now() - make_interval(secs => :grace) "
                    "ORDER BY created_at LIMIT 100 FOR UPDATE SKIP LOCKED"
                ),
                {"pending": PENDING, "grace": self.config.pending_grace},
            ).all()
            lost = [row for row in rows if not row.task_id or not self.app.has_marker(queue, row.task_id)]
        for row in lost:
            enqueue_job(self.app, self.engine, kind, str(row.id), task_id=row.task_id)
            report.resent.append(str(row.id))

    def _housekeeping(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                text("DELETE FROM worker_processes WHERE heartbeat_at < now() - make_interval(secs => :age)"),
                {"age": max(self.config.stale_after * 4, 60.0)},
            )
        # A bulk import that died leaves the contacts' secondary indexes dropped: rebuild
        # them once no bulk import is loading (non-blocking try-lock, idempotent).
        import_indexes.restore_deferred_indexes(self.engine)
        for huey in self.app.hueys.values():
            try:
                purge_expired(huey)
            except Exception as exc:
                log.warning("could not purge expired results: %s", exc)
