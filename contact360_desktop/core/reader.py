"""Stream a contacts CSV: detect its format, find its header, yield its records.

Memory does not grow with the file: records are parsed one at a time by the stdlib
``csv`` module from a decoding text stream, so a 5 GB file reads with the same peak
as a 5 MB one. Only the first MiB is held at once, to detect the encoding and the
delimiter.
"""

from __future__ import annotations

import codecs
import csv
import os
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import asdict, dataclass
from itertools import islice
from typing import IO, Any, Final

from contact360_desktop.core.dialect import DELIMITERS, detect_line_terminator, sniff_delimiter
from contact360_desktop.core.encoding import (
    LENIENT_CP1252,
    check_not_binary,
    detect_encoding,
    normalize_encoding,
)
from contact360_desktop.core.errors import FileRejected
from contact360_desktop.core.mapping import count_known_fields
from contact360_desktop.core.records import RawRecord, Row

__all__ = ["DELIMITERS", "CsvFile", "FileFormat", "ReadPosition", "RowCursor", "open_csv", "sniff_format"]

#: Bytes read to detect the encoding.
SAMPLE_BYTES: Final = 1 << 20
#: Bytes decoded at a time when checking a whole file: 1 MiB pieces left glibc holding
#: ~70 MB of freed string buffers in the importing process; 64 KiB ones do not.
CHECK_BYTES: Final = 64 * 1024
#: Characters of decoded text used to guess the delimiter.
SNIFF_CHARS: Final = 64 * 1024
#: Non-blank records searched for the header row below a preamble.
HEADER_SCAN_RECORDS: Final = 50
#: A header row names at least this many known fields (issue 3, "Reading").
HEADER_MIN_KNOWN_FIELDS: Final = 2

_UTF16_32 = ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be")


@dataclass(frozen=True, slots=True)
class FileFormat:
    """How to read a file: a Python codec, the CSV dialect, the line ending seen.

    ``encoding_errors`` is ``"strict"`` or the lenient Windows-1252 handler
    (see ``core.encoding``).
    """

    encoding: str
    delimiter: str
    quotechar: str = '"'
    line_terminator: str = "\r\n"
    encoding_errors: str = "strict"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileFormat:
        return cls(**data)


def sniff_format(
    path: str | os.PathLike[str],
    encoding: str | None = None,
    delimiter: str | None = None,
    quotechar: str | None = None,
) -> FileFormat:
    """Detect a file's format from its first MiB; given values override detection.

    Raises FileRejected for an empty, binary, compressed or undecodable file.
    """
    with open(path, "rb") as raw:
        head = raw.read(SAMPLE_BYTES)
        complete = not raw.read(1)
    if not head:
        raise FileRejected("The file is empty.")
    check_not_binary(head)
    quote = quotechar or '"'
    if encoding:
        chosen, errors = _explicit_encoding(encoding, head, complete=complete)
    else:
        detected = detect_encoding(head, complete=complete)
        chosen, errors = detected.encoding, detected.errors
    text = _decode_sample(head, chosen, errors, complete=complete)
    if not text.strip():
        raise FileRejected("The file is empty.")
    if "\x00" in text:
        raise FileRejected("This file contains binary data (NUL characters), not text. Choose a CSV file.")
    if delimiter is None:
        sample = text[:SNIFF_CHARS]
        delimiter = sniff_delimiter(
            sample,
            complete=complete and len(sample) == len(text),
            quotechar=quote,
            known_fields=count_known_fields,
        )
    elif len(delimiter) != 1:
        raise FileRejected(f"The delimiter must be one character, not {delimiter!r}.")
    return FileFormat(chosen, delimiter, quote, detect_line_terminator(text[:SNIFF_CHARS]), errors)


def _explicit_encoding(name: str, head: bytes, *, complete: bool) -> tuple[str, str]:
    try:
        chosen = normalize_encoding(name)
    except LookupError:
        raise FileRejected(f'"{name}" is not a known text encoding.') from None
    if chosen == "utf-8" and head.startswith(codecs.BOM_UTF8):
        chosen = "utf-8-sig"  # the user said UTF-8; don't read the BOM into the first header
    if chosen not in _UTF16_32 and b"\x00" in head:
        raise FileRejected("This file contains binary data (NUL bytes), not text. Choose a CSV file.")
    # Same leniency as detection gives (see core.encoding), so that passing the detected
    # encoding back in -- as the wizard and the job options do -- reads the same way.
    ascii_sample_of_a_bigger_file = chosen == "utf-8" and head.isascii() and not complete
    lenient = chosen == "cp1252" or ascii_sample_of_a_bigger_file
    return chosen, LENIENT_CP1252 if lenient else "strict"


def _decode_sample(head: bytes, encoding: str, errors: str, *, complete: bool) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors)
    try:
        return decoder.decode(head, final=complete)
    except UnicodeDecodeError as exc:
        line = head[: exc.start].count(b"\n") + 1
        raise FileRejected(
            f"The file cannot be read as {encoding}: byte 0x{head[exc.start]:02x} on line {line} "
            "is not valid in that encoding. Choose the file's encoding and retry."
        ) from None


def open_csv(
    path: str | os.PathLike[str],
    encoding: str | None = None,
    delimiter: str | None = None,
    *,
    quotechar: str | None = None,
    header_row: int | None = None,
) -> CsvFile:
    """Open a CSV for reading (use as a context manager).

    ``header_row``: None finds the header (the first row naming at least two known
    fields, so a preamble is skipped); ``n`` takes the n-th non-blank row as the
    header, e.g. 1 for files whose columns name no contact field.
    """
    fmt = sniff_format(path, encoding, delimiter, quotechar)
    return CsvFile(path, fmt, header_row=header_row)


class CsvFile:
    """An opened CSV: its format, header and preamble, and its records on demand.

    Each ``records()`` call streams the file from disk on its own handle, so the
    preview and the import can both iterate; closing the CsvFile closes them all.
    """

    def __init__(
        self, path: str | os.PathLike[str], fmt: FileFormat, *, header_row: int | None = None
    ) -> None:
        if header_row is not None and header_row < 1:
            raise ValueError("header_row is 1-based")
        self.path = os.fspath(path)
        self.format = fmt
        self._streams: set[IO[str]] = set()
        self.header: list[str] = []
        self.header_line = 0
        self.preamble: list[str] = []
        # csv reader outputs (blank ones included) up to and including the header.
        self._outputs_through_header = 0
        self._find_header(header_row)

    # -- context manager -------------------------------------------------------------
    def __enter__(self) -> CsvFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        for stream in list(self._streams):
            stream.close()
        self._streams.clear()

    # -- reading ---------------------------------------------------------------------
    def _open_text(self) -> IO[str]:
        stream = open(  # noqa: SIM115 - closed by the generator that owns it, or by close()
            self.path, encoding=self.format.encoding, errors=self.format.encoding_errors, newline=""
        )
        self._streams.add(stream)
        return stream

    def _release(self, stream: IO[str]) -> None:
        stream.close()
        self._streams.discard(stream)

    def _reader(self, stream: IO[str]) -> Any:
        fmt = self.format
        return csv.reader(
            stream, delimiter=fmt.delimiter, quotechar=fmt.quotechar, doublequote=True, strict=False
        )

    def _find_header(self, header_row: int | None) -> None:
        stream = self._open_text()
        try:
            reader = self._reader(stream)
            candidates: list[tuple[int, int, list[str]]] = []  # (outputs so far, start line, cells)
            chosen: tuple[int, int, list[str]] | None = None
            outputs = 0
            for start, values in _with_start_lines(reader, self.format):
                outputs += 1
                if _is_blank(values):
                    continue
                candidates.append((outputs, start, values))
                if header_row is not None:
                    if len(candidates) == header_row:
                        chosen = candidates[-1]
                        break
                elif count_known_fields(values) >= HEADER_MIN_KNOWN_FIELDS:
                    chosen = candidates[-1]
                    break
                if len(candidates) >= HEADER_SCAN_RECORDS and header_row is None:
                    break
        finally:
            self._release(stream)
        if not candidates:
            raise FileRejected("The file is empty.")
        if chosen is None:
            if header_row is not None:
                raise FileRejected(
                    f"The file has only {len(candidates)} non-blank rows; row {header_row} cannot be the header."
                )
            chosen = _widest_consistent(candidates)
        self._outputs_through_header, self.header_line, cells = chosen
        self.header = [cell.strip() for cell in cells]
        self.header[0] = self.header[0].lstrip("\ufeff").strip()
        self.preamble = self._physical_lines(self.header_line - 1)

    def _physical_lines(self, count: int) -> list[str]:
        if count <= 0:
            return []
        stream = self._open_text()
        try:
            return [line.rstrip("\r\n") for line in islice(stream, count)]
        finally:
            self._release(stream)

    def records(self, skip: int = 0) -> Generator[RawRecord, None, None]:
        """The data records after the header, in file order, skipping blank lines.

        ``skip`` records are parsed but not returned (resuming after a checkpoint):
        rows are only countable by parsing, because quoted values may hold newlines.
        """
        rows = self.rows(skip)
        try:
            for row_number, line_number, values in rows:
                yield RawRecord(row_number, line_number, values)
        finally:
            rows.close()

    def rows(self, skip: int = 0) -> Generator[Row, None, None]:
        """:meth:`records` as bare ``(row_number, line_number, values)`` tuples.

        For the import's reader, which builds a RawRecord only for the rows that need
        one (those with an issue); same rows, numbers and errors as ``records``.
        """
        cursor = self.cursor()
        try:
            cursor.skip(skip)
            while run := cursor.take(1):  # one at a time: a broken row further on is not read early
                yield run[0]
        finally:
            cursor.close()

    def cursor(self) -> RowCursor:
        """A :class:`RowCursor` at the first data row (closed with the CsvFile)."""
        return RowCursor(self)

    def check_decodes(self) -> None:
        """Raise FileRejected, naming the line, if any part of the file is not valid text.

        The format is detected from the first MiB; a bad byte further in would otherwise
        be found only when the import reaches it, after committing the batches before it.
        The import calls this first (one pass of the codec in C, ~0.2 s per 200 MB, while
        its reader starts), so that such a file fails as a whole and writes nothing.
        """
        fmt = self.format
        decoder = codecs.getincrementaldecoder(fmt.encoding)(fmt.encoding_errors)
        fed = 0  # bytes given to the decoder so far
        with open(self.path, "rb") as raw:
            while True:
                chunk = raw.read(CHECK_BYTES)
                try:
                    decoder.decode(chunk, final=not chunk)
                except UnicodeDecodeError as exc:
                    # exc.object is the decoder's held-back bytes followed by this chunk.
                    bad = fed - (len(exc.object) - len(chunk)) + exc.start
                    raise _undecodable(self.path, fmt, bad) from None
                if not chunk:
                    return
                fed += len(chunk)

    def preview(self, n: int = 50) -> list[RawRecord]:
        """The first ``n`` records (for the wizard's preview)."""
        with closing(self.records()) as records:
            return list(islice(records, n))


#: Rows held at a time while parsing past rows (RowCursor.skip).
SKIP_RUN_ROWS: Final = 1_000


@dataclass(frozen=True, slots=True)
class ReadPosition:
    """Where a record starts: a seek cookie of the decoded text stream (valid in any
    encoding), and how many data rows and physical lines of the file come before it."""

    offset: int
    rows: int
    lines: int


class RowCursor:
    """Reads a CSV's data rows in runs, from its start or from any :class:`ReadPosition`.

    Blank lines are skipped; row and line numbers are the file's, wherever reading
    started. The import's parallel readers use one each: a reader that has parsed a
    run hands :meth:`position` to the next, which seeks there (:meth:`seek`), so no reader
    parses the others' rows (rows are only countable by parsing: quoted values may
    hold newlines).
    """

    def __init__(self, src: CsvFile) -> None:
        self._src = src
        self._stream = src._open_text()
        self._rows = 0
        self._lines = 0  # physical lines before the csv reader's first
        self._reader = self._new_reader()
        for _ in range(src._outputs_through_header):
            next(self._reader)

    def _new_reader(self) -> Any:
        # Lines by readline, not by iterating the stream: iteration disables tell().
        return self._src._reader(iter(self._stream.readline, ""))  # type: ignore[arg-type]

    def position(self) -> ReadPosition:
        """Where the row after the last one taken starts."""
        return ReadPosition(self._stream.tell(), self._rows, self._lines + self._reader.line_num)

    def seek(self, position: ReadPosition) -> None:
        """Read on from ``position`` (another cursor's, of the same file and format)."""
        self._stream.seek(position.offset)
        self._rows, self._lines = position.rows, position.lines
        self._reader = self._new_reader()

    def skip(self, count: int) -> None:
        """Parse past ``count`` rows (resuming after a checkpoint)."""
        while count > 0 and (run := self.take(min(count, SKIP_RUN_ROWS))):
            count -= len(run)

    def take(self, count: int) -> list[Row]:
        """The next ``count`` rows, fewer at the end of the file, none after it."""
        reader, lines, row_number = self._reader, self._lines, self._rows
        run: list[Row] = []
        if count <= 0:
            return run
        append = run.append
        last = row_number + count
        previous_line = reader.line_num
        try:
            for values in reader:
                start = lines + previous_line + 1
                previous_line = reader.line_num
                # Fast path: a first cell with text means the row is not blank.
                first = values[0] if values else ""
                if (not first or first.isspace()) and _is_blank(values):
                    continue
                row_number += 1
                append((row_number, start, values))
                if row_number == last:
                    break
        except csv.Error as exc:
            raise _csv_failure(exc, lines + previous_line + 1) from None
        except UnicodeDecodeError as exc:
            raise _decode_failure(exc, self._src.format.encoding, lines + reader.line_num + 1) from None
        finally:
            self._rows = row_number
        return run

    def close(self) -> None:
        self._src._release(self._stream)


def _with_start_lines(reader: Any, fmt: FileFormat) -> Iterator[tuple[int, list[str]]]:
    previous_line = reader.line_num
    try:
        for values in reader:
            yield previous_line + 1, values
            previous_line = reader.line_num
    except csv.Error as exc:
        raise _csv_failure(exc, previous_line + 1) from None  # where the broken record starts
    except UnicodeDecodeError as exc:
        raise _decode_failure(exc, fmt.encoding, reader.line_num + 1) from None


def _is_blank(values: list[str]) -> bool:
    return not "".join(values).strip()


def _widest_consistent(candidates: list[tuple[int, int, list[str]]]) -> tuple[int, int, list[str]]:
    """No row names two known fields: skip rows much narrower than the table.

    A preamble ("Notes:", "Exported on,2024-05-01") is narrower than the table under
    it; a header may differ from the data by a trailing delimiter, so only rows under
    half the usual width are skipped. Without a preamble this is the first row.
    """
    widths: dict[int, int] = {}
    for _, _, values in candidates:
        widths[len(values)] = widths.get(len(values), 0) + 1
    common = max(widths, key=lambda w: (widths[w], w))
    wide_enough = max(2, common // 2 + 1)
    return next((c for c in candidates if len(c[2]) >= wide_enough), candidates[0])


def _csv_failure(exc: csv.Error, line: int) -> FileRejected:
    if "field larger than field limit" in str(exc):
        return FileRejected(
            f"Line {line}: a value is longer than {csv.field_size_limit():,} characters. "
            'The file probably has a quote (") that is never closed.'
        )
    return FileRejected(f"Line {line} cannot be read as CSV: {exc}.")


def _undecodable(path: str, fmt: FileFormat, offset: int) -> FileRejected:
    """The FileRejected for the byte at ``offset``, which ``fmt`` cannot decode: its line is
    one more than the line breaks ("\r\n", "\r" or "\n") in the valid text before it."""
    decoder = codecs.getincrementaldecoder(fmt.encoding)(fmt.encoding_errors)
    breaks, last = 0, ""
    with open(path, "rb") as raw:
        left = offset
        while left > 0:
            text = decoder.decode(raw.read(min(left, CHECK_BYTES)))
            left -= CHECK_BYTES
            joined = last + text  # a "\r\n" may straddle two reads
            breaks += text.count("\n") + text.count("\r") - joined.count("\r\n")
            last = text[-1:]
        raw.seek(offset)
        byte = raw.read(1)
    return _not_text(fmt.encoding, breaks + 1, byte[0] if byte else 0)


def _decode_failure(exc: UnicodeDecodeError, encoding: str, line: int) -> FileRejected:
    return _not_text(encoding, line, exc.object[exc.start] if exc.start < len(exc.object) else 0)


def _not_text(encoding: str, line: int, byte: int) -> FileRejected:
    return FileRejected(
        f"Line {line} is not valid {encoding} text (byte 0x{byte:02x}). "
        "Choose the file's encoding and import it again."
    )
