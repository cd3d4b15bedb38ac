"""Export use cases: create an export row, run it (stream COPY -> gzip? -> file store), query it.

``run_export`` is what the ``exports`` queue's task calls. It commits on its own,
one short transaction per progress report, exactly like ``run_import``:

- pending -> processing (started_at, attempts + 1), notify;
- the rows are read with ``COPY (SELECT ...) TO STDOUT`` in one REPEATABLE READ,
  read-only snapshot (the count and the data agree), and go through gzip (level 1)
  and the sha256/size counter into a FileWriter (a temp file or a multipart upload);
- about every PROGRESS_SECONDS: row_count/heartbeat updated, notify, and
  cancel_requested read back; a cancel aborts the writer (no file, no object);
- completed: path_or_key, size, row_count (exact, from COPY), sha256, message.

Errors: a destination problem a person must fix (StorageError), or invalid stored
options, marks the export failed with that message and raises ExportFailed (a
PermanentJobError). Anything else (database gone, S3 throttling or 5xx, timeouts)
propagates after the partial file is discarded; the task layer retries or gives up.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import getpass
import os
import time
import uuid
import zlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, defer

from contact360_desktop.core.export_format import (
    EXPORT_KINDS,
    GZIP_LEVEL,
    ExportFormatError,
    FormatOptions,
    check_columns,
    default_file_name,
    header_bytes,
    needs_custom_keys,
    resolve_columns,
)
from contact360_desktop.core.fields import (
    CANCELLED,
    COMPLETED,
    FAILED,
    FINISHED_STATUSES,
    PENDING,
    PROCESSING,
)
from contact360_desktop.services.copy_stream import CopyOutReader
from contact360_desktop.services.errors import JobNotFound, PermanentJobError
from contact360_desktop.services.export_query import (
    FILTER_KEYS,
    Selection,
    copy_statement,
    count_query,
    custom_keys_query,
    select_query,
)
from contact360_desktop.settings import Settings
from contact360_desktop.storage.db import session_scope
from contact360_desktop.storage.files import (
    FileStore,
    FileWriter,
    LocalFileStore,
    S3FileStore,
    StorageError,
    StoredFile,
    default_export_folder,
    make_s3_client,
    parse_s3_url,
)
from contact360_desktop.storage.files.s3 import DEFAULT_PART_SIZE
from contact360_desktop.storage.models import Export
from contact360_desktop.storage.notify import notify_job

#: Bytes gathered from COPY before they go to gzip/hash/file (fewer, larger writes).
CHUNK_BYTES = 1024 * 1024
#: How often progress is written (and cancel_requested read): bounded cost, prompt cancel.
PROGRESS_SECONDS = 0.5
#: work_mem of the export's read-only transaction: hash joins over big id selections stay in memory.
SORT_MEMORY = "64MB"

LOCAL_PREFIX = "local:"
S3_PREFIX = "s3://"

ProgressCallback = Callable[[int, int | None], None]

_WITHOUT_IDS = defer(Export.selection_ids)


class InvalidExportRequest(PermanentJobError):
    """The request cannot be carried out as given (unknown column, bad filter, bad delimiter...)."""


class ExportFailed(PermanentJobError):
    """The export was marked failed with ``message``; retrying will not help."""

    def __init__(self, export_id: uuid.UUID, message: str) -> None:
        super().__init__(message)
        self.export_id = export_id
        self.message = message


class _Cancelled(Exception):
    """Raised inside the COPY loop to stop reading (psycopg cancels the query server-side)."""


@dataclasses.dataclass(frozen=True)
class ExportRequest:
    """What the export dialog or the CLI asks for.

    ``ids`` is an explicit selection (stored on the export row, never passed to the
    task); ``filter`` uses the keys of ``export_query.FILTER_KEYS``; both may be
    combined, and neither means "everything". ``destination`` is a folder (files
    get generated names, never overwriting), a file path (replaced when it
    exists: the user chose that name), ``s3://bucket/key`` or ``s3://bucket/prefix/``,
    ``s3://`` for the configured bucket and prefix, or None for the documents folder.
    """

    kind: str = "contacts"
    ids: Sequence[uuid.UUID] | None = None
    filter: Mapping[str, Any] | None = None
    columns: Sequence[str] | None = None
    bom: bool = False
    delimiter: str = ","
    gzip: bool = False
    raw: bool = False
    destination: str | None = None
    user: str | None = None


# --- creating -----------------------------------------------------------------------------------


def create_export(session: Session, request: ExportRequest) -> Export:
    """Validate the request and add a pending export row (flushed, not committed)."""
    if request.kind not in EXPORT_KINDS:
        raise InvalidExportRequest(f"Unknown export kind {request.kind!r}: choose contacts or companies")
    try:
        columns = check_columns(request.kind, request.columns)
        options = FormatOptions(
            delimiter=request.delimiter, bom=request.bom, gzip=request.gzip, raw=request.raw
        )
    except ExportFormatError as exc:
        raise InvalidExportRequest(str(exc)) from exc
    selection: dict[str, Any] = normalise_filter(request.filter or {})
    ids: list[uuid.UUID] | None = None
    if request.ids is not None:
        ids = list(dict.fromkeys(_as_uuid(value, "selected id") for value in request.ids))
        selection["ids"] = True
    export = Export(
        user_id=request.user or _login(),
        kind=request.kind,
        selection=selection,
        selection_ids=ids,
        columns=columns,
        options=dataclasses.asdict(options),
        destination=normalise_destination(request.destination),
        status=PENDING,
    )
    session.add(export)
    session.flush()
    return export


def normalise_filter(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Check filter keys and values; dates become ISO timestamps (a date-only ``created_to``
    includes that whole day)."""
    result: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in FILTER_KEYS:
            raise InvalidExportRequest(f"Unknown filter {key!r}; use one of: {', '.join(FILTER_KEYS)}")
        if value is None or value == "":
            continue
        if key in ("created_from", "created_to"):
            result[key] = _parse_bound(str(value), key, end=key == "created_to")
        elif key == "import_job":
            result[key] = str(_as_uuid(value, "import job id"))
        else:
            result[key] = str(value).strip()
    return result


def _parse_bound(value: str, name: str, *, end: bool) -> str:
    try:
        if len(value) == 10:  # a calendar day, in UTC
            day = dt.date.fromisoformat(value)
            start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
            return (start + dt.timedelta(days=1) if end else start).isoformat()
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidExportRequest(
            f"{name} must be a date (2024-01-31) or an ISO timestamp, got {value!r}"
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).isoformat()


def _as_uuid(value: Any, what: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value).strip())
    except ValueError:
        raise InvalidExportRequest(f"Not a valid {what}: {value!r}") from None


def normalise_destination(destination: str | None) -> str:
    """``local:/abs/folder/`` (trailing separator = folder), ``local:/abs/file.csv`` or ``s3://...``."""
    if destination is None or destination.strip() == "":
        return LOCAL_PREFIX + str(default_export_folder()) + os.sep
    destination = destination.strip()
    if destination.startswith(S3_PREFIX):
        return destination
    if destination.startswith(LOCAL_PREFIX):
        destination = destination[len(LOCAL_PREFIX) :]
    is_folder = destination.endswith(("/", os.sep))
    path = Path(destination).expanduser().absolute()
    if is_folder or path.is_dir():
        return LOCAL_PREFIX + str(path) + os.sep
    return LOCAL_PREFIX + str(path)


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers without a passwd entry)
        return "user"


# --- queries and small state changes ------------------------------------------------------------


def get_export(session: Session, export_id: uuid.UUID | str) -> Export | None:
    # The id list can hold millions of UUIDs: loaded only when someone reads it.
    return session.get(Export, _as_uuid(export_id, "export id"), options=[_WITHOUT_IDS])


def list_exports(session: Session, user: str | None = None, limit: int = 50) -> list[Export]:
    query = select(Export).order_by(Export.created_at.desc()).limit(limit)
    if user:
        query = query.where(Export.user_id == user)
    return list(session.scalars(query))


def request_cancel(session: Session, export_id: uuid.UUID | str) -> bool:
    """Ask a pending or running export to stop; False when it has already finished."""
    export = get_export(session, export_id)
    if export is None:
        raise JobNotFound(f"Export {export_id} does not exist")
    if export.status in FINISHED_STATUSES:
        return False
    export.cancel_requested = True
    notify_job(session, "export", export.id, export.status)
    return True


def mark_failed(session: Session, export_id: uuid.UUID | str, message: str) -> None:
    """Record a final failure (the task layer calls this when it gives up retrying)."""
    export = get_export(session, export_id)
    if export is None:
        raise JobNotFound(f"Export {export_id} does not exist")
    export.status = FAILED
    export.message = message
    export.finished_at = dt.datetime.now(dt.UTC)
    notify_job(session, "export", export.id, FAILED)


def presigned_url(
    session: Session,
    export_id: uuid.UUID | str,
    settings: Settings | None = None,
    *,
    expires_in: int = 3600,
    client: Any = None,
) -> str:
    """A time-limited download link for a completed S3 export."""
    export = get_export(session, export_id)
    if export is None:
        raise JobNotFound(f"Export {export_id} does not exist")
    if export.status != COMPLETED or not (export.path_or_key or "").startswith(S3_PREFIX):
        raise InvalidExportRequest("Only a completed export stored in S3 has a download link")
    bucket, key = parse_s3_url(export.path_or_key or "")
    if client is None:
        from contact360_desktop.settings import load_settings

        client = make_s3_client(settings or load_settings())
    return S3FileStore(client, bucket).presigned_url(key, expires_in)


# --- running ------------------------------------------------------------------------------------


def open_destination(
    export: Export, settings: Settings, *, s3_client: Any = None, part_size: int = DEFAULT_PART_SIZE
) -> tuple[FileStore, str, bool]:
    """(store, file name, overwrite) for the export's destination string."""
    options = FormatOptions(**export.options)
    generated = default_file_name(export.kind, dt.datetime.now(), options.gzip)
    destination = export.destination
    if destination.startswith(S3_PREFIX):
        bucket, key = parse_s3_url(destination)
        if not bucket:
            bucket, key = settings.s3_bucket or "", key or settings.s3_prefix
        if key and not key.endswith("/"):
            prefix, _, name = key.rpartition("/")
            prefix, overwrite = prefix + "/" if prefix else "", True
        else:
            prefix, name, overwrite = key, generated, False
        client = s3_client if s3_client is not None else make_s3_client(settings)
        return S3FileStore(client, bucket, prefix, part_size=part_size), name, overwrite
    path = destination[len(LOCAL_PREFIX) :] if destination.startswith(LOCAL_PREFIX) else destination
    if path.endswith(("/", os.sep)):
        return LocalFileStore(Path(path)), generated, False
    target = Path(path)
    return LocalFileStore(target.parent), target.name, True


def run_export(
    engine: Engine,
    export_id: uuid.UUID | str,
    settings: Settings,
    *,
    on_progress: ProgressCallback | None = None,
    s3_client: Any = None,
    part_size: int = DEFAULT_PART_SIZE,
) -> str:
    """Carry out one export; returns the final status (completed or cancelled).

    Raises ExportFailed after marking the export failed for problems a person must
    fix; lets transient errors propagate (the export stays processing for a retry).
    """
    export_uuid = _as_uuid(export_id, "export id")
    with session_scope(engine) as session:
        export = session.get(Export, export_uuid, with_for_update=True, options=[_WITHOUT_IDS])
        if export is None:
            raise JobNotFound(f"Export {export_uuid} does not exist")
        if export.status in FINISHED_STATUSES:
            return export.status  # a re-delivered task: nothing left to do
        if export.cancel_requested:
            _finish(session, export, CANCELLED, "Cancelled before it started.")
            return CANCELLED
        now = dt.datetime.now(dt.UTC)
        if export.status == PENDING:  # called directly; the task layer's claim already counted its run
            export.attempts += 1
        export.status = PROCESSING
        export.started_at = export.started_at or now
        export.heartbeat_at = now
        export.row_count = 0
        export.message = None
        notify_job(session, "export", export.id, PROCESSING)
        session.expunge(export)

    try:
        options = FormatOptions(**export.options)
        store, name, overwrite = open_destination(export, settings, s3_client=s3_client, part_size=part_size)
        writer = store.open_writer(name, overwrite=overwrite)
        progress = _ProgressReporter(engine, export_uuid, on_progress)
        with writer:
            rows = _write_rows(engine, export, options, writer, progress)
            stored = writer.commit()
    except _Cancelled:
        with session_scope(engine) as session:
            _finish(session, _locked(session, export_uuid), CANCELLED, "Cancelled; no file was kept.")
        return CANCELLED
    except (StorageError, ExportFormatError) as exc:
        message = str(exc)
        with session_scope(engine) as session:
            _finish(session, _locked(session, export_uuid), FAILED, message)
        raise ExportFailed(export_uuid, message) from exc

    with session_scope(engine) as session:
        done = _locked(session, export_uuid)
        done.row_count = rows
        done.total_rows = rows
        done.size, done.sha256, done.path_or_key = stored.size, stored.sha256, stored.location
        _finish(session, done, COMPLETED, _completed_message(done.kind, rows, stored))
    return COMPLETED


_NOUNS = {"contacts": ("contact", "contacts"), "companies": ("company", "companies")}


def _completed_message(kind: str, rows: int, stored: StoredFile) -> str:
    noun = _NOUNS[kind][0 if rows == 1 else 1]
    return f"Exported {rows:,} {noun} to {stored.location}"


def _locked(session: Session, export_id: uuid.UUID) -> Export:
    export = session.get(Export, export_id, with_for_update=True, options=[_WITHOUT_IDS])
    if export is None:
        raise JobNotFound(f"Export {export_id} does not exist")
    return export


def _finish(session: Session, export: Export, status: str, message: str) -> None:
    export.status = status
    export.message = message
    export.finished_at = dt.datetime.now(dt.UTC)
    notify_job(session, "export", export.id, status)


class _ProgressReporter:
    """Writes rows-so-far at most every PROGRESS_SECONDS and raises _Cancelled when asked to stop."""

    def __init__(self, engine: Engine, export_id: uuid.UUID, callback: ProgressCallback | None) -> None:
        self.engine = engine
        self.export_id = export_id
        self.callback = callback
        self.total: int | None = None
        self._last = time.monotonic()

    def set_total(self, total: int) -> None:
        self.total = total
        self._save(0, total=total)

    def rows_written(self, rows: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < PROGRESS_SECONDS:
            return
        self._last = now
        if self.total is not None:
            rows = min(rows, self.total)  # rows are counted by line ends; a cell may hold more
        if self._save(rows):
            raise _Cancelled()

    def _save(self, rows: int, total: int | None = None) -> bool:
        values: dict[str, Any] = {"row_count": rows, "heartbeat_at": dt.datetime.now(dt.UTC)}
        if total is not None:
            values["total_rows"] = total
        with self.engine.begin() as conn:
            cancel = conn.execute(
                update(Export)
                .where(Export.id == self.export_id)
                .values(**values)
                .returning(Export.cancel_requested)
            ).scalar_one()
            notify_job(conn, "export", self.export_id, PROCESSING)
        if self.callback is not None:
            self.callback(rows, self.total)
        return bool(cancel)


def _write_rows(
    engine: Engine, export: Export, options: FormatOptions, writer: FileWriter, progress: _ProgressReporter
) -> int:
    """Stream the selected rows into ``writer``; returns the exact number of rows."""
    selection = Selection(
        kind=export.kind,
        export_id=export.id,
        by_ids=bool(export.selection.get("ids")),
        filter={k: v for k, v in export.selection.items() if k != "ids"},
    )
    output = _Output(writer, options.gzip)
    raw = engine.raw_connection()
    try:
        pg: Any = raw.driver_connection
        # One read-only snapshot: the count, the custom keys and the rows agree with each other.
        pg.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        pg.execute("SET LOCAL TimeZone = 'UTC'")
        pg.execute("SET LOCAL DateStyle = 'ISO, YMD'")
        # Hashing 100k+ selected ids spills to disk at the default 4 MB (server memory, not ours).
        pg.execute(f"SET LOCAL work_mem = '{SORT_MEMORY}'")
        if selection.by_ids:
            # The planner cannot see the array's length (it guesses 10 ids) and would probe contacts and
            # companies by index once per id: 2-3x slower for 100k ids than the parallel hash join.
            pg.execute("SET LOCAL enable_nestloop = off")
        custom_keys: list[str] = []
        if needs_custom_keys(export.columns):
            custom_keys = [row[0] for row in pg.execute(custom_keys_query(selection)).fetchall()]
        columns = resolve_columns(export.kind, export.columns, custom_keys)
        progress.set_total(int(pg.execute(count_query(selection)).fetchone()[0]))
        output.write(header_bytes(columns, options))
        statement = copy_statement(select_query(selection, columns, raw=options.raw), options)
        reader = CopyOutReader(pg, statement, CHUNK_BYTES)
        # closing(): a cancel raised below ends the COPY at once (psycopg cancels it server-side).
        with contextlib.closing(iter(reader)) as chunks:  # type: ignore[type-var]
            lines = 0
            for chunk in chunks:
                output.write(chunk)
                lines += chunk.count(b"\n")
                progress.rows_written(lines)
        rows = reader.rows or 0
        output.finish()
        progress.rows_written(rows, force=True)
        pg.rollback()
    except BaseException:
        # The COPY may have been cancelled half-way: do not hand this connection to anyone else.
        raw.invalidate()
        raise
    finally:
        raw.close()
    return rows


class _Output:
    """gzip (when asked) in front of the writer; the writer hashes and counts what is stored."""

    def __init__(self, writer: FileWriter, gzip: bool) -> None:
        self.writer = writer
        # wbits 31 = a gzip container (header + trailer), readable by gzip/gunzip/Excel importers.
        self.compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31) if gzip else None

    def write(self, data: bytes | bytearray) -> None:
        if self.compressor is None:
            self.writer.write(data)
        elif packed := self.compressor.compress(data):
            self.writer.write(packed)

    def finish(self) -> None:
        if self.compressor is not None:
            self.writer.write(self.compressor.flush())
