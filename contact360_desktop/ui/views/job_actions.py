"""What the jobs dock's actions do (run on background threads; no widgets here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contact360_desktop.services import browse
from contact360_desktop.storage.db import session_scope
from contact360_desktop.ui.context import AppContext


class JobActionError(Exception):
    """An action cannot be carried out; the message is for the user."""


def cancel_job(context: AppContext, kind: str, job_id: str) -> str:
    """Cancel a job: a pending one at once (its queued message is revoked), a running one at its
    next batch boundary (``tasks.dispatch.revoke_job``). Returns what happened."""
    from contact360_desktop.tasks.dispatch import revoke_job  # the task layer loads on first use

    outcome = str(revoke_job(context.settings, job_id, kind))
    if outcome in ("completed", "failed", "cancelled"):
        raise JobActionError(f"This job has already finished ({outcome}).")
    return outcome


def retry_job(context: AppContext, kind: str, job_id: str) -> None:
    """Put a failed/cancelled job back to pending and queue it again."""
    from contact360_desktop.tasks.dispatch import enqueue_export, enqueue_import

    assert context.engine is not None
    with session_scope(context.engine) as session:
        if not browse.reset_for_retry(session.connection(), kind, job_id):  # type: ignore[arg-type]
            raise JobActionError("Only a failed or cancelled job can be retried.")
    (enqueue_import if kind == "import" else enqueue_export)(context.settings, job_id)


def local_export_path(job: dict[str, Any]) -> str | None:
    if job.get("kind") != "export":
        return None
    where = job.get("path_or_key") or ""
    if not where or where.startswith("s3://"):
        return None
    if where.startswith("local:"):
        where = where[len("local:") :]
    return str(Path(where))


def s3_url(job: dict[str, Any]) -> str | None:
    if job.get("kind") != "export":
        return None
    for value in (job.get("path_or_key"), job.get("destination")):
        if value and str(value).startswith("s3://"):
            return str(value)
    return None
