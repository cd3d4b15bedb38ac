"""Contacts and companies for export tests, written straight to the tables (committed)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, text

BASE_TIME = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)


def add_company(engine: Engine, name: str, **fields: Any) -> uuid.UUID:
    values = {"name": name, **fields}
    columns = ", ".join(values)
    params = ", ".join(f":{k}" for k in values)
    with engine.begin() as conn:
        return conn.execute(
            text(f"INSERT INTO companies ({columns}) VALUES ({params}) RETURNING id"), values
        ).scalar_one()


def add_contacts(engine: Engine, rows: Sequence[Mapping[str, Any]]) -> list[uuid.UUID]:
    """Insert contacts in order; created_at increases by a second per row unless given."""
    ids = []
    with engine.begin() as conn:
        for number, row in enumerate(rows):
            values = dict(row)
            values.setdefault("created_at", BASE_TIME + dt.timedelta(seconds=number))
            if "custom_fields" in values:
                values["custom_fields"] = json.dumps(values["custom_fields"])
            columns = ", ".join(values)
            params = ", ".join(f"CAST(:{k} AS jsonb)" if k == "custom_fields" else f":{k}" for k in values)
            ids.append(
                conn.execute(
                    text(f"INSERT INTO contacts ({columns}) VALUES ({params}) RETURNING id"), values
                ).scalar_one()
            )
    return ids


def add_many_contacts(engine: Engine, count: int, company_id: uuid.UUID | None = None) -> None:
    """``count`` generated contacts (set-based, for tests that need megabytes of CSV)."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO contacts (email, first_name, last_name, title, phone, city, country, company_id, created_at) "
                "SELECT 'bulk' || n || '@example.com', 'First' || n, 'Last' || md5(n::text), "
                "'Senior Engineer of Things ' || n, '+1415555' || lpad(n::text, 4, '0'), 'San Francisco', 'US', "
                ":company, :base + n * interval '1 millisecond' FROM generate_series(1, :count) AS n"
            ),
            {"count": count, "company": company_id, "base": BASE_TIME},
        )
