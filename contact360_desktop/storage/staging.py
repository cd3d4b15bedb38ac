"""Staging a batch for the database, in pure Python (the import's reader process runs it).

Rows that share an email are merged in file order (later non-blank values win) and the
survivors are encoded as one ``COPY ... FROM STDIN`` text payload for the staging table
of :mod:`contact360_desktop.storage.contact_writer`, which applies it. No database
driver here: the reader processes do not load one (~20 MB each).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import time
import uuid
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
    "company_id",
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
    known_companies: dict[str, str] | None = None,
) -> StagedBatch:
    """Merge rows per email in file order and encode them for COPY, sorted by email.

    ``duplicate_issue(row, first_row)`` builds the RowIssue for a repeated email in insert
    mode (the caller knows the raw row); other modes merge repeats: later non-blank values
    win, and blanks never erase.

    ``known_companies`` (optional; kept by the caller from batch to batch) holds the
    companies earlier batches of the same file staged, which exist by now, with their ids:
    only rows of other companies are flagged ``new_company``, so the companies upsert looks
    at those alone (after the first batches, nearly none). Every row with a company carries
    its id (:func:`company_id`). See :func:`_company_columns`.
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
    flags, company_ids = _company_columns(_company_keys(ordered), known_companies)
    payload = _encode_rows(emails, time_ordered_ids(len(emails)), ordered, flags, company_ids)
    return StagedBatch(payload, len(emails), rows_by_email, issues)


_DOMAIN = STAGED_FIELDS.index("company_domain")
_NAME = STAGED_FIELDS.index("company_name")
#: Companies remembered per import, with their ids (~10 MB at most); past it, new ones are always flagged.
KNOWN_COMPANIES_LIMIT = 50_000


def _company_keys(rows: list[StagedRow]) -> list[str]:
    """Each row's company key: its normalised domain, else "\\x00" + its exact name, else ""."""
    return [values[_DOMAIN] or (values[_NAME] and "\x00" + values[_NAME]) for values in map(itemgetter(3), rows)]


#: Namespace of the companies' name-based ids (uuid5); never change it: stored ids depend on it.
COMPANY_ID_NAMESPACE = uuid.UUID("5b0c3a43-7d0e-4a53-9c1e-36a0c0d1e360")
_NAMESPACE_BYTES = COMPANY_ID_NAMESPACE.bytes


def company_id(key: str) -> str:
    """The id an import gives the company of ``key`` ("" for none): ``uuid5(namespace, key)``
    as 32 hex digits (a test checks it equals uuid.uuid5; this is 3.5x faster).

    Every reader, in every run and every import, derives the same id for the same key
    without asking the database, so a contact's company_id is staged with the row and
    the upsert needs no company lookup per row. Where the company is stored under
    another id (created some other way, or a name differing in case), the database
    side maps this id to the stored one (storage.contact_writer).
    """
    if not key:
        return ""
    digest = hashlib.sha1(_NAMESPACE_BYTES + key.encode()).hexdigest()
    return f"{digest[:12]}5{digest[13:16]}{int(digest[16], 16) & 3 | 8:x}{digest[17:32]}"


def _company_columns(keys: list[str], known: dict[str, str] | None) -> tuple[list[str], list[str]]:
    """COPY booleans (new_company) and company ids for rows of these company keys.

    A row is flagged "t" when the upsert must consider its company: one that no earlier
    batch staged (every row of a company new in this batch, so the upsert still picks the
    batch's first name for it). A company is known by its normalised domain, else by its
    exact name (case kept: a name differing only in case is flagged and left to the
    database, whose lower() is the judge). ``known`` maps the keys met so far to their ids.
    """
    if known is None:
        return ["t" if key else "f" for key in keys], list(map(company_id, keys))
    ids = [known.get(key) or company_id(key) for key in keys]
    flags = ["t" if key and key not in known else "f" for key in keys]
    if len(known) < KNOWN_COMPANIES_LIMIT:
        known.update((key, new_id) for key, new_id in zip(keys, ids, strict=True) if key)
    return flags, ids


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


def _encode_rows(
    emails: list[str], ids: list[str], rows: list[StagedRow], flags: list[str], company_ids: list[str]
) -> bytes:
    """COPY text format (NULL ''). Rows are joined with tab/newline straight away (by map
    over whole columns: C loops); only when a value holds a tab, newline, CR or backslash
    is the batch escaped instead."""
    if not emails:
        return b""
    customs = [_custom_json(custom) if custom else "" for custom in map(itemgetter(4), rows)]
    numbers = map(str, map(itemgetter(0), rows))
    values = map("\t".join, map(itemgetter(3), rows))
    text = "\n".join(map("\t".join, zip(ids, numbers, emails, values, customs, flags, company_ids, strict=True)))
    count = len(emails)
    if (
        text.count("\t") == count * (len(STAGE_COLUMNS) - 1)
        and text.count("\n") == count - 1
        and "\\" not in text
        and "\r" not in text
        and "\x00" not in text
    ):
        return (text + "\n").encode()
    escaped = ("\t".join(map(_escape, cells)) for cells in _row_values(emails, ids, rows, flags, company_ids))
    return "".join(line + "\n" for line in escaped).encode()


def _row_values(
    emails: list[str], ids: list[str], rows: list[StagedRow], flags: list[str], company_ids: list[str]
) -> Iterator[tuple[str, ...]]:
    """Each staged row's values in STAGE_COLUMNS order ('' for NULL)."""
    for email, new_id, row, flag, company in zip(emails, ids, rows, flags, company_ids, strict=True):
        custom = row[4]
        yield (new_id, str(row[0]), email, *row[3], _custom_json(custom) if custom else "", flag, company)


#: COPY text escapes; NUL is dropped (PostgreSQL text cannot hold it; validation rejects it anyway).
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x00": None})


def _escape(value: str) -> str:
    return value.translate(_COPY_ESCAPES)
