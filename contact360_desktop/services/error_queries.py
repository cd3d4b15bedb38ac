"""Keyset-paged queries over one import job's row errors (the error browser's data source).

Qt-free. Pages are ordered by ``(row_number, id)`` and continue after the last
key of the previous page, so the first page and the ten-thousandth cost the
same: nothing is ever counted or skipped with OFFSET on the way. Counting and
the list of fields are separate queries the caller runs when it can afford them.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from sqlalchemy import Select, Text, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from contact360_desktop.services.browse import escape_like
from contact360_desktop.storage.models import ImportError_

#: Default page size of :func:`error_page`.
PAGE_SIZE = 200


@dataclasses.dataclass(frozen=True)
class ErrorFilter:
    """What the error browser shows: a severity, a field, and a text to search for (all optional)."""

    severity: str | None = None
    field: str | None = None
    search: str | None = None

    def is_empty(self) -> bool:
        return not (self.severity or self.field or (self.search or "").strip())


@dataclasses.dataclass(frozen=True)
class ErrorRow:
    id: int
    row_number: int
    line_number: int
    severity: str
    field: str | None
    code: str
    message: str
    raw: dict[str, Any]

    @property
    def key(self) -> tuple[int, int]:
        """The keyset position of this row: pass it as ``after`` for the next page."""
        return (self.row_number, self.id)


def _as_uuid(job_id: uuid.UUID | str) -> uuid.UUID:
    return job_id if isinstance(job_id, uuid.UUID) else uuid.UUID(str(job_id))


def _filtered(stmt: Select[Any], job_id: uuid.UUID, flt: ErrorFilter) -> Select[Any]:
    stmt = stmt.where(ImportError_.job_id == job_id)
    if flt.severity:
        stmt = stmt.where(ImportError_.severity == flt.severity)
    if flt.field:
        stmt = stmt.where(ImportError_.field == flt.field)
    search = (flt.search or "").strip()
    if search:
        pattern = f"%{escape_like(search)}%"
        stmt = stmt.where(
            or_(
                ImportError_.message.ilike(pattern, escape="\\"),
                ImportError_.field.ilike(pattern, escape="\\"),
                ImportError_.code.ilike(pattern, escape="\\"),
                cast(ImportError_.raw, Text).ilike(pattern, escape="\\"),
            )
        )
    return stmt


def error_page(
    session: Session,
    job_id: uuid.UUID | str,
    flt: ErrorFilter | None = None,
    after: tuple[int, int] | None = None,
    limit: int = PAGE_SIZE,
) -> list[ErrorRow]:
    """Up to ``limit`` errors of the job in ``(row_number, id)`` order, after the key ``after``."""
    flt = flt or ErrorFilter()
    job = _as_uuid(job_id)
    stmt = _filtered(
        select(
            ImportError_.id,
            ImportError_.row_number,
            ImportError_.line_number,
            ImportError_.severity,
            ImportError_.field,
            ImportError_.code,
            ImportError_.message,
            ImportError_.raw,
        ),
        job,
        flt,
    )
    if after is not None:
        row, ident = after
        # Written so that ``row_number >= :row`` is an index condition on (job_id, row_number).
        stmt = stmt.where(
            and_(
                ImportError_.row_number >= row,
                or_(ImportError_.row_number > row, ImportError_.id > ident),
            )
        )
    stmt = stmt.order_by(ImportError_.row_number, ImportError_.id).limit(limit)
    return [
        ErrorRow(
            id=r.id,
            row_number=r.row_number,
            line_number=r.line_number,
            severity=r.severity,
            field=r.field,
            code=r.code,
            message=r.message,
            raw=r.raw if isinstance(r.raw, dict) else {},
        )
        for r in session.execute(stmt)
    ]


def count_errors(session: Session, job_id: uuid.UUID | str, flt: ErrorFilter | None = None) -> int:
    """How many errors match (a full count: run it in the background, after the first page)."""
    stmt = _filtered(select(func.count()).select_from(ImportError_), _as_uuid(job_id), flt or ErrorFilter())
    return int(session.execute(stmt).scalar_one())


def error_fields(session: Session, job_id: uuid.UUID | str) -> list[str]:
    """The distinct fields named by the job's errors, sorted (for the field filter)."""
    stmt = (
        select(ImportError_.field)
        .where(ImportError_.job_id == _as_uuid(job_id), ImportError_.field.is_not(None))
        .distinct()
        .order_by(ImportError_.field)
    )
    return [str(f) for f in session.execute(stmt).scalars()]
