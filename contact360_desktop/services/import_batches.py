"""The reading half of an import: file -> validated, merged, COPY-encoded batches.

Runs ahead of the database so that parsing and validating batch k+1 overlaps with the
database applying batch k; a bounded hand-over keeps memory flat whatever the file
size. Everything heavy per row happens here, off the connection's thread: validation,
merging rows per email, encoding the COPY payload.

Two producers with one interface: :class:`BatchProducer` (a thread; small files, where
starting a process would cost more than it saves) and :class:`ProcessBatchProducer`
(child processes; big files). A thread shares the GIL with the thread driving
PostgreSQL, so the reader's ~12 µs of Python per row and the driver's own work run
one after the other on one core; child processes put the reading on the other cores.
Each child parses, validates and stages only its share of the batches (k, k + n, ...;
the children hand each other where the next batch starts: RelayedRuns), sent whole
through a pipe and taken in turn: file order, row numbers and checkpoints are exactly
the thread's.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import queue
import threading
from collections.abc import Callable, Iterator
from itertools import count
from multiprocessing.connection import Connection
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from contact360_desktop.core.fields import ERROR, MODE_UPSERT
from contact360_desktop.core.records import CleanContact, RawRecord, Row, RowIssue, StagedRow
from contact360_desktop.core.validation import BatchCleaner, column_keys
from contact360_desktop.storage.staging import STAGED_FIELDS, StagedBatch, stage_rows, staged_row

if TYPE_CHECKING:
    from contact360_desktop.core.reader import RowCursor

log = logging.getLogger(__name__)

#: Records per batch (one transaction). A batch in the making costs a reader ~3 KB a record
#: and one in flight costs the importer its payload: with two readers, 5k keeps the three
#: processes together under 200 MB (1M rows: 182-186 MB, against 214-217 MB at 10k), and
#: the extra round trips did not show in the time (fresh 25.7-26.9 s against 25.8-25.9 s).
DEFAULT_BATCH_ROWS = 5_000
#: Batches read ahead of the database: one being applied, one waiting, one being read.
QUEUE_DEPTH = 1


@dataclasses.dataclass
class Batch:
    """A run of consecutive records of the file, validated and staged."""

    first_row: int
    last_row: int
    last_line: int
    records: int
    valid: int
    staged: StagedBatch
    issues: list[RowIssue]
    #: Raw rows of valid records by row number, kept only when the database may reject them.
    raw_rows: dict[int, dict[str, str]]
    line_numbers: dict[int, int]

    @property
    def rejected(self) -> int:
        return len({i.row_number for i in self.issues if i.severity == ERROR})


def raw_row(keys: list[str], values: list[str]) -> dict[str, str]:
    """The row as read, column key -> value (extra cells as _extra_N), for error records:
    the keys of core.validation.column_keys, as RowValidator's own row errors use."""
    row = {name: (values[i] if i < len(values) else "") for i, name in enumerate(keys)}
    for extra, value in enumerate(values[len(keys) :], start=1):
        row[f"_extra_{extra}"] = value
    return row


Validate = Callable[[RawRecord], tuple[CleanContact | None, list[RowIssue]]]


def build_batches(
    next_rows: Callable[[], list[Row]],
    validate: Validate,
    header: list[str],
    mode: str,
    clean: BatchCleaner,
) -> Iterator[Batch]:
    """Validate and stage each run of rows ``next_rows()`` gives, until it gives none.

    A run is consecutive records of the file (RowCursor.take, or a reader's share from
    :class:`RelayedRuns`). Only one run is held at a time: memory is one batch, whatever
    the file size. ``clean`` (RowValidator.batch_cleaner) stages the common all-valid
    rows of a batch column by column; the rows it declines go through ``validate`` (as
    a RawRecord, built only for them).
    """
    keys = column_keys(header)
    # Companies staged by earlier batches (staging.stage_rows). Upserts only: insert and
    # update modes drop rows the database rejects before the companies upsert, so a company
    # staged with such a row alone may not exist yet.
    known_companies: dict[str, str] | None = {} if mode == MODE_UPSERT else None
    while rows := next_rows():
        batch = _build_batch(rows, validate, keys, mode, clean, known_companies)
        del rows  # the batch's rows (the bulk of its memory) go before the hand-over
        yield batch
        del batch  # the consumer may take a whole database round to come back


def consecutive_runs(cursor: RowCursor, run_rows: int, skip: int = 0) -> Callable[[], list[Row]]:
    """Runs of ``run_rows`` rows (a callable for :func:`build_batches`), the first after
    ``skip`` rows: parsed past by the first call, so on the reader's own thread."""

    def next_run() -> list[Row]:
        nonlocal skip
        if skip:
            cursor.skip(skip)
            skip = 0
        return cursor.take(run_rows)

    return next_run


class RelayedRuns:
    """Reader ``part``'s share of the file when ``parts`` readers take turns: runs
    part, part + parts, ... of ``run_rows`` rows (a callable for :func:`build_batches`).

    The readers form a ring of pipes. Having parsed a run, a reader sends the position
    after it (core.reader.ReadPosition) to the next reader, which seeks there and parses
    the following run while the first one validates its own: no reader parses another's
    rows. None passed round the ring means the file ended (or a reader failed): stop.
    Reader 0 starts at the first row after ``skip`` (a checkpoint); the others wait.
    """

    def __init__(
        self,
        cursor: RowCursor,
        run_rows: int,
        part: int,
        inbox: Connection,
        outbox: Connection,
        skip: int = 0,
    ) -> None:
        self._cursor = cursor
        self._run_rows = run_rows
        self._inbox = inbox
        self._outbox = outbox
        self._skip = skip if part == 0 else None  # None: wait for a position
        self._ended = False

    def __call__(self) -> list[Row]:
        if self._ended:
            return []
        try:
            if self._skip is None:
                position = self._inbox.recv()
                if position is None:
                    self._end()
                    return []
                self._cursor.seek(position)
            else:
                self._cursor.skip(self._skip)
                self._skip = None
            rows = self._cursor.take(self._run_rows)
        except BaseException:
            self._end()
            raise
        if len(rows) < self._run_rows:
            self._end()
        else:
            self._outbox.send(self._cursor.position())
        return rows

    def _end(self) -> None:
        self._ended = True
        try:
            self._outbox.send(None)
        except OSError:  # that reader has stopped already
            pass


def _build_batch(
    rows: list[Row],
    validate: Validate,
    keys: list[str],
    mode: str,
    clean: BatchCleaner,
    known_companies: dict[str, str] | None,
) -> Batch:
    """Validate and stage ``rows`` (consecutive records of the file, at least one)."""
    valid, declined = clean(rows)
    issues: list[RowIssue] = []
    checked = []
    for row_number, line_number, values in declined:
        contact, row_issues = validate(RawRecord(row_number, line_number, values))
        issues.extend(row_issues)
        if contact is not None:
            checked.append(staged_row(contact))
    if checked:  # back into file order: rows of one email merge in it
        valid = sorted([*valid, *checked], key=itemgetter(0))
    raw_rows: dict[int, dict[str, str]] = {}
    line_numbers: dict[int, int] = {}
    if mode != MODE_UPSERT:  # the database may still reject a valid row: keep it as read
        valid_rows = {row[0] for row in valid}
        for row_number, line_number, values in rows:
            if row_number in valid_rows:
                raw_rows[row_number] = raw_row(keys, values)
                line_numbers[row_number] = line_number

    def duplicate(row: StagedRow, first_row: int) -> RowIssue:
        return RowIssue(
            row[0],
            row[1],
            ERROR,
            "email",
            "duplicate",
            f"{row[2]} is already imported by row {first_row} of this file (insert-only import)",
            raw_rows.get(row[0], {}),
        )

    staged = stage_rows(valid, mode, duplicate, known_companies)
    if staged.issues:
        issues = sorted([*issues, *staged.issues], key=lambda i: i.row_number)
    last_row, last_line, _ = rows[-1]
    return Batch(
        first_row=rows[0][0],
        last_row=last_row,
        last_line=last_line,
        records=len(rows),
        valid=len(valid) - len(staged.issues),
        staged=staged,
        issues=issues,
        raw_rows=raw_rows,
        line_numbers=line_numbers,
    )


_DONE = object()


class BatchProducer:
    """Runs a batch iterator on a thread, handing batches over through a bounded queue."""

    def __init__(self, batches: Iterator[Batch]) -> None:
        self._batches = batches
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_DEPTH)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="import-reader", daemon=True)

    def __enter__(self) -> BatchProducer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for batch in self._batches:
                if not self._put(batch):
                    return
            self._put(_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            self._put(exc)

    def __iter__(self) -> Iterator[Batch]:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
            del item  # not held while the next batch is awaited

    def close(self) -> None:
        """Stop reading (the thread ends at its next hand-over) and wait for it."""
        self._stop.set()
        self._thread.join(timeout=30)


@dataclasses.dataclass(frozen=True)
class SourceSpec:
    """Everything a child process needs to read and validate the file as the parent would."""

    path: str
    format: Any  # core.reader.FileFormat
    mapping: Any  # core.mapping.ColumnMapping, already resolved against the header
    phone_region: str
    skip: int
    mode: str
    batch_rows: int = DEFAULT_BATCH_ROWS
    #: This reader's place among the readers taking turns (0: it starts; see RelayedRuns).
    part: int = 0


#: The reader child runs a full garbage collection after sending this many batches.
GC_EVERY_BATCHES = 20


def _read_in_child(spec: SourceSpec, conn: Connection, ring: tuple[Connection, Connection] | None) -> None:
    """Child process body: stream the file's batches to the parent, then _DONE or the exception.

    ``ring``: this reader's (inbox, outbox) among several readers (RelayedRuns), or None.

    ``conn.send`` blocks until the parent takes the batch in its turn (a pipe holds
    64 KiB, a batch is megabytes), so a child is at most one of its batches ahead.
    """
    import gc

    from contact360_desktop.core.reader import CsvFile
    from contact360_desktop.core.validation import RowValidator

    # A batch allocates ~20 containers a record and holds them until it is sent, so the
    # cyclic collector, run by allocation counts, kept walking the live batch: ~20% of the
    # reader's time. Nothing on this path forms reference cycles, so it is off, and a full
    # collection every GC_EVERY_BATCHES batches bounds whatever a rare one would hold.
    # The modules imported so far live as long as the process: frozen out of its sight.
    gc.freeze()
    gc.disable()
    try:
        with CsvFile(spec.path, spec.format) as src:
            header = list(src.header)
            validator = RowValidator(header, spec.mapping, phone_region=spec.phone_region)
            cursor = src.cursor()
            next_rows: Callable[[], list[Row]]
            if ring is None:
                next_rows = consecutive_runs(cursor, spec.batch_rows, spec.skip)
            else:
                next_rows = RelayedRuns(cursor, spec.batch_rows, spec.part, *ring, skip=spec.skip)
            batches = build_batches(
                next_rows, validator.validate, header, spec.mode, validator.batch_cleaner(STAGED_FIELDS)
            )
            for sent, batch in enumerate(batches, start=1):
                conn.send(batch)
                del batch  # not kept alive while the next one is read
                if sent % GC_EVERY_BATCHES == 0:
                    gc.collect()
        conn.send(_DONE_MARK)
    except (BrokenPipeError, EOFError, KeyboardInterrupt):
        pass  # the parent stopped listening (cancelled, failed): nothing left to tell
    except BaseException as exc:
        try:
            conn.send(exc)
        except Exception:  # an exception that does not pickle: send its text instead
            conn.send(RuntimeError(f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


#: Sent by the child after its last batch (a picklable stand-in for _DONE).
_DONE_MARK = "contact360:import-reader:done"


class ProcessBatchProducer:
    """Reads and validates in child processes ('spawn': safe with threads, same on every OS).

    Same interface as BatchProducer. With ``readers`` children, child k builds batches
    k, k + readers, ... (parsing only those: RelayedRuns) and the iteration takes them
    in turn: file order, row numbers and checkpoints are exactly one reader's. Closing
    early (cancel, a database error) ends the children; an exception raised in a child
    is re-raised in its turn.
    """

    def __init__(self, spec: SourceSpec, readers: int = 1) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conns: list[Connection] = []
        self._child_conns: list[Connection] = []  # the children's ends, closed here once they start
        # Reader k's inbox is ring[k]'s receiving end; reader k - 1 holds its sending end.
        ring = [ctx.Pipe(duplex=False) for _ in range(readers)] if readers > 1 else []
        self._processes = []
        for part in range(readers):
            conn, child_conn = ctx.Pipe(duplex=False)
            self._conns.append(conn)
            self._child_conns.append(child_conn)
            relay = (ring[part][0], ring[(part + 1) % readers][1]) if ring else None
            self._child_conns.extend(relay or ())
            self._processes.append(
                ctx.Process(
                    target=_read_in_child,
                    args=(dataclasses.replace(spec, part=part), child_conn, relay),
                    name=f"contact360-import-reader-{part}",
                    daemon=True,
                )
            )
        self.pids: list[int] = []
        self._closed = False

    def __enter__(self) -> ProcessBatchProducer:
        for process in self._processes:
            process.start()
            self.pids.append(process.pid or 0)
        for child_conn in self._child_conns:
            child_conn.close()  # the children hold their ends; EOF then means a child is gone
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Batch]:
        for turn in count():
            part = turn % len(self._conns)
            try:
                item = self._conns[part].recv()
            except EOFError:
                code = self._processes[part].exitcode
                raise RuntimeError(
                    f"the import's reader process ended unexpectedly (exit code {code})"
                ) from None
            if isinstance(item, str) and item == _DONE_MARK:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
            del item  # not held while the next batch is awaited

    def close(self) -> None:
        """End the children (one may be blocked sending a batch nobody will read) and reap them."""
        if self._closed:
            return
        self._closed = True
        for conn in self._conns:
            conn.close()
        started = [p for p in self._processes if p.pid is not None]
        for process in started:
            process.join(timeout=5)
            if process.exitcode is None:
                process.terminate()
                process.join(timeout=5)
            process.close()


def can_use_child_process() -> bool:
    """False in a daemonic multiprocessing process, which may not start children."""
    return not multiprocessing.current_process().daemon
