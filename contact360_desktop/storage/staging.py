"""Staging a batch for the database, in pure Python (the import's reader process runs it).

Rows that share an email are merged in file order (later non-blank values win) and the
survivors are encoded as one ``COPY ... FROM STDIN`` text payload for the staging table
of :mod:`contact360_desktop.storage.contact_writer`, which applies it. No database
driver here: the reader processes do not load one (~20 MB each).
"""

from __future__ import annotations

import dataclasses
import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter

from contact360_desktop.core.fields import CONTACT_FIELDS, MODE_INSERT, MODE_UPSERT
from contact360_desktop.core.records import CleanContact, RowIssue, StagedRow

#: Contact columns copied from the file, in staging order (email and the company pair apart).
CONTACT_COLUMNS: tuple[str, ...] = tuple(
    field for field in CONTACT_FIELDS if field not in ("email", "company_name", "company_domain")
)
STAGE_COLUMNS: tuple[str, ...] = (
    "id",
    "row_number",
    "email",
    *CONTACT_COLUMNS,
    "company_name",
    "company_domain",
    "custom_fields",
    "new_company",
)


@dataclasses.dataclass
class StagedBatch:
    """One batch ready for the database (built off the connection's thread)."""

    #: COPY text payload for the staging table (one line per distinct email).
    payload: bytes
    #: Distinct emails in the batch (= payload lines).
    distinct: int
    #: Row numbers per email, for rows the database may still reject (insert/update modes).
    rows_by_email: dict[str, list[int]]
    #: Rows rejected while staging (insert mode: a later row repeating an email of this file).
    issues: list[RowIssue]


#: The file's fields in staging order (after id, row_number and email).
STAGED_FIELDS: tuple[str, ...] = (*CONTACT_COLUMNS, "company_name", "company_domain")
_BLANKS = ("",) * len(STAGED_FIELDS)


def time_ordered_ids(count: int) -> list[str]:
    """``count`` UUIDv7-style ids (ms timestamp first, then a random start and a counter).

    New contacts get ids that sort by creation, so the primary key and (created_at, id)
    indexes grow at their right edge instead of taking random page splits.
    """
    head = f"{time.time_ns() // 1_000_000:012x}7{random.getrandbits(12):03x}"
    start = random.getrandbits(60) & ~0xFFFFFFFF  # room for the counter, never wraps
    return [f"{head}{0x8 << 60 | (start + i):016x}" for i in range(count)]


StagedDuplicateIssue = Callable[[StagedRow, int], RowIssue]


def staged_row(contact: CleanContact) -> StagedRow:
    """A CleanContact as a StagedRow."""
    return (
        contact.row_number,
        contact.line_number,
        contact.email,
        tuple(map(contact.fields.get, STAGED_FIELDS, _BLANKS)),
        contact.custom_fields or None,
    )


def stage_rows(
    rows: Sequence[StagedRow],
    mode: str,
    duplicate_issue: StagedDuplicateIssue | None = None,
    known_companies: set[str] | None = None,
) -> StagedBatch:
    """Merge rows per email in file order and encode them for COPY, sorted by email.

    ``duplicate_issue(row, first_row)`` builds the RowIssue for a repeated email in insert
    mode (the caller knows the raw row); other modes merge repeats: later non-blank values
    win, and blanks never erase.

    ``known_companies`` (optional; kept by the caller from batch to batch) holds the
    companies earlier batches of the same file staged, which exist by now: only rows of
    other companies are flagged ``new_company``, so the companies upsert looks at those
    alone (after the first batches, nearly none). See :func:`_new_company_flags`.
    """
    merged: dict[str, StagedRow] = {}
    rows_by_email: dict[str, list[int]] = {}
    issues: list[RowIssue] = []
    track_rows = mode != MODE_UPSERT
    first = merged.setdefault
    for row in rows:
        email = row[2]
        seen = first(email, row)
        if seen is row:
            if track_rows:
                rows_by_email[email] = [row[0]]
        elif mode == MODE_INSERT:
            if duplicate_issue is not None:
                issues.append(duplicate_issue(row, seen[0]))
        else:
            merged[email] = _merged(seen, row)
            if track_rows:
                rows_by_email[email].append(row[0])
    emails = sorted(merged)  # index probes and inserts in key order: fewer pages touched
    ordered = list(map(merged.__getitem__, emails))
    flags = _new_company_flags(ordered, known_companies)
    payload = _encode_rows(emails, time_ordered_ids(len(emails)), ordered, flags)
    return StagedBatch(payload, len(emails), rows_by_email, issues)


_DOMAIN = STAGED_FIELDS.index("company_domain")
_NAME = STAGED_FIELDS.index("company_name")
#: Companies remembered per import (~6 MB at most); past it, new ones are simply always flagged.
KNOWN_COMPANIES_LIMIT = 50_000


def _new_company_flags(rows: list[StagedRow], known: set[str] | None) -> list[str]:
    """COPY booleans: "t" for a row whose company the upsert must consider, else "f".

    A company is known by its normalised domain, else by its exact name (case kept: a
    name differing only in case is flagged and left to the database, whose lower() is
    the judge). Every row of a company new in this batch is flagged, so the upsert
    still picks the batch's first name for it.
    """
    keys = [values[_DOMAIN] or (values[_NAME] and "\x00" + values[_NAME]) for values in map(itemgetter(3), rows)]
    if known is None:
        return ["t" if key else "f" for key in keys]
    flags = ["t" if key and key not in known else "f" for key in keys]
    if len(known) < KNOWN_COMPANIES_LIMIT:
        known.update(filter(None, keys))
    return flags


def _merged(earlier: StagedRow, later: StagedRow) -> StagedRow:
    """Later non-blank values win; blanks never erase. New values: the inputs stay as they were."""
    values = tuple([new or old for old, new in zip(earlier[3], later[3], strict=True)])
    custom = earlier[4]
    if later[4]:
        custom = dict(custom or {})
        custom.update((k, v) for k, v in later[4].items() if v)
    return (earlier[0], earlier[1], earlier[2], values, custom or None)


_json_string = json.encoder.encode_basestring  # type: ignore[attr-defined]  # C, ensure_ascii=False
_json_keys: dict[str, str] = {}
_json_heads: dict[str, str] = {}  # key -> '{"key":' for the one-key dict


def _custom_json(custom: dict[str, str]) -> str:
    """JSON of a flat str -> str dict (3x faster than json.dumps; keys repeat, so cache them)."""
    if len(custom) == 1:  # the common case (one custom column): no list, no join
        ((key, value),) = custom.items()
        head = _json_heads.get(key)
        if head is None:
            head = _json_heads[key] = "{" + _json_string(key) + ":"
        return head + _json_string(value) + "}"
    parts = []
    for key, value in custom.items():
        encoded = _json_keys.get(key)
        if encoded is None:
            encoded = _json_keys[key] = _json_string(key) + ":"
        parts.append(encoded + _json_string(value))
    return "{" + ",".join(parts) + "}"


def _encode_rows(emails: list[str], ids: list[str], rows: list[StagedRow], flags: list[str]) -> bytes:
    """COPY text format (NULL ''). Rows are joined with tab/newline straight away (by map
    over whole columns: C loops); only when a value holds a tab, newline, CR or backslash
    is the batch escaped instead."""
    if not emails:
        return b""
    customs = [_custom_json(custom) if custom else "" for custom in map(itemgetter(4), rows)]
    numbers = map(str, map(itemgetter(0), rows))
    values = map("\t".join, map(itemgetter(3), rows))
    text = "\n".join(map("\t".join, zip(ids, numbers, emails, values, customs, flags, strict=True)))
    count = len(emails)
    if (
        text.count("\t") == count * (len(STAGE_COLUMNS) - 1)
        and text.count("\n") == count - 1
        and "\\" not in text
        and "\r" not in text
        and "\x00" not in text
    ):
        return (text + "\n").encode()
    escaped = ("\t".join(map(_escape, cells)) for cells in _row_values(emails, ids, rows, flags))
    return "".join(line + "\n" for line in escaped).encode()


def _row_values(
    emails: list[str], ids: list[str], rows: list[StagedRow], flags: list[str]
) -> Iterator[tuple[str, ...]]:
    """Each staged row's values in STAGE_COLUMNS order ('' for NULL)."""
    for email, new_id, row, flag in zip(emails, ids, rows, flags, strict=True):
        custom = row[4]
        yield (new_id, str(row[0]), email, *row[3], _custom_json(custom) if custom else "", flag)


#: COPY text escapes; NUL is dropped (PostgreSQL text cannot hold it; validation rejects it anyway).
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x00": None})


def _escape(value: str) -> str:
    return value.translate(_COPY_ESCAPES)
