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
from pathlib import Path
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


def file_size(path: str) -> int | None:
    """The file's size in bytes; None when it cannot be read."""
    try:
        return os.path.getsize(path)
    except OSError:
        return None


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
    from contact360_desktop.services.imports import estimate_rows

    total_lines = None
    if limit is None:  # the data rows the import service would estimate, plus the header line
        rows = estimate_rows(Path(path), os.path.getsize(path))
        total_lines = rows + 1 if rows is not None else None
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


def load_job_progress(engine: Any, job_id: str) -> dict[str, Any]:
    """The job's status and counters (``services.imports.job_summary``)."""
    from sqlalchemy.orm import Session

    from contact360_desktop.services.imports import get_job, job_summary

    with Session(engine) as session:
        return job_summary(get_job(session, job_id))
