"""Small helpers shared by the import wizard, the export dialog and the error browser.

* :func:`readable_error` turns an exception from a background task into one line a person can act on.
* :func:`start_task` runs a blocking call through the AppContext (off the GUI thread) and drops
  the result when the widget that asked for it is gone.
* :func:`start_generator` does the same for a generator with progress and cancel.
* :func:`create_and_queue` (blocking) creates an import job or an export and queues it.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Generator
from typing import Any, Literal

from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

from contact360_desktop.ui.background import BackgroundTask, run_generator_in_background, run_in_background

__all__ = ["create_and_queue", "format_count", "format_size", "readable_error", "start_generator", "start_task"]

_NOT_QUEUED = {
    "import": (
        "The import job was created, but the task layer is not installed, so no worker will pick it up. "
        "Run it with `contact360 import --wait` or install the worker package."
    ),
    "export": "The export was created, but the task layer is not installed, so no worker will run it.",
}


def readable_error(exc: BaseException) -> str:
    """One readable line for an exception (never a traceback)."""
    name = type(exc).__name__
    module = type(exc).__module__ or ""
    if isinstance(exc, FileNotFoundError):
        return f"The file {exc.filename or ''} does not exist (any more).".replace("  ", " ")
    if isinstance(exc, PermissionError):
        return f"Permission denied: {exc.filename or exc}."
    if isinstance(exc, IsADirectoryError):
        return f"{exc.filename} is a folder, not a file."
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "The disk is full."
    if module.startswith("sqlalchemy") or module.startswith("psycopg"):
        orig = getattr(exc, "orig", None) or exc
        first = str(orig).strip().splitlines()[0] if str(orig).strip() else name
        if "OperationalError" in name or "connection" in first.lower():
            return f"The database is not reachable: {first}"
        return f"Database error: {first}"
    if module.startswith("botocore") or module.startswith("boto3"):
        response = getattr(exc, "response", None)
        if isinstance(response, dict):
            err = response.get("Error", {})
            code, message = err.get("Code", ""), err.get("Message", "")
            if code in ("404", "NoSuchBucket"):
                return "The bucket does not exist."
            if code in ("403", "AccessDenied"):
                return "Access denied: the credentials may not use this bucket."
            return f"S3 error {code}: {message}".strip().rstrip(":")
        if "Credentials" in name:
            return "No S3 credentials found (AWS profile, environment or keyring)."
        return f"S3 is not reachable: {exc}"
    text = str(exc).strip()
    if not text:
        return name
    # Our own errors (FileRejected, PermanentJobError, ValueError ...) carry a readable message.
    return text.splitlines()[0]


def format_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value):,} {unit}" if unit == "bytes" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{value:,.1f} TB"


def format_count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"


def _guard(owner: QWidget, fn: Callable[..., None] | None) -> Callable[..., None] | None:
    if fn is None:
        return None

    def call(*args: Any) -> None:
        if isValid(owner):
            fn(*args)

    return call


def start_task(
    context: Any,
    owner: QWidget,
    fn: Callable[..., Any],
    *args: Any,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
) -> BackgroundTask:
    """Run ``fn(*args)`` off the GUI thread via the context; callbacks only while ``owner`` lives."""
    runner = getattr(context, "run_in_background", None) or run_in_background
    return runner(fn, *args, on_done=_guard(owner, on_done), on_error=_guard(owner, on_error))  # type: ignore[no-any-return]


def start_generator(
    context: Any,
    owner: QWidget,
    fn: Callable[..., Generator[Any, None, Any]],
    *args: Any,
    on_progress: Callable[[Any], None] | None = None,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    on_cancelled: Callable[[], None] | None = None,
) -> BackgroundTask:
    """Iterate a generator off the GUI thread; ``task.cancel()`` stops it at its next yield."""
    runner = getattr(context, "run_generator_in_background", None) or run_generator_in_background
    task: BackgroundTask = runner(
        fn,
        *args,
        on_progress=_guard(owner, on_progress),
        on_done=_guard(owner, on_done),
        on_error=_guard(owner, on_error),
    )
    if on_cancelled is not None:
        guarded = _guard(owner, on_cancelled)
        assert guarded is not None
        task.signals.cancelled.connect(guarded)
    return task


def folder_of(path: str) -> str:
    return os.path.dirname(os.path.abspath(path)) if path else ""


def create_and_queue(
    engine: Any, settings: Any, kind: Literal["import", "export"], request: Any
) -> tuple[str, str | None]:
    """Create the import job / export row (committed) for ``request`` and queue it (blocking: run it
    in the background); returns (its id, a message when it was not queued)."""
    from contact360_desktop.services.exports import create_export
    from contact360_desktop.services.imports import create_import_job
    from contact360_desktop.storage.db import session_scope

    create: Callable[[Any, Any], Any] = create_import_job if kind == "import" else create_export
    with session_scope(engine) as session:
        job_id = str(create(session, request).id)  # the service flushes: the id is set
    try:
        from contact360_desktop.tasks.dispatch import enqueue_export, enqueue_import
    except ImportError:
        return job_id, _NOT_QUEUED[kind]
    (enqueue_import if kind == "import" else enqueue_export)(settings, job_id)
    return job_id, None
