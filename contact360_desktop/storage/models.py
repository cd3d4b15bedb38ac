"""Typed SQLAlchemy 2 models. All timestamps are timezone-aware UTC."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from contact360_desktop.core.fields import COMPANY_LIMITS, FIELD_LIMITS, JOB_STATUSES

uuid_pk = Annotated[
    uuid.UUID, mapped_column(UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()"))
]
created_at = Annotated[dt.datetime, mapped_column(DateTime(timezone=True), server_default=func.now())]
updated_at = Annotated[
    dt.datetime, mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())
]
optional_ts = Annotated[dt.datetime | None, mapped_column(DateTime(timezone=True))]
counter = Annotated[int, mapped_column(BigInteger, server_default=text("0"), default=0)]
json_object = Annotated[dict[str, Any], mapped_column(JSONB, server_default=text("'{}'::jsonb"), default=dict)]

_STATUS_CHECK = "status IN (" + ", ".join(f"'{s}'" for s in JOB_STATUSES) + ")"


def _limited(field: str) -> Any:
    return mapped_column(String(FIELD_LIMITS[field]))


class Base(DeclarativeBase):
    pass


class Company(Base):
    __tablename__ = "companies"
    __table_args__ = (
        Index("uq_companies_domain", func.lower(text("domain")), unique=True),
        # Companies without a domain are identified by their name.
        Index(
            "uq_companies_name_without_domain",
            func.lower(text("name")),
            unique=True,
            postgresql_where=text("domain IS NULL"),
        ),
        Index("ix_companies_name", func.lower(text("name"))),
    )

    id: Mapped[uuid_pk]
    name: Mapped[str] = mapped_column(String(COMPANY_LIMITS["name"]))
    domain: Mapped[str | None] = mapped_column(String(COMPANY_LIMITS["domain"]))
    website: Mapped[str | None] = mapped_column(String(COMPANY_LIMITS["website"]))
    industry: Mapped[str | None] = mapped_column(String(COMPANY_LIMITS["industry"]))
    employee_count: Mapped[int | None] = mapped_column(Integer)
    city: Mapped[str | None] = _limited("city")
    state: Mapped[str | None] = _limited("state")
    country: Mapped[str | None] = _limited("country")
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        # email is COLLATE "C" (migration 0002): the index compares with memcmp, not strcoll.
        Index("uq_contacts_email", func.lower(text("email")), unique=True),
        Index("ix_contacts_company_id", "company_id"),
        Index("ix_contacts_name", func.lower(text("last_name")), func.lower(text("first_name"))),
        Index("ix_contacts_created", "created_at", "id"),
    )

    id: Mapped[uuid_pk]
    email: Mapped[str] = mapped_column(String(FIELD_LIMITS["email"], collation="C"))
    first_name: Mapped[str | None] = _limited("first_name")
    last_name: Mapped[str | None] = _limited("last_name")
    title: Mapped[str | None] = _limited("title")
    phone: Mapped[str | None] = _limited("phone")
    mobile_phone: Mapped[str | None] = _limited("mobile_phone")
    linkedin_url: Mapped[str | None] = _limited("linkedin_url")
    city: Mapped[str | None] = _limited("city")
    state: Mapped[str | None] = _limited("state")
    country: Mapped[str | None] = _limited("country")
    seniority: Mapped[str | None] = _limited("seniority")
    department: Mapped[str | None] = _limited("department")
    #: References companies.id; no FK (its per-row check dominated bulk imports). A trigger on
    #: companies keeps ON DELETE SET NULL (migration 0002).
    company_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    custom_fields: Mapped[json_object]
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]
    created_by_job: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class ImportJob(Base):
    __tablename__ = "contact_import_jobs"
    __table_args__ = (
        CheckConstraint(_STATUS_CHECK, name="ck_import_jobs_status"),
        Index("ix_import_jobs_user_created", "user_id", text("created_at DESC")),
        Index("ix_import_jobs_status", "status"),
    )

    id: Mapped[uuid_pk]
    user_id: Mapped[str] = mapped_column(String(200))
    file_name: Mapped[str] = mapped_column(Text)
    file_path: Mapped[str] = mapped_column(Text)
    file_size: Mapped[int] = mapped_column(BigInteger, default=0)
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    options: Mapped[json_object]
    status: Mapped[str] = mapped_column(String(20), server_default=text("'pending'"), default="pending")
    total_rows: Mapped[int | None] = mapped_column(BigInteger)
    processed_rows: Mapped[counter]
    inserted: Mapped[counter]
    updated: Mapped[counter]
    rejected: Mapped[counter]
    warnings: Mapped[counter]
    #: Where a resumed run starts: {"offset": bytes, "row": rows done, "line": physical line}.
    checkpoint: Mapped[json_object]
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    retries: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    #: Times the task layer's reaper re-delivered the job after its worker died (migration 0003).
    redeliveries: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    next_retry_at: Mapped[optional_ts]
    heartbeat_at: Mapped[optional_ts]
    task_id: Mapped[str | None] = mapped_column(String(64))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, server_default=text("false"), default=False)
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[created_at]
    started_at: Mapped[optional_ts]
    finished_at: Mapped[optional_ts]


class ImportError_(Base):
    """One rejected or warned row of an import (table ``contact_import_errors``)."""

    __tablename__ = "contact_import_errors"
    __table_args__ = (
        Index("ix_import_errors_job_row", "job_id", "row_number"),
        CheckConstraint("severity IN ('error', 'warning')", name="ck_import_errors_severity"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    job_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("contact_import_jobs.id", ondelete="CASCADE")
    )
    row_number: Mapped[int] = mapped_column(BigInteger)
    line_number: Mapped[int] = mapped_column(BigInteger)
    severity: Mapped[str] = mapped_column(String(10))
    field: Mapped[str | None] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(50))
    message: Mapped[str] = mapped_column(Text)
    raw: Mapped[Any] = mapped_column(JSONB)


class Export(Base):
    __tablename__ = "exports"
    __table_args__ = (
        CheckConstraint(_STATUS_CHECK, name="ck_exports_status"),
        CheckConstraint("kind IN ('contacts', 'companies')", name="ck_exports_kind"),
        Index("ix_exports_user_created", "user_id", text("created_at DESC")),
        Index("ix_exports_status", "status"),
    )

    id: Mapped[uuid_pk]
    user_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    #: The filter ({"search": ..., "country": ...}) or {"ids": true} when selection_ids holds the ids.
    selection: Mapped[json_object]
    #: Explicit selection, stored by reference here instead of passed to the task.
    selection_ids: Mapped[list[uuid.UUID] | None] = mapped_column(ARRAY(UUID(as_uuid=True)))
    columns: Mapped[list[str]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"), default=list)
    #: Format options: bom, delimiter, gzip, raw.
    options: Mapped[json_object]
    #: "local:<folder or file>" or "s3://bucket/key".
    destination: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), server_default=text("'pending'"), default="pending")
    total_rows: Mapped[int | None] = mapped_column(BigInteger)
    row_count: Mapped[counter]
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    path_or_key: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    retries: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    #: Times the task layer's reaper re-delivered the job after its worker died (migration 0003).
    redeliveries: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    next_retry_at: Mapped[optional_ts]
    heartbeat_at: Mapped[optional_ts]
    task_id: Mapped[str | None] = mapped_column(String(64))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, server_default=text("false"), default=False)
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[created_at]
    started_at: Mapped[optional_ts]
    finished_at: Mapped[optional_ts]


class MappingTemplate(Base):
    __tablename__ = "mapping_templates"

    id: Mapped[uuid_pk]
    name: Mapped[str] = mapped_column(String(200), unique=True)
    header_signature: Mapped[str] = mapped_column(String(64), index=True)
    mapping: Mapped[json_object]
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]


class WorkerProcess(Base):
    """A live worker process, refreshed by its heartbeat (monitoring API)."""

    __tablename__ = "worker_processes"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)  # "host:pid"
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    queues: Mapped[str] = mapped_column(String(200))
    current_task: Mapped[str | None] = mapped_column(String(200))
    current_job: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    task_started_at: Mapped[optional_ts]  # migration 0003
    rss_bytes: Mapped[int | None] = mapped_column(BigInteger)
    tasks_done: Mapped[counter]
    started_at: Mapped[created_at]
    heartbeat_at: Mapped[created_at]
