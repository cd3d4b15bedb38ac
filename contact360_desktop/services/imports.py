"""Import use cases: create a job, run it batch by batch, query jobs and their row errors.

``run_import`` is what the worker task (and, until the task layer lands, the CLI) calls.
Per batch it runs ONE transaction on its own connection: stage + upsert the rows, COPY
the row errors, advance counters and checkpoint on the job row, NOTIFY. The checkpoint
commits with the rows it covers, so a re-run resumes exactly after the last committed
batch. Reading and validating run on a thread ahead of the database (import_batches).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from contact360_desktop.core.errors import FileRejected, MappingError
from contact360_desktop.core.fields import (
    CANCELLED,
    COMPLETED,
    ERROR,
    FAILED,
    FINISHED_STATUSES,
    IMPORT_MODES,
    MODE_INSERT,
    MODE_UPDATE,
    MODE_UPSERT,
    PENDING,
    PROCESSING,
    WARNING,
)
from contact360_desktop.core.records import RowIssue
from contact360_desktop.services import templates
from contact360_desktop.services.errors import JobNotFound, PermanentJobError
from contact360_desktop.services.import_batches import (
    DEFAULT_BATCH_ROWS,
    Batch,
    BatchProducer,
    ProcessBatchProducer,
    SourceSpec,
    build_batches,
    can_use_child_process,
    consecutive_runs,
)
from contact360_desktop.settings import Settings
from contact360_desktop.storage import import_indexes
from contact360_desktop.storage.contact_writer import ContactWriter
from contact360_desktop.storage.models import ImportError_, ImportJob
from contact360_desktop.storage.notify import notify_job
from contact360_desktop.storage.staging import STAGED_FIELDS

log = logging.getLogger(__name__)

#: Imports of at least this many (estimated) rows read and validate in child processes:
#: starting one costs ~0.5 s, the second core it brings pays that back from ~20k rows.
READER_PROCESS_MIN_ROWS = 50_000
#: Reader processes of such an import. Reading and validating is ~40% of a big import's CPU
#: and runs alongside the database's share: two readers taking turns batch by batch cut a
#: 1M-row re-import on 2 cores from 20.0-20.2 s to 17.4-17.9 s (a fresh import, bound by
#: PostgreSQL's CPU, stays at ~27 s). More would only add memory while PostgreSQL has the cores.
READER_PROCESSES = min(2, os.cpu_count() or 1)
#: Bytes sampled to estimate the row count before the exact one is known.
_ESTIMATE_SAMPLE = 1 << 20


@dataclasses.dataclass
class ImportRequest:
    path: str | Path
    mapping: dict[str, Any] | None = None
    template: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    mode: str = MODE_UPSERT
    dry_run: bool = False
    phone_region: str = "US"
    user: str = ""


def create_import_job(session: Session, request: ImportRequest) -> ImportJob:
    """A pending job for the request (the caller commits, then queues it)."""
    if request.mode not in IMPORT_MODES:
        raise PermanentJobError(f"unknown import mode {request.mode!r} (use {', '.join(IMPORT_MODES)})")
    path = Path(request.path).expanduser().resolve()
    if not path.is_file():
        raise PermanentJobError(f"no such file: {path}")
    if request.mapping is not None and request.template:
        raise PermanentJobError("give either a mapping or a template, not both")
    if request.template:
        templates.get_template(session, request.template)  # fail now on a wrong name
    options = {
        "mapping": request.mapping,
        "template": request.template,
        "encoding": request.encoding,
        "delimiter": request.delimiter,
        "mode": request.mode,
        "dry_run": request.dry_run,
        "phone_region": request.phone_region,
    }
    job = ImportJob(
        user_id=request.user,
        file_name=path.name,
        file_path=str(path),
        file_size=path.stat().st_size,
        options=options,
        status=PENDING,
    )
    session.add(job)
    session.flush()
    notify_job(session, "import", job.id, PENDING)
    return job


# --- running ----------------------------------------------------------------------------------


@dataclasses.dataclass
class _Progress:
    """Counters of one batch, added to the job row in the batch's transaction."""

    processed: int = 0
    inserted: int = 0
    updated: int = 0
    rejected: int = 0
    warnings: int = 0


def run_import(
    engine: Engine,
    job_id: uuid.UUID | str,
    settings: Settings,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    reader: str | None = None,
) -> str:
    """Run (or resume) the job to the end; returns the final status.

    ``reader``: "thread" or "process" (see import_batches); None picks a child process
    for files of READER_PROCESS_MIN_ROWS rows or more, where it pays for its start-up.
    """
    job_id = uuid.UUID(str(job_id))
    job = _start(engine, job_id)
    if job.status in FINISHED_STATUSES:
        return job.status
    if job.cancel_requested:
        return _finish(engine, job_id, CANCELLED, "Cancelled before it started.")
    options = dict(job.options or {})
    mode = options.get("mode") or MODE_UPSERT
    dry_run = bool(options.get("dry_run"))
    skip = int((job.checkpoint or {}).get("row", 0))
    if dry_run and skip:
        _restart_dry_run(engine, job_id)
        skip = 0
    if reader is None:
        big = (job.total_rows or 0) - skip >= READER_PROCESS_MIN_ROWS
        reader = "process" if big and can_use_child_process() else "thread"
    try:
        with _open_source(engine, job, options, settings) as (src, validator):
            producer: BatchProducer | ProcessBatchProducer
            if reader == "process":
                region = options.get("phone_region") or settings.phone_region
                spec = SourceSpec(src.path, src.format, validator.mapping, region, skip, mode, batch_rows)
                producer = ProcessBatchProducer(spec, READER_PROCESSES)
            else:
                producer = BatchProducer(
                    build_batches(
                        consecutive_runs(src.cursor(), batch_rows, skip),
                        validator.validate,
                        src.header,
                        mode,
                        validator.batch_cleaner(STAGED_FIELDS),
                    )
                )
            with producer:
                src.check_decodes()  # a whole-file failure writes nothing, wherever the bad byte is
                with _bulk_load(engine, job, mode, dry_run, skip) as bulk:
                    status = _apply_batches(engine, job, producer, mode, dry_run, bulk)
    except FileRejected as exc:
        return _finish(engine, job_id, FAILED, exc.message)
    except (MappingError, templates.TemplateNotFound) as exc:
        return _finish(engine, job_id, FAILED, f"The column mapping cannot be used: {exc}")
    if status == CANCELLED:
        return _finish(engine, job_id, CANCELLED, "Cancelled; the rows imported before stopping are kept.")
    return _finish(engine, job_id, COMPLETED, None, exact_total=True, resumed_after=skip)


@contextmanager
def _bulk_load(engine: Engine, job: ImportJob, mode: str, dry_run: bool, skip: int) -> Iterator[bool]:
    """For an import that will at least double the contacts table, build its secondary
    indexes once at the end instead of row by row (storage.import_indexes). Yields whether
    this is such a bulk load."""
    if dry_run or mode == MODE_UPDATE:
        yield False
        return
    try:
        with engine.connect() as lock_conn:
            import_indexes.hold_bulk_lock(lock_conn)
            lock_conn.commit()
            try:
                bulk = "deferred_indexes" in (job.options or {})  # resumed
                expected = (job.total_rows or 0) - skip
                if not bulk and import_indexes.should_defer(lock_conn, expected):
                    lock_conn.commit()
                    import_indexes.defer_indexes(engine, job.id)
                    bulk = True
                yield bulk
            finally:
                lock_conn.rollback()
                import_indexes.release_bulk_lock(lock_conn)
                lock_conn.commit()
    finally:
        try:
            import_indexes.restore_deferred_indexes(engine)
        except Exception:  # never mask the import's own outcome; the next import restores them
            log.exception("could not rebuild the deferred contact indexes yet")


def _start(engine: Engine, job_id: uuid.UUID) -> ImportJob:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        job = session.get(ImportJob, job_id, with_for_update=True)
        if job is None:
            raise JobNotFound(f"no import job {job_id}")
        if job.status in FINISHED_STATUSES:
            return job
        job.status = PROCESSING
        job.started_at = job.started_at or _now()
        job.heartbeat_at = _now()
        if job.total_rows is None:
            job.total_rows = estimate_rows(Path(job.file_path), job.file_size)
        notify_job(session, "import", job_id, PROCESSING)
    return job


@contextmanager
def _open_source(
    engine: Engine, job: ImportJob, options: dict[str, Any], settings: Settings
) -> Iterator[Any]:
    """Open the file, pick the mapping (given, named template, matching template, auto) and
    yield (the open CsvFile, its RowValidator)."""
    from contact360_desktop.core.mapping import ColumnMapping, auto_map, header_signature, require_email
    from contact360_desktop.core.reader import open_csv
    from contact360_desktop.core.validation import RowValidator

    with open_csv(
        Path(job.file_path), encoding=options.get("encoding"), delimiter=options.get("delimiter")
    ) as src:
        header = list(src.header)
        _remember_header(engine, job.id, header)
        stored = options.get("mapping")
        if stored is None:
            with Session(engine) as session:
                if options.get("template"):
                    stored = templates.get_template(session, options["template"]).mapping
                else:
                    match = templates.template_for_header(session, header_signature(header))
                    stored = match.mapping if match is not None else None
        mapping = ColumnMapping.from_json(stored).resolve(header) if stored is not None else auto_map(header)
        require_email(mapping)
        region = options.get("phone_region") or settings.phone_region
        validator = RowValidator(header, mapping, phone_region=region)
        yield src, validator


def _remember_header(engine: Engine, job_id: uuid.UUID, header: list[str]) -> None:
    """Keep the header in the job's options: jsonb forgets key order, the error CSV needs it."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE contact_import_jobs SET options = options || jsonb_build_object('header', CAST(:h AS jsonb)) WHERE id = :id"
            ),
            {"h": json.dumps(header), "id": job_id},
        )


def _apply_batches(
    engine: Engine,
    job: ImportJob,
    producer: BatchProducer | ProcessBatchProducer,
    mode: str,
    dry_run: bool,
    bulk: bool,
) -> str:
    waited = applied = 0.0  # where the time goes: waiting for the reader vs in the database
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        writer = ContactWriter(raw, job.id, mode, dry_run, bulk=bulk)  # type: ignore[arg-type]
        batches = iter(producer)
        while True:
            started = time.perf_counter()
            batch = next(batches, None)
            ready = time.perf_counter()
            waited += ready - started
            if batch is None:
                break
            with conn.begin():
                # The batch's commit does not wait for its WAL to reach the disk. Safe: the rows,
                # the row errors, the counters and the checkpoint are one transaction, so a server
                # crash that loses an acknowledged commit loses all of them together, and the
                # job -- re-delivered after its connection broke -- resumes from the previous
                # checkpoint that survived and applies the batch again (the upsert is idempotent).
                # Every other transaction (job status, the final "completed") commits synchronously,
                # and flushing its WAL flushes every batch before it: a finished job is durable.
                conn.execute(text("SET LOCAL synchronous_commit = off"))
                if _cancel_requested(conn, job.id):
                    return CANCELLED
                progress = _write_batch(writer, batch, mode)
                _advance(conn, job.id, batch, progress)
            del batch  # one batch in memory at a time: not this one while the next arrives
            applied += time.perf_counter() - ready
        log.info("import %s: %.1fs in the database, %.1fs waiting for the reader", job.id, applied, waited)
        with conn.begin():
            if _cancel_requested(conn, job.id):
                return CANCELLED
    return COMPLETED


def _write_batch(writer: ContactWriter, batch: Batch, mode: str) -> _Progress:
    result = writer.write(batch.staged)
    issues = batch.issues
    db_rejected = 0
    if result.rejected_emails:
        extra = _rejected_by_database(batch, result.rejected_emails, mode)
        db_rejected = len(extra)
        issues = sorted([*issues, *extra], key=lambda i: i.row_number)
    if issues:
        writer.write_issues(issues)
    warnings = sum(1 for i in issues if i.severity == WARNING)
    valid = batch.valid - db_rejected
    if mode == MODE_UPSERT:
        # Every row of a known email updates it; the first row of a new email inserts it.
        inserted, updated = result.inserted, valid - result.inserted
    elif mode == MODE_INSERT:
        inserted, updated = valid, 0
    else:
        inserted, updated = 0, valid
    return _Progress(
        processed=batch.records,
        inserted=inserted,
        updated=updated,
        rejected=batch.rejected + db_rejected,
        warnings=warnings,
    )


def _rejected_by_database(batch: Batch, emails: list[str], mode: str) -> list[RowIssue]:
    if mode == MODE_INSERT:
        code, why = "duplicate", "a contact with this email already exists (insert-only import)"
    else:
        code, why = "unknown_email", "no contact with this email exists (update-only import)"
    issues = []
    for email in emails:
        for row in batch.staged.rows_by_email.get(email, []):
            issues.append(
                RowIssue(
                    row,
                    batch.line_numbers.get(row, 0),
                    ERROR,
                    "email",
                    code,
                    f"{email}: {why}",
                    batch.raw_rows.get(row, {}),
                )
            )
    return issues


def _cancel_requested(conn: Connection, job_id: uuid.UUID) -> bool:
    return bool(
        conn.execute(
            text("SELECT cancel_requested FROM contact_import_jobs WHERE id = :id"), {"id": job_id}
        ).scalar()
    )


def _restart_dry_run(engine: Engine, job_id: uuid.UUID) -> None:
    """A dry run resumes from its first row: which emails its earlier batches would have
    created lived only in its lost connection (ContactWriter's dry-run memory), and without
    them later rows would count as new (insert-only: not as duplicates). It wrote nothing
    but row errors, so starting over costs one re-read of the file."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM contact_import_errors WHERE job_id = :id"), {"id": job_id})
        conn.execute(
            text(
                "UPDATE contact_import_jobs SET processed_rows = 0, inserted = 0, updated = 0, rejected = 0, "
                "warnings = 0, checkpoint = '{}'::jsonb WHERE id = :id"
            ),
            {"id": job_id},
        )


def _advance(conn: Connection, job_id: uuid.UUID, batch: Batch, p: _Progress) -> None:
    checkpoint = json.dumps({"row": batch.last_row, "line": batch.last_line})
    conn.execute(
        text(
            "UPDATE contact_import_jobs SET processed_rows = processed_rows + :processed, "
            "inserted = inserted + :inserted, updated = updated + :updated, rejected = rejected + :rejected, "
            "warnings = warnings + :warnings, checkpoint = CAST(:checkpoint AS jsonb), heartbeat_at = now(), "
            "total_rows = greatest(total_rows, processed_rows + :processed) WHERE id = :id"
        ),
        {**dataclasses.asdict(p), "checkpoint": checkpoint, "id": job_id},
    )
    notify_job(conn, "import", job_id, PROCESSING)


def _finish(
    engine: Engine,
    job_id: uuid.UUID,
    status: str,
    message: str | None,
    *,
    exact_total: bool = False,
    resumed_after: int = 0,
) -> str:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        job = session.get(ImportJob, job_id, with_for_update=True)
        if job is None:
            raise JobNotFound(f"no import job {job_id}")
        job.status = status
        job.finished_at = _now()
        if exact_total:
            job.total_rows = job.processed_rows
        job.message = message or _summary(job, resumed_after)
        notify_job(session, "import", job_id, status)
    return status


def _summary(job: ImportJob, resumed_after: int) -> str:
    verb = "Dry run checked" if (job.options or {}).get("dry_run") else "Imported"
    text_ = (
        f"{verb} {job.processed_rows:,} rows: {job.inserted:,} inserted, {job.updated:,} updated, "
        f"{job.rejected:,} rejected, {job.warnings:,} warnings."
    )
    if resumed_after:
        text_ += f" Resumed after row {resumed_after:,}."
    return text_


def estimate_rows(path: Path, size: int) -> int | None:
    """Rows estimated from the file size and the line length in its first megabyte."""
    try:
        with path.open("rb") as fh:
            sample = fh.read(_ESTIMATE_SAMPLE)
    except OSError:
        return None
    if not sample:
        return 0
    lines = sample.count(b"\n") + (0 if sample.endswith(b"\n") else 1)
    if len(sample) < size:
        lines = int(size * lines / len(sample))
    return max(lines - 1, 0)  # minus the header


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- queries ----------------------------------------------------------------------------------


def get_job(session: Session, job_id: uuid.UUID | str) -> ImportJob:
    job = session.get(ImportJob, uuid.UUID(str(job_id)))
    if job is None:
        raise JobNotFound(f"no import job {job_id}")
    return job


def list_jobs(session: Session, user: str | None = None, limit: int = 50) -> list[ImportJob]:
    stmt = select(ImportJob).order_by(ImportJob.created_at.desc()).limit(limit)
    if user:
        stmt = stmt.where(ImportJob.user_id == user)
    return list(session.execute(stmt).scalars())


def request_cancel(session: Session, job_id: uuid.UUID | str) -> bool:
    """Flag a pending/processing job; the import stops at its next batch boundary."""
    done = session.execute(
        update(ImportJob)
        .where(ImportJob.id == uuid.UUID(str(job_id)), ImportJob.status.in_((PENDING, PROCESSING)))
        .values(cancel_requested=True)
        .returning(ImportJob.status)
    ).scalar()
    if done is None:
        return False
    notify_job(session, "import", job_id, done)
    return True


def error_page(
    session: Session,
    job_id: uuid.UUID | str,
    severity: str | None = None,
    field: str | None = None,
    search: str | None = None,
    after_row: int | None = None,
    limit: int = 200,
) -> list[ImportError_]:
    """Row errors in row order (keyset paging by row number; pass the last row seen)."""
    stmt = select(ImportError_).where(ImportError_.job_id == uuid.UUID(str(job_id)))
    if severity:
        stmt = stmt.where(ImportError_.severity == severity)
    if field:
        stmt = stmt.where(ImportError_.field == field)
    if search:
        stmt = stmt.where(ImportError_.message.ilike(f"%{search}%"))
    if after_row is not None:
        stmt = stmt.where(ImportError_.row_number > after_row)
    stmt = stmt.order_by(ImportError_.row_number, ImportError_.id).limit(limit)
    return list(session.execute(stmt).scalars())


def job_summary(job: ImportJob) -> dict[str, Any]:
    """The job as plain JSON-able data (the CLI's --json output)."""
    return {
        "job_id": str(job.id),
        "status": job.status,
        "file_name": job.file_name,
        "mode": (job.options or {}).get("mode", MODE_UPSERT),
        "dry_run": bool((job.options or {}).get("dry_run")),
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "inserted": job.inserted,
        "updated": job.updated,
        "rejected": job.rejected,
        "warnings": job.warnings,
        "message": job.message,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def _iter_errors(session: Session, job_id: uuid.UUID, severity: str | None) -> Iterator[ImportError_]:
    """All errors of the job in (row_number, id) order, a page at a time."""
    key: tuple[int, int] | None = None
    while True:
        stmt = select(ImportError_).where(ImportError_.job_id == job_id)
        if severity:
            stmt = stmt.where(ImportError_.severity == severity)
        if key is not None:
            stmt = stmt.where(
                (ImportError_.row_number > key[0])
                | ((ImportError_.row_number == key[0]) & (ImportError_.id > key[1]))
            )
        page = list(
            session.execute(stmt.order_by(ImportError_.row_number, ImportError_.id).limit(5000)).scalars()
        )
        if not page:
            return
        yield from page
        key = (page[-1].row_number, page[-1].id)
        session.expunge_all()


def export_errors_csv(
    session: Session, job_id: uuid.UUID | str, out_path: str | Path, severity: str | None = None
) -> int:
    """Write the job's row errors as CSV: the original columns, then row_number and error.

    The file can be fixed in a spreadsheet and imported again. Several problems of one
    row share one line (joined in ``error``). Returns the number of rows written.
    """
    job = get_job(session, job_id)
    columns: dict[str, None] = dict.fromkeys((job.options or {}).get("header") or [])
    for err in _iter_errors(session, job.id, severity):  # first pass: the union of raw columns
        columns.update(dict.fromkeys(err.raw if isinstance(err.raw, dict) else {}))
    names = list(columns)
    written = 0
    with Path(out_path).open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow([*names, "row_number", "error"])
        current: tuple[int, dict[str, str], list[str]] | None = None
        for err in _iter_errors(session, job.id, severity):
            if current is None or current[0] != err.row_number:
                if current is not None:
                    out.writerow([*(current[1].get(c, "") for c in names), current[0], "; ".join(current[2])])
                    written += 1
                current = (err.row_number, err.raw if isinstance(err.raw, dict) else {}, [])
            label = f"{err.field}: {err.message}" if err.field else err.message
            current[2].append(label if err.severity == ERROR else f"warning: {label}")
        if current is not None:
            out.writerow([*(current[1].get(c, "") for c in names), current[0], "; ".join(current[2])])
            written += 1
    return written
