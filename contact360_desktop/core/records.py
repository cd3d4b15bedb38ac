"""The values that flow through an import: a record as read, a problem with it, a clean contact."""

from __future__ import annotations

from dataclasses import dataclass, field

from contact360_desktop.core.fields import ERROR, WARNING

__all__ = ["CleanContact", "RawRecord", "Row", "RowIssue", "StagedRow"]

#: A record as CsvFile.rows gives it: (row_number, line_number, values), no RawRecord.
Row = tuple[int, int, list[str]]
#: A clean row as the import stages it: (row_number, line_number, email, the values of the
#: writer's fields in its order with "" for blank, the non-blank custom fields or None).
StagedRow = tuple[int, int, str, tuple[str, ...], dict[str, str] | None]


# Not frozen: one is built per row, and frozen dataclasses construct ~2x slower.
@dataclass(slots=True)
class RawRecord:
    """One CSV record exactly as read (cells not trimmed, not padded).

    ``row_number`` is 1-based and counts data records only: the header, the preamble
    and blank lines are not rows. ``line_number`` is the physical line (1-based) where
    the record starts; a quoted value with embedded newlines makes a record span lines.
    """

    row_number: int
    line_number: int
    values: list[str]


@dataclass(frozen=True, slots=True)
class RowIssue:
    """A problem with one row: ``error`` rejects the row, ``warning`` drops one field.

    ``field`` is the canonical field or custom column name, or None when the problem is
    the row's shape. ``raw`` is the row as read: header name -> value, plus any extra
    fields beyond the header as ``_extra_1``, ``_extra_2``...
    """

    row_number: int
    line_number: int
    severity: str
    field: str | None
    code: str
    message: str
    raw: dict[str, str]

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def is_warning(self) -> bool:
        return self.severity == WARNING


@dataclass(slots=True)
class CleanContact:
    """A row that passed validation, ready for the writer.

    ``email`` is trimmed and lower-cased. ``fields`` holds the other canonical fields
    that had a value (blanks omitted, so they never erase stored values), already
    normalised: phones in E.164, company_domain bare (``acme.com``), linkedin_url as
    ``https://www.linkedin.com/in/<slug>``. ``custom_fields`` maps the source column
    name of each unmapped column to its trimmed, non-empty value.
    """

    row_number: int
    line_number: int
    email: str
    fields: dict[str, str] = field(default_factory=dict)
    custom_fields: dict[str, str] = field(default_factory=dict)
