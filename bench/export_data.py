"""Load N contacts (and N/20 companies) into a bench database with COPY, for bench_export.py.

Run by hand: ``python bench/export_data.py postgresql://postgres@127.0.0.1:5432/c360_bench_export 1000000``.
The database is created and migrated when missing; contacts and companies are replaced.
Values look like real data: half the phones are E.164 (+...), 1% of names start with a
formula trigger, some contacts carry custom fields, 5% have no company.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import time
import uuid

import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from contact360_desktop.storage import migrate
from contact360_desktop.storage.db import libpq_dsn, make_engine

FIRST = ["Ann", "Bob", "Chloé", "Dmitri", "Eve", "Farid", "Grace", "Hiro", "Ines", "José", "Kofi", "Lena"]
LAST = ["Lee", "Stone", "Müller", "O'Neil", "García", "Nakamura", "Okafor", "Svensson", "Dubois", "Rossi"]
TITLES = ["CEO", "VP Sales", "Head of Data", "Engineer", "Account Executive", "CFO", "Product Manager"]
CITIES = [
    ("San Francisco", "CA", "US"),
    ("Berlin", "BE", "DE"),
    ("Paris", "IDF", "FR"),
    ("Austin", "TX", "US"),
]
INDUSTRIES = ["Software", "Energy", "Retail", "Banking", "Logistics", "Health"]
NASTY = ["=1+2", "-minus", "+plus", "@at"]
BASE_TIME = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def ensure_database(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}
        ).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()


def _tsv(value: object) -> str:
    if value is None:
        return "\\N"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def load(url: str, contacts: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    companies = max(contacts // 20, 1)
    company_ids = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(companies)]
    started = time.perf_counter()
    with psycopg.connect(libpq_dsn(url)) as conn:
        conn.execute("TRUNCATE contacts, companies CASCADE")
        with conn.cursor().copy(
            "COPY companies (id, name, domain, website, industry, employee_count, city, state, country) FROM STDIN"
        ) as copy:
            for n, cid in enumerate(company_ids):
                city, state, country = CITIES[n % len(CITIES)]
                company_row = (
                    cid,
                    f"Company {n}",
                    f"company{n}.com",
                    f"https://company{n}.com",
                    INDUSTRIES[n % 6],
                    rng.randint(1, 50_000),
                    city,
                    state,
                    country,
                )
                copy.write("\t".join(map(_tsv, company_row)) + "\n")
        with conn.cursor().copy(
            "COPY contacts (id, email, first_name, last_name, title, phone, mobile_phone, linkedin_url, city, state, "
            "country, seniority, department, company_id, custom_fields, created_at) FROM STDIN"
        ) as copy:
            batch = []
            for n in range(contacts):
                first = rng.choice(FIRST) if rng.random() > 0.01 else rng.choice(NASTY)
                last = rng.choice(LAST)
                city, state, country = rng.choice(CITIES)
                phone = f"+1415{n % 10_000_000:07d}" if n % 2 else f"(415) 555-{n % 10_000:04d}"
                custom = (
                    json.dumps({"plan": rng.choice(["free", "pro"]), "score": str(n % 100)})
                    if n % 5 == 0
                    else "{}"
                )
                row: tuple[object, ...] = (
                    uuid.UUID(int=rng.getrandbits(128), version=4),
                    f"user{n}@example{n % 1000}.com",
                    first,
                    last,
                    rng.choice(TITLES),
                    phone,
                    f"+4915{n:09d}" if n % 3 == 0 else None,
                    f"https://www.linkedin.com/in/user{n}",
                    city,
                    state,
                    country,
                    "senior",
                    "Sales",
                    None if n % 20 == 0 else company_ids[n % companies],
                    custom,
                    (BASE_TIME + dt.timedelta(seconds=n)).isoformat(),
                )
                batch.append("\t".join(map(_tsv, row)))
                if len(batch) == 10_000:
                    copy.write("\n".join(batch) + "\n")
                    batch.clear()
            if batch:
                copy.write("\n".join(batch) + "\n")
        conn.commit()
    with psycopg.connect(libpq_dsn(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE contacts")
        conn.execute("VACUUM ANALYZE companies")
    print(
        f"loaded {contacts:,} contacts and {companies:,} companies in {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    url = sys.argv[1] if len(sys.argv) > 1 else "postgresql://postgres@127.0.0.1:5432/c360_bench_export"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    ensure_database(url)
    load(url, count)
