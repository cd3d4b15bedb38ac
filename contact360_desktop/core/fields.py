"""The canonical contact fields: mapping targets, export header, and their limits."""

from __future__ import annotations

from typing import Final

#: Canonical contact fields in export order (DESIGN.md "Names").
CONTACT_FIELDS: Final[tuple[str, ...]] = (
    "email",
    "first_name",
    "last_name",
    "title",
    "company_name",
    "company_domain",
    "phone",
    "mobile_phone",
    "linkedin_url",
    "city",
    "state",
    "country",
    "seniority",
    "department",
)

#: Maximum length in characters of each field; longer values reject the row.
FIELD_LIMITS: Final[dict[str, int]] = {
    "email": 254,
    "first_name": 100,
    "last_name": 100,
    "title": 200,
    "company_name": 200,
    "company_domain": 253,
    "phone": 50,
    "mobile_phone": 50,
    "linkedin_url": 500,
    "city": 100,
    "state": 100,
    "country": 100,
    "seniority": 100,
    "department": 100,
}

#: Limits of company columns that are not contact fields.
COMPANY_LIMITS: Final[dict[str, int]] = {
    "name": 200,
    "domain": 253,
    "website": 500,
    "industry": 200,
}

#: Canonical company export header.
COMPANY_FIELDS: Final[tuple[str, ...]] = (
    "name",
    "domain",
    "website",
    "industry",
    "employee_count",
    "city",
    "state",
    "country",
    "contact_count",
)

#: Job statuses (DESIGN.md).
PENDING, PROCESSING, COMPLETED, FAILED, CANCELLED = (
    "pending",
    "processing",
    "completed",
    "failed",
    "cancelled",
)
JOB_STATUSES: Final[tuple[str, ...]] = (PENDING, PROCESSING, COMPLETED, FAILED, CANCELLED)
FINISHED_STATUSES: Final[frozenset[str]] = frozenset({COMPLETED, FAILED, CANCELLED})

#: Row error severities.
ERROR, WARNING = "error", "warning"

#: Import modes.
MODE_UPSERT, MODE_INSERT, MODE_UPDATE = "upsert", "insert", "update"
IMPORT_MODES: Final[tuple[str, ...]] = (MODE_UPSERT, MODE_INSERT, MODE_UPDATE)
