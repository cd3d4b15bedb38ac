"""The one code path every job task goes through: lease, claim, call the service, classify the outcome.

Sequence for a delivery of job J (kind "import"/"export"):

1. take J's lease (advisory lock, tasks.lease); if another run holds it, that
   run is alive: this duplicate delivery does nothing;
2. claim the row: missing -> JobNotFound (permanent, not retried); already
   finished -> nothing to do; pending with cancel_requested -> cancelled;
   otherwise processing (attempts+1, heartbeat, task_id);
3. call the service (it commits per batch, resumes from the checkpoint, honours
   cancel_requested and sets the final status);
4. exceptions: Huey's soft limit (TaskTimeout) -> failed "time limit", no
   retry; transient (tasks.errors) with retries left -> the row records
   retries and next_retry_at and the exception goes back to Huey, whose
   ``retries``/``retry_delay``/``retry_backoff`` re-schedule the task;
   anything else -> failed with the error, no retry (``task.retries = 0``);
   KeyboardInterrupt (the worker is shutting down) -> pending again and a new
   message is sent at once, so the run resumes from its checkpoint elsewhere;
5. release the lease; drop the broker marker once the job is finished.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from huey.api import Task
from huey.exceptions import TaskTimeout
from sqlalchemy import Engine

from contact360_desktop.services.errors import JobNotFound
from contact360_desktop.settings import Settings
from contact360_desktop.tasks import context, jobs
from contact360_desktop.tasks.errors import is_transient

log = logging.getLogger(__name__)

Service = Callable[[Engine, str, Settings], str]


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__


def run_job(kind: str, job_id: str, task: Task, service: Service) -> str:
    ctx = context.current()
    queue = ctx.app.queue_of(f"{type(task).__module__}.{type(task).__name__}")
    job_id = str(job_id)
    if not ctx.lease.acquire(kind, job_id):
        log.info(
            "%s job %s is being run by a live worker; dropping duplicate delivery %s", kind, job_id, task.id
        )
        return "duplicate"
    finished = False
    try:
        claimed = jobs.claim(ctx.engine, kind, job_id, task.id)
        if claimed == "missing":
            task.retries = 0
            raise JobNotFound(f"{kind} job {job_id} does not exist")
        if claimed != "run":
            finished = True
            return claimed
        ctx.lease.track(kind, job_id, task.id, type(task).__name__)
        status = service(ctx.engine, job_id, ctx.settings)
        finished = True
        return status
    except TaskTimeout:
        task.retries = 0
        finished = True
        jobs.mark_failed(
            ctx.engine,
            kind,
            job_id,
            f"Stopped by the time limit ({ctx.settings.soft_time_limit} s); committed progress is kept.",
        )
        raise
    except KeyboardInterrupt:
        # The worker is shutting down: give the job back now rather than wait for the reaper.
        jobs.requeue(ctx.engine, kind, job_id, "Interrupted by a worker shutdown; re-queued to resume.")
        _resend(ctx, kind, job_id, task.id)
        raise
    except Exception as exc:
        total = type(task).default_retries or 0
        if is_transient(exc) and task.retries > 0:
            done = total - task.retries + 1
            next_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=task.retry_delay or 0)
            jobs.record_retry(
                ctx.engine,
                kind,
                job_id,
                done,
                next_at,
                f"Temporary error, retry {done} of {total} at {next_at:%H:%M:%S} UTC: {_describe(exc)}",
            )
        else:
            task.retries = 0
            finished = True
            note = f" after {total} retries" if is_transient(exc) and total else ""
            jobs.mark_failed(ctx.engine, kind, job_id, f"Failed{note}: {_describe(exc)}")
        raise
    finally:
        ctx.lease.untrack()
        ctx.lease.task_finished()
        try:
            ctx.lease.release(kind, job_id)
        finally:
            if finished:
                try:
                    ctx.app.drop_marker(queue, task.id)
                except Exception as exc:  # only a hint for the reaper; harmless if left
                    log.warning("could not drop broker marker of %s: %s", task.id, exc)


def _resend(ctx: context.WorkerContext, kind: str, job_id: str, task_id: str) -> None:
    from contact360_desktop.tasks.dispatch import enqueue_job

    try:
        enqueue_job(ctx.app, ctx.engine, kind, job_id, task_id=task_id)
    except Exception as exc:  # the reaper's pending sweep delivers it later
        log.warning("could not re-queue interrupted %s job %s: %s", kind, job_id, exc)
