"""What an export file looks like: its columns, its header and the spreadsheet-safety rule.

Pure Python. The database streams the rows (``services.export_query`` turns these
column specs into SQL); this module decides which columns exist, their order,
the header line, file names and how a cell is made safe to open in a spreadsheet.

Formula-injection protection ("spreadsheet-safe", the default)
--------------------------------------------------------------
Following OWASP's CSV-injection guidance, a text cell whose first character is
``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed gets a leading
single quote (``'=1+2`` instead of ``=1+2``), so Excel, LibreOffice and Google
Sheets show it as text instead of evaluating it. In spreadsheet-safe files every
cell (and the header) is enclosed in double quotes, so no cell can break out of
its field whatever it contains.

Phone numbers: the import stores phones in E.164 (``+14155550100``), so applying
the rule blindly would rewrite the phone cell of most rows. A value of a phone
column that consists only of a ``+`` followed by digits and spaces
(``^\\+[0-9 ]+$``) is left alone: such a cell cannot be a formula (a spreadsheet
reads it as the number it is). Any other phone value starting with a trigger
character (``+1 (415) =cmd``, ``-5``, ``=HYPERLINK(...)``) is neutralised like any
text cell.

Numbers (employee_count, contact_count), UUIDs and timestamps come from typed
database columns and are never altered: they cannot carry a formula.

The ``raw`` option turns the rule off (and quotes only where CSV needs it), for
machine round-trips: a raw contacts export with the default columns re-imports
with no mapping and changes nothing.

Custom fields
-------------
Contacts' ``custom_fields`` are exported on request: a column ``custom.KEY``
holds the value of ``KEY``, and ``custom.*`` stands for every key present in the
exported rows (sorted). The header of a custom column is the bare key, so the
import keeps it as a custom field under the same name, unless the key collides
with another column's header, in which case the header stays ``custom.KEY``.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from typing import Final, Literal

from contact360_desktop.core.fields import COMPANY_FIELDS, CONTACT_FIELDS

ExportKind = Literal["contacts", "companies"]
EXPORT_KINDS: Final[tuple[str, ...]] = ("contacts", "companies")

#: How a column's values are produced, which decides whether the safety rule applies.
TEXT, PHONE, NUMBER, UUID, TIMESTAMP = "text", "phone", "number", "uuid", "timestamp"
#: Kinds whose cells go through the formula-injection rule.
NEUTRALISED_KINDS: Final[frozenset[str]] = frozenset({TEXT, PHONE})

#: First characters that make a spreadsheet evaluate a cell (OWASP CSV injection).
FORMULA_TRIGGERS: Final[str] = "=+-@\t\r\n"
#: A phone value that cannot be a formula although it starts with "+".
SAFE_PHONE_PATTERN: Final[str] = r"^\+[0-9 ]+$"
# \A...\Z: Python's "$" would also accept a trailing newline, PostgreSQL's does not.
_SAFE_PHONE = re.compile(r"\A\+[0-9 ]+\Z")

#: Prefix of a custom-field column (custom.KEY) and the "every key" wildcard.
CUSTOM_PREFIX: Final[str] = "custom."
ALL_CUSTOM: Final[str] = "custom.*"

#: gzip level 1: level 6 cost more than the whole export for a 19% smaller file.
GZIP_LEVEL: Final[int] = 1
UTF8_BOM: Final[bytes] = b"\xef\xbb\xbf"
#: Delimiters people ask for by name (CLI, settings files).
DELIMITER_NAMES: Final[dict[str, str]] = {
    "comma": ",",
    "semicolon": ";",
    "tab": "\t",
    "pipe": "|",
    "\\t": "\t",
}


class ExportFormatError(ValueError):
    """An export option or column the user gave cannot be used; the message says why."""


@dataclasses.dataclass(frozen=True)
class ColumnSpec:
    """One exported column: its stable name, the header cell, and the kind of its values."""

    name: str
    kind: str = TEXT
    header: str = ""

    @property
    def custom_key(self) -> str | None:
        return self.name[len(CUSTOM_PREFIX) :] if self.name.startswith(CUSTOM_PREFIX) else None

    @property
    def neutralised(self) -> bool:
        return self.kind in NEUTRALISED_KINDS


def _specs(*items: tuple[str, str]) -> dict[str, ColumnSpec]:
    return {name: ColumnSpec(name, kind, name) for name, kind in items}


_CONTACT_KINDS = {"phone": PHONE, "mobile_phone": PHONE}

#: Every column a contacts export can have: the canonical fields first, then relations and metadata.
CONTACT_COLUMNS: Final[dict[str, ColumnSpec]] = {
    **_specs(*((name, _CONTACT_KINDS.get(name, TEXT)) for name in CONTACT_FIELDS)),
    **_specs(
        ("company_website", TEXT),
        ("company_industry", TEXT),
        ("company_employee_count", NUMBER),
        ("company_city", TEXT),
        ("company_state", TEXT),
        ("company_country", TEXT),
        ("id", UUID),
        ("company_id", UUID),
        ("created_at", TIMESTAMP),
        ("updated_at", TIMESTAMP),
        ("created_by_job", UUID),
    ),
}

#: Every column a companies export can have.
COMPANY_COLUMNS: Final[dict[str, ColumnSpec]] = {
    **_specs(
        *((name, NUMBER if name in ("employee_count", "contact_count") else TEXT) for name in COMPANY_FIELDS)
    ),
    **_specs(("id", UUID), ("created_at", TIMESTAMP), ("updated_at", TIMESTAMP)),
}

#: The default header: canonical field names, so a contacts export re-imports with no mapping.
DEFAULT_COLUMNS: Final[dict[str, tuple[str, ...]]] = {"contacts": CONTACT_FIELDS, "companies": COMPANY_FIELDS}


def available_columns(kind: str) -> dict[str, ColumnSpec]:
    if kind == "contacts":
        return CONTACT_COLUMNS
    if kind == "companies":
        return COMPANY_COLUMNS
    raise ExportFormatError(f"Unknown export kind {kind!r}: choose contacts or companies")


def parse_column_list(text: str) -> list[str]:
    """``"email, first_name,custom.plan"`` -> ``["email", "first_name", "custom.plan"]``."""
    return [part.strip() for part in text.split(",") if part.strip()]


def check_columns(kind: str, names: Sequence[str] | None) -> list[str]:
    """Validate the user's column choice (order kept); ``None`` or empty means the default set."""
    known = available_columns(kind)
    if not names:
        return list(DEFAULT_COLUMNS[kind])
    unknown = [n for n in names if n not in known and not _is_custom(kind, n)]
    if unknown:
        choices = ", ".join(known)
        extra = f", {CUSTOM_PREFIX}KEY or {ALL_CUSTOM}" if kind == "contacts" else ""
        raise ExportFormatError(
            f"Unknown {kind} column(s): {', '.join(unknown)}. Available: {choices}{extra}"
        )
    duplicates = sorted({n for n in names if list(names).count(n) > 1})
    if duplicates:
        raise ExportFormatError(f"Column(s) listed more than once: {', '.join(duplicates)}")
    return list(names)


def _is_custom(kind: str, name: str) -> bool:
    return kind == "contacts" and name.startswith(CUSTOM_PREFIX) and len(name) > len(CUSTOM_PREFIX)


def needs_custom_keys(names: Iterable[str]) -> bool:
    """True when ``custom.*`` must be expanded with the keys present in the data."""
    return ALL_CUSTOM in names


def resolve_columns(kind: str, names: Sequence[str], custom_keys: Iterable[str] = ()) -> list[ColumnSpec]:
    """Column specs in the user's order; ``custom.*`` becomes one column per key (sorted)."""
    known = available_columns(kind)
    checked = check_columns(kind, names)
    explicit = {n for n in checked if n != ALL_CUSTOM}
    expanded: list[str] = []
    for name in checked:
        if name == ALL_CUSTOM:
            expanded.extend(
                CUSTOM_PREFIX + key for key in sorted(set(custom_keys)) if CUSTOM_PREFIX + key not in explicit
            )
        else:
            expanded.append(name)
    specs = [known.get(name) or ColumnSpec(name, TEXT, "") for name in expanded]
    taken = {spec.header for spec in specs if spec.custom_key is None}
    result = []
    for spec in specs:
        key = spec.custom_key
        if key is not None:
            # The bare key re-imports as a custom field of that name; keep the prefix on a clash.
            header = key if key not in taken else spec.name
            taken.add(header)
            spec = dataclasses.replace(spec, header=header)
        result.append(spec)
    return result


def neutralise(value: str | None, kind: str = TEXT) -> str | None:
    """The formula-injection rule for one cell (the SQL in services.export_query does the same)."""
    if value is None or kind not in NEUTRALISED_KINDS or not value or value[0] not in FORMULA_TRIGGERS:
        return value
    if kind == PHONE and _SAFE_PHONE.match(value):
        return value
    return "'" + value


@dataclasses.dataclass(frozen=True)
class FormatOptions:
    """How the bytes are laid out: delimiter, BOM, gzip, and whether the safety rule applies."""

    delimiter: str = ","
    bom: bool = False
    gzip: bool = False
    raw: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "delimiter", parse_delimiter(self.delimiter))

    @property
    def quote_all(self) -> bool:
        """Spreadsheet-safe files quote every cell (OWASP); raw files quote only where CSV needs it."""
        return not self.raw


def parse_delimiter(text: str) -> str:
    """A one-character delimiter, by character or by name (comma, semicolon, tab, pipe)."""
    delimiter = DELIMITER_NAMES.get(text.lower(), text) if text else text
    if len(delimiter) != 1 or delimiter in "\"'\r\n" or (delimiter.isalnum() and delimiter.isascii()):
        raise ExportFormatError(
            f"Delimiter must be one character such as , ; | or tab (not a quote, letter, digit or newline), got {text!r}"
        )
    return delimiter


def header_bytes(columns: Sequence[ColumnSpec], options: FormatOptions) -> bytes:
    """The first line of the file (with the BOM when asked), quoted the same way as the rows."""
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=options.delimiter,
        lineterminator="\n",
        quoting=csv.QUOTE_ALL if options.quote_all else csv.QUOTE_MINIMAL,
    )
    cells = [spec.header if options.raw else neutralise(spec.header) or "" for spec in columns]
    writer.writerow(cells)
    data = buffer.getvalue().encode("utf-8")
    return UTF8_BOM + data if options.bom else data


def default_file_name(kind: str, now: dt.datetime, gzip: bool) -> str:
    """``contacts-20240131-174501.csv`` (``.csv.gz`` when compressed), local time of ``now``."""
    return f"{kind}-{now:%Y%m%d-%H%M%S}.csv" + (".gz" if gzip else "")
