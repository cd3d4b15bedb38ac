"""The reading half of an import: file -> validated, merged, COPY-encoded batches.

Runs on a thread of its own (:class:`BatchProducer`) so that parsing and validating
batch k+1 overlaps with the database applying batch k; a small bounded queue keeps
memory flat whatever the file size. Everything heavy per row happens here, off the
connection's thread: validation, merging rows per email, encoding the COPY payload.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from contact360_desktop.core.fields import ERROR, MODE_UPSERT
from contact360_desktop.core.records import CleanContact, RawRecord, RowIssue
from contact360_desktop.storage.contact_writer import StagedBatch, stage_batch

DEFAULT_BATCH_ROWS = 20_000
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


def raw_row(header: list[str], values: list[str]) -> dict[str, str]:
    """The row as read, header name -> value (extra cells as _extra_N), for error records."""
    row = {name: (values[i] if i < len(values) else "") for i, name in enumerate(header)}
    for extra, value in enumerate(values[len(header) :], start=1):
        row[f"_extra_{extra}"] = value
    return row


def build_batches(
    records: Iterator[RawRecord],
    validate: Callable[[RawRecord], tuple[CleanContact | None, list[RowIssue]]],
    header: list[str],
    mode: str,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> Iterator[Batch]:
    """Validate records as they stream in and stage every ``batch_rows`` of them.

    Only clean rows (and, when the database may still reject them, their raw cells)
    are held until the batch is staged: memory is one batch, whatever the file size.
    """
    builder = _BatchBuilder(validate, header, mode)
    for record in records:
        builder.add(record)
        if builder.records >= batch_rows:
            yield builder.finish()
            builder = _BatchBuilder(validate, header, mode)
    if builder.records:
        yield builder.finish()


class _BatchBuilder:
    def __init__(
        self,
        validate: Callable[[RawRecord], tuple[CleanContact | None, list[RowIssue]]],
        header: list[str],
        mode: str,
    ) -> None:
        self.validate = validate
        self.header = header
        self.mode = mode
        self.keep_raw = mode != MODE_UPSERT
        self.records = 0
        self.first: RawRecord | None = None
        self.last: RawRecord | None = None
        self.valid: list[CleanContact] = []
        self.issues: list[RowIssue] = []
        self.raw_rows: dict[int, dict[str, str]] = {}
        self.line_numbers: dict[int, int] = {}

    def add(self, record: RawRecord) -> None:
        self.records += 1
        if self.first is None:
            self.first = record
        self.last = record
        contact, row_issues = self.validate(record)
        if row_issues:
            self.issues.extend(row_issues)
        if contact is not None:
            self.valid.append(contact)
            if self.keep_raw:
                self.raw_rows[record.row_number] = raw_row(self.header, record.values)
                self.line_numbers[record.row_number] = record.line_number

    def finish(self) -> Batch:
        assert self.first is not None and self.last is not None
        raw_rows = self.raw_rows

        def duplicate(contact: CleanContact, first_row: int) -> RowIssue:
            return RowIssue(
                contact.row_number,
                contact.line_number,
                ERROR,
                "email",
                "duplicate",
                f"{contact.email} is already imported by row {first_row} of this file (insert-only import)",
                raw_rows.get(contact.row_number, {}),
            )

        staged = stage_batch(self.valid, self.mode, duplicate)
        issues = self.issues
        if staged.issues:
            issues = sorted([*issues, *staged.issues], key=lambda i: i.row_number)
        return Batch(
            first_row=self.first.row_number,
            last_row=self.last.row_number,
            last_line=self.last.line_number,
            records=self.records,
            valid=len(self.valid) - len(staged.issues),
            staged=staged,
            issues=issues,
            raw_rows=raw_rows,
            line_numbers=self.line_numbers,
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

    def close(self) -> None:
        """Stop reading (the thread ends at its next hand-over) and wait for it."""
        self._stop.set()
        self._thread.join(timeout=30)
