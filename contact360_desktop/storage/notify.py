"""Job change notifications: PostgreSQL NOTIFY on one channel, delivered at commit."""

from __future__ import annotations

import json
import uuid
from typing import Literal

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

#: LISTEN on this channel to learn of any job change (payload: {"kind", "id", "status"}).
JOB_CHANNEL = "contact360_jobs"

JobKind = Literal["import", "export"]


def notify_job(conn: Connection | Session, kind: JobKind, job_id: uuid.UUID | str, status: str) -> None:
    """Queue a notification in the caller's transaction; listeners see it when it commits."""
    payload = json.dumps({"kind": kind, "id": str(job_id), "status": status})
    conn.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": JOB_CHANNEL, "payload": payload})
