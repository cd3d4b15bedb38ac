"""Plain data the wizard pages share, and the blocking functions they run in the background.

Nothing here touches a widget: the pages call these through ``start_task`` / ``start_generator``
and get the results back on the GUI thread. The wizard's product is an
:class:`~contact360_desktop.services.imports.ImportRequest` (built in :func:`build_request`).
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Generator
from typing import Any

from contact360_desktop.core.fields import ERROR, MODE_UPSERT

#: Records shown on the preview page (and read on the file page).
PREVIEW_ROWS = 50
#: Rows the validate page checks unless the user asks for the whole file.
SAMPLE_ROWS = 1000
#: Issues kept for display (the counts go on beyond it).
MAX_ISSUES_SHOWN = 5000


@dataclasses.dataclass
class FileInfo:
    """What the file page learnt about a file (read in the background)."""

    path: str
    size: int
    encoding: str
    delimiter: str
    header: list[str]
    header_line: int
    preamble: list[str]
    records: list[Any]  # core.records.RawRecord


@dataclasses.dataclass
class ImportOptions:
    mode: str = MODE_UPSERT
    dry_run: bool = False
    phone_region: str = "US"


def load_file_info(path: str, encoding: str | None, delimiter: str | None) -> FileInfo:
    """Sniff (unless overridden) and read the header, preamble and first records of a file."""
    from contact360_desktop.core.reader import open_csv

    size = os.path.getsize(path)
    with open_csv(path, encoding=encoding, delimiter=delimiter) as csv_file:
        fmt = csv_file.format
        return FileInfo(
            path=path,
            size=size,
            encoding=str(fmt.encoding),
            delimiter=str(fmt.delimiter),
            header=list(csv_file.header),
            header_line=int(csv_file.header_line),
            preamble=list(csv_file.preamble),
            records=list(csv_file.preview(PREVIEW_ROWS)),
        )


@dataclasses.dataclass
class ValidationProgress:
    """A progress snapshot of a validation run (yielded a few times a second)."""

    checked: int = 0
    valid: int = 0
    rejected: int = 0
    warned: int = 0
    #: Issues found since the previous snapshot (the page appends them).
    new_issues: list[Any] = dataclasses.field(default_factory=list)
    #: 0..1, or None when unknown.
    fraction: float | None = None
    done: bool = False
    whole_file: bool = False


def _estimate_lines(path: str, size: int) -> int:
    with open(path, "rb") as fh:
        sample = fh.read(256 * 1024)
    lines = max(sample.count(b"\n"), sample.count(b"\r"), 1)
    return max(int(size / max(len(sample), 1) * lines), 1)


def validate_rows(
    path: str,
    encoding: str,
    delimiter: str,
    mapping: Any,
    phone_region: str,
    limit: int | None,
) -> Generator[ValidationProgress, None, ValidationProgress]:
    """Run the core rules on the first ``limit`` rows (or all): yields snapshots, returns the last."""
    from contact360_desktop.core.reader import open_csv
    from contact360_desktop.core.validation import RowValidator

    size = os.path.getsize(path)
    total_lines = _estimate_lines(path, size) if limit is None else None
    state = ValidationProgress(whole_file=limit is None)
    kept = 0
    last = time.monotonic()
    with open_csv(path, encoding=encoding, delimiter=delimiter) as csv_file:
        validator = RowValidator(csv_file.header, mapping, phone_region=phone_region)
        for record in csv_file.records():
            if limit is not None and state.checked >= limit:
                break
            clean, issues = validator.validate(record)
            state.checked += 1
            if clean is None:
                state.rejected += 1
            else:
                state.valid += 1
                if issues:
                    state.warned += 1
            for issue in issues:
                if kept < MAX_ISSUES_SHOWN:
                    state.new_issues.append(issue)
                    kept += 1
            now = time.monotonic()
            if now - last >= 0.1:
                last = now
                state.fraction = _fraction(state.checked, record.line_number, limit, total_lines)
                yield dataclasses.replace(state)
                state.new_issues = []
    state.done = True
    state.fraction = 1.0
    final = dataclasses.replace(state)
    yield final
    return final


def _fraction(checked: int, line: int, limit: int | None, total_lines: int | None) -> float | None:
    if limit:
        return min(checked / limit, 1.0)
    if total_lines:
        return min(line / total_lines, 0.99)
    return None


def is_rejection(issue: Any) -> bool:
    return getattr(issue, "severity", ERROR) == ERROR


def build_request(
    info: FileInfo,
    mapping: Any,
    template: str | None,
    options: ImportOptions,
    user: str,
    encoding_override: str | None,
    delimiter_override: str | None,
) -> Any:
    from contact360_desktop.services.imports import ImportRequest

    mapping_json = mapping.to_json() if hasattr(mapping, "to_json") else mapping
    return ImportRequest(
        path=info.path,
        mapping=mapping_json,
        template=template,
        encoding=encoding_override or info.encoding,
        delimiter=delimiter_override or info.delimiter,
        mode=options.mode,
        dry_run=options.dry_run,
        phone_region=options.phone_region,
        user=user,
    )


def create_and_queue(engine: Any, settings: Any, request: Any) -> tuple[str, str | None]:
    """Create the job (committed) and queue it; returns (job id, a message when it was not queued)."""
    from contact360_desktop.services.imports import create_import_job
    from contact360_desktop.storage.db import session_scope

    with session_scope(engine) as session:
        job = create_import_job(session, request)
        session.flush()
        job_id = str(job.id)
    try:
        from contact360_desktop.tasks.dispatch import enqueue_import
    except ImportError:
        return job_id, (
            "The import job was created, but the task layer is not installed, so no worker will pick it up. "
            "Run it with `contact360 import --wait` or install the worker package."
        )
    enqueue_import(settings, job_id)
    return job_id, None


def load_job_progress(engine: Any, job_id: str) -> dict[str, Any]:
    import uuid

    from sqlalchemy.orm import Session

    from contact360_desktop.storage.models import ImportJob

    with Session(engine) as session:
        job = session.get(ImportJob, uuid.UUID(job_id))
        if job is None:
            raise LookupError(f"Import job {job_id} does not exist.")
        return {
            "status": job.status,
            "total_rows": job.total_rows,
            "processed_rows": job.processed_rows,
            "inserted": job.inserted,
            "updated": job.updated,
            "rejected": job.rejected,
            "warnings": job.warnings,
            "message": job.message,
        }
