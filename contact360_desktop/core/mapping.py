"""Which source column feeds which canonical field: auto-mapping, and the mapping as data.

Auto-mapping tries, per column: the exact field name, the name ignoring case, spaces,
punctuation and accents, the vendor synonym table (``synonyms``), then fuzzy matching
(rapidfuzz) above a confidence threshold. A column that matches nothing stays a custom
field (kept per contact by its header name). When several columns claim one field,
the most confident keeps it and the others stay custom, so no data is lost.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Final

from contact360_desktop.core import synonyms
from contact360_desktop.core.errors import FileRejected, MappingError
from contact360_desktop.core.fields import CONTACT_FIELDS

__all__ = [
    "CUSTOM",
    "FUZZY_THRESHOLD",
    "IGNORE",
    "TARGETS",
    "ColumnMapping",
    "ColumnTarget",
    "auto_map",
    "count_known_fields",
    "header_signature",
    "match_column",
    "normalize_header",
    "require_email",
]

#: Target of a column kept in ``custom_fields`` under its header name.
CUSTOM: Final = "custom"
#: Target of a column the user dropped.
IGNORE: Final = "ignore"
TARGETS: Final[tuple[str, ...]] = (*CONTACT_FIELDS, CUSTOM, IGNORE)

# How a column was matched (ColumnTarget.method).
EXACT: Final = "exact"
NORMALISED: Final = "normalised"
SYNONYM: Final = "synonym"
FUZZY: Final = "fuzzy"
LAYOUT: Final = "layout"  # a vendor layout rule decided (Outlook's "Title" is Mr./Dr.)
DUPLICATE: Final = "duplicate"  # matched a field another column matched better
UNMAPPED: Final = "unmapped"
USER: Final = "user"

#: rapidfuzz ``ratio`` score (0..100) a normalised header needs to fuzzily match a name.
FUZZY_THRESHOLD: Final = 85.0
_NORMALISED_CONFIDENCE: Final = 0.97
# Fuzzy matches rank below every synonym: at most 0.8 for a perfect-weight choice.
_FUZZY_SCALE: Final = 0.8
_FUZZY_MIN_LENGTH: Final = 4
_MAPPING_VERSION: Final = 1


def normalize_header(name: str) -> str:
    """``"E-mail Address "`` -> ``"emailaddress"``: case, accents, spaces, punctuation dropped."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum())


def _build_lookup() -> dict[str, tuple[str, float, str]]:
    lookup: dict[str, tuple[str, float, str]] = {}
    for field_name, names in synonyms.SYNONYMS.items():
        for name, weight in names:
            key = normalize_header(name)
            known = lookup.get(key)
            if known is not None and known[0] != field_name:
                raise AssertionError(f"synonym {name!r} claimed by {known[0]} and {field_name}")
            lookup[key] = (field_name, weight, SYNONYM)
    # Field names themselves win over synonyms that normalise the same way.
    for field_name in CONTACT_FIELDS:
        lookup[normalize_header(field_name)] = (field_name, _NORMALISED_CONFIDENCE, NORMALISED)
    return lookup


_LOOKUP: Final = _build_lookup()
_NOT_A_FIELD: Final = frozenset(normalize_header(name) for name in synonyms.NOT_A_FIELD)
_FUZZY_CHOICES: Final = tuple(_LOOKUP)
_JOB_TITLE_KEYS: Final = frozenset(normalize_header(n) for n in synonyms.JOB_TITLE_COLUMNS)
_HONORIFIC_KEYS: Final = frozenset(normalize_header(n) for n in synonyms.HONORIFIC_WHEN_JOB_TITLE)


@dataclass(frozen=True, slots=True)
class ColumnTarget:
    """Where one source column goes: a canonical field, ``CUSTOM`` or ``IGNORE``.

    ``confidence`` is 0..1 (1 for the user's own choice); ``method`` says how it was
    matched (exact, normalised, synonym, fuzzy, layout, duplicate, unmapped, user).
    """

    source: str
    target: str
    confidence: float = 1.0
    method: str = USER

    @property
    def is_field(self) -> bool:
        return self.target in CONTACT_FIELDS


@lru_cache(maxsize=4096)
def match_column(name: str) -> ColumnTarget:
    """The best canonical field for one header cell on its own (no layout context)."""
    if name in CONTACT_FIELDS:
        return ColumnTarget(name, name, 1.0, EXACT)
    key = normalize_header(name)
    if not key or key in _NOT_A_FIELD:
        return ColumnTarget(name, CUSTOM, 0.0, UNMAPPED)
    known = _LOOKUP.get(key)
    if known is not None:
        field_name, weight, method = known
        return ColumnTarget(name, field_name, weight, method)
    if len(key) >= _FUZZY_MIN_LENGTH:
        # Imported here: the import's reader processes unpickle mappings but never match (~4 MB each).
        from rapidfuzz import fuzz, process

        best = process.extractOne(key, _FUZZY_CHOICES, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD)
        if best is not None:
            choice, score, _ = best
            field_name, weight, _ = _LOOKUP[choice]
            confidence = round(_FUZZY_SCALE * score / 100 * weight / synonyms.PRIMARY, 3)
            return ColumnTarget(name, field_name, confidence, FUZZY)
    return ColumnTarget(name, CUSTOM, 0.0, UNMAPPED)


def count_known_fields(cells: Sequence[str]) -> int:
    """How many cells name a canonical field without guessing (no fuzzy matches).

    The reader uses it to find the header below a preamble.
    """
    count = 0
    for cell in cells:
        match = match_column(cell.strip())
        if match.is_field and match.method != FUZZY:
            count += 1
    return count


def _apply_layout_rules(columns: list[ColumnTarget]) -> list[ColumnTarget]:
    keys = [normalize_header(c.source) for c in columns]
    if _JOB_TITLE_KEYS.intersection(keys):
        # Outlook: "Title" holds Mr./Dr. when a "Job Title" column is present.
        columns = [
            ColumnTarget(c.source, CUSTOM, 0.9, LAYOUT) if key in _HONORIFIC_KEYS and c.method != USER else c
            for c, key in zip(columns, keys, strict=True)
        ]
    return columns


def _resolve_duplicates(columns: list[ColumnTarget]) -> list[ColumnTarget]:
    """Keep each canonical field on its most confident column (the leftmost on a tie)."""
    best: dict[str, int] = {}
    for index, column in enumerate(columns):
        if not column.is_field:
            continue
        holder = best.get(column.target)
        if holder is None or column.confidence > columns[holder].confidence:
            best[column.target] = index
    return [
        column
        if not column.is_field or best[column.target] == index
        else ColumnTarget(column.source, CUSTOM, 0.0, DUPLICATE)
        for index, column in enumerate(columns)
    ]


def auto_map(header: Sequence[str]) -> ColumnMapping:
    """Map every header cell, in order, to a canonical field or ``CUSTOM``."""
    columns = [match_column(name.strip()) for name in header]
    columns = [replace(c, source=name) for c, name in zip(columns, header, strict=True)]
    return ColumnMapping(tuple(_resolve_duplicates(_apply_layout_rules(columns))))


def header_signature(header: Sequence[str]) -> str:
    """64 hex chars identifying a header layout, to find a saved template for a file.

    The normalised names in file order: "First Name" and "first_name" sign alike,
    a re-ordered or renamed column does not.
    """
    joined = "\x1f".join(normalize_header(name) for name in header)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Per source column, in file order, its target. Plain data: see ``to_json``."""

    columns: tuple[ColumnTarget, ...]

    @property
    def sources(self) -> list[str]:
        return [c.source for c in self.columns]

    @property
    def targets(self) -> list[str]:
        return [c.target for c in self.columns]

    def field_columns(self) -> dict[str, int]:
        """canonical field -> index of the column feeding it."""
        return {c.target: i for i, c in enumerate(self.columns) if c.is_field}

    def source_for(self, field_name: str) -> str | None:
        index = self.field_columns().get(field_name)
        return None if index is None else self.columns[index].source

    @property
    def has_email(self) -> bool:
        return any(c.target == "email" for c in self.columns)

    def with_target(self, column: int | str, target: str) -> ColumnMapping:
        """The user's choice for one column (by index or source name).

        A canonical field the column takes is released by whichever column held it,
        which becomes a custom field.
        """
        _check_target(target)
        index = column if isinstance(column, int) else self.sources.index(column)
        columns = list(self.columns)
        if target in CONTACT_FIELDS:
            columns = [
                ColumnTarget(c.source, CUSTOM, 0.0, DUPLICATE) if c.target == target and i != index else c
                for i, c in enumerate(columns)
            ]
        columns[index] = ColumnTarget(columns[index].source, target, 1.0, USER)
        return ColumnMapping(tuple(columns))

    def resolve(self, header: Sequence[str]) -> ColumnMapping:
        """This mapping applied to a file's actual header.

        Columns are matched by position when the name agrees, else by name (exact,
        then normalised); header columns the mapping does not mention are auto-mapped.
        So a saved template or a hand-written ``{"Email Address": "email"}`` file
        works on a header with extra or re-ordered columns.
        """
        if list(header) == self.sources:
            return self
        by_name: dict[str, list[ColumnTarget]] = {}
        by_key: dict[str, list[ColumnTarget]] = {}
        for c in self.columns:
            by_name.setdefault(c.source, []).append(c)
            by_key.setdefault(normalize_header(c.source), []).append(c)
        used: set[int] = set()
        columns: list[ColumnTarget] = []
        for name in header:
            chosen = _take(by_name.get(name, []), used) or _take(by_key.get(normalize_header(name), []), used)
            if chosen is None:
                columns.append(replace(match_column(name.strip()), source=name))
            else:
                columns.append(replace(chosen, source=name))
        return ColumnMapping(tuple(_resolve_duplicates(_apply_layout_rules(columns))))

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-compatible data (store it in a JSONB column or ``json.dumps`` it)."""
        return {
            "version": _MAPPING_VERSION,
            "columns": [
                {"source": c.source, "target": c.target, "confidence": c.confidence, "method": c.method}
                for c in self.columns
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | str | bytes) -> ColumnMapping:
        """Read ``to_json()`` output, or a JSON text of it, or a simple ``{"Header": "target"}``."""
        if isinstance(data, str | bytes):
            try:
                data = json.loads(data)
            except ValueError as exc:
                raise MappingError(f"the mapping is not valid JSON: {exc}") from None
        if not isinstance(data, Mapping):
            raise MappingError("a mapping must be a JSON object")
        if "columns" in data and "version" in data:
            entries = data["columns"]
            if not isinstance(entries, list):
                raise MappingError('"columns" must be a list')
            columns = []
            for entry in entries:
                if not isinstance(entry, Mapping) or not isinstance(entry.get("source"), str):
                    raise MappingError('each column needs a "source" name and a "target"')
                target = _check_target(entry.get("target"))
                columns.append(
                    ColumnTarget(
                        entry["source"],
                        target,
                        float(entry.get("confidence", 1.0)),
                        str(entry.get("method", USER)),
                    )
                )
            return cls(tuple(columns))
        columns = [
            ColumnTarget(str(source), _check_target(target), 1.0, USER) for source, target in data.items()
        ]
        return cls(tuple(columns))


def _take(candidates: list[ColumnTarget], used: set[int]) -> ColumnTarget | None:
    for candidate in candidates:
        if id(candidate) not in used:
            used.add(id(candidate))
            return candidate
    return None


def _check_target(target: object) -> str:
    if not isinstance(target, str) or target not in TARGETS:
        raise MappingError(f"unknown mapping target {target!r}; use one of: {', '.join(TARGETS)}")
    return target


def require_email(mapping: ColumnMapping) -> None:
    """Raise FileRejected unless some column maps to email (the contact's key)."""
    if not mapping.has_email:
        shown = ", ".join(f'"{s}"' for s in mapping.sources[:12])
        more = "" if len(mapping.sources) <= 12 else f" and {len(mapping.sources) - 12} more"
        raise FileRejected(
            f"No column holds the email address (columns: {shown}{more}). "
            'Every contact needs an email: map one column to email, or add an "Email" column.'
        )
