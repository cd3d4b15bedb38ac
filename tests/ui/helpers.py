"""Helpers for the UI tests: bulk test data, job rows, screenshots."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

BASE_TIME = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def insert_contacts(
    engine: Engine, n: int, *, companies: int = 0, start: int = 0, null_names_every: int = 0
) -> None:
    """Insert ``n`` contacts (and ``companies`` companies they belong to) with COPY."""
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        company_ids = [uuid.uuid4() for _ in range(companies)]
        with conn.cursor() as cur:  # type: ignore[union-attr]
            if company_ids:
                with cur.copy("COPY companies (id, name, domain, industry, country) FROM STDIN") as copy:
                    for i, cid in enumerate(company_ids):
                        copy.write_row((cid, f"Company {i:04d}", f"company{i:04d}.example", "Software", "US"))
            with cur.copy(
                "COPY contacts (email, first_name, last_name, company_id, city, country, created_at) FROM STDIN"
            ) as copy:
                for j in range(start, start + n):
                    nulls = null_names_every and j % null_names_every == 0
                    copy.write_row(
                        (
                            f"person{j:07d}@example.com",
                            None if nulls else f"First{j % 97:02d}",
                            None if nulls else f"Last{j % 89:02d}",
                            company_ids[j % len(company_ids)] if company_ids else None,
                            "Berlin" if j % 2 else "Paris",
                            "DE" if j % 2 else "FR",
                            BASE_TIME + dt.timedelta(seconds=j),
                        )
                    )
        conn.commit()  # type: ignore[union-attr]
    finally:
        raw.close()
    with engine.begin() as c:
        c.execute(text("ANALYZE contacts"))
        c.execute(text("ANALYZE companies"))


def insert_import_job(engine: Engine, user: str = "tester", **values: Any) -> str:
    job_id = str(uuid.uuid4())
    row = {
        "id": job_id,
        "user_id": user,
        "file_name": values.pop("file_name", "people.csv"),
        "file_path": values.pop("file_path", "/tmp/people.csv"),
        "status": values.pop("status", "processing"),
        "total_rows": values.pop("total_rows", 1000),
        "processed_rows": values.pop("processed_rows", 0),
        "file_size": values.pop("file_size", 1234),
    }
    row.update(values)
    cols = ", ".join(row)
    params = ", ".join(f":{k}" for k in row)
    with engine.begin() as conn:
        conn.execute(text(f"INSERT INTO contact_import_jobs ({cols}) VALUES ({params})"), row)
    return job_id


def grab(widget: Any, artifacts: Path, name: str, size: tuple[int, int] | None = None) -> Path:
    """Save a PNG of the widget; ``size`` renders it larger than the offscreen screen (800x600)."""
    path = artifacts / f"{name}.png"
    if size is not None:
        widget.setMinimumSize(*size)
        widget.resize(*size)
    assert widget.grab().save(str(path)), f"could not save {path}"
    return path
