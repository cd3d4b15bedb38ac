"""What the jobs dock's actions do (run on background threads; no widgets here).

Each prefers the service/task-layer function when it is installed
(``services.imports.request_cancel``, ``tasks.dispatch.enqueue_*``) and
otherwise uses the plain row updates in ``services.browse``.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from contact360_desktop.services import browse
from contact360_desktop.storage.db import session_scope
from contact360_desktop.ui.context import AppContext

log = logging.getLogger(__name__)

_SERVICE = {"import": "contact360_desktop.services.imports", "export": "contact360_desktop.services.exports"}


class JobActionError(Exception):
    """An action cannot be carried out; the message is for the user."""


def _optional(module: str, name: str) -> Any | None:
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def cancel_job(context: AppContext, kind: str, job_id: str) -> str:
    """Cancel a job: a pending one at once, a running one at its next batch boundary.

    Uses the task layer's ``revoke_job`` (which also drops the queued message) when installed,
    else the service's ``request_cancel``, else a plain flag update. Returns what happened.
    """
    assert context.engine is not None
    revoke = _optional("contact360_desktop.tasks.dispatch", "revoke_job")
    if revoke is not None:
        outcome = str(revoke(context.settings, job_id, kind))
        if outcome in ("completed", "failed", "cancelled"):
            raise JobActionError(f"This job has already finished ({outcome}).")
        return outcome
    service_cancel = _optional(_SERVICE[kind], "request_cancel")
    with session_scope(context.engine) as session:
        if service_cancel is not None:  # flags the job and notifies listeners
            done = bool(service_cancel(session, job_id))
        else:
            done = browse.request_cancel(session.connection(), kind, job_id)  # type: ignore[arg-type]
    if not done:
        raise JobActionError("This job has already finished.")
    return "cancel_requested"


def retry_job(context: AppContext, kind: str, job_id: str) -> None:
    """Put a failed/cancelled job back to pending and queue it again."""
    assert context.engine is not None
    enqueue = _optional(
        "contact360_desktop.tasks.dispatch", "enqueue_import" if kind == "import" else "enqueue_export"
    )
    if enqueue is None:
        raise JobActionError("Jobs cannot be queued: the task layer is not part of this build yet.")
    service_retry = _optional(_SERVICE[kind], "retry_job")
    with session_scope(context.engine) as session:
        if service_retry is not None:
            service_retry(session, job_id)
        elif not browse.reset_for_retry(_conn(session), kind, job_id):  # type: ignore[arg-type]
            raise JobActionError("Only a failed or cancelled job can be retried.")
    enqueue(context.settings, job_id)


def _conn(session: Session) -> Any:
    return session.connection()


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


def readable_error(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__
