"""Measure reading and validation speed of the import core (run by hand, not a test).

    /work/venv/bin/python -m tests.core.measure_speed [ROWS]

Writes ROWS realistic 14-field contacts (~2% bad rows, unique emails and phones) to a
temporary CSV, then times, on one core: reading (open_csv + records()), validation
alone (RowValidator.validate over records already in memory), and both together.
Times are this process's CPU time (the machine is shared; wall time would measure
the neighbours), so the numbers are rows per CPU-second.
"""

from __future__ import annotations

import csv
import gc
import os
import random
import sys
import tempfile
import time
import unicodedata

from contact360_desktop.core.fields import CONTACT_FIELDS
from contact360_desktop.core.reader import open_csv
from contact360_desktop.core.validation import RowValidator

FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "José", "Zoë"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Müller", "O'Neil"]
TITLES = ["CEO", "VP Sales", "Head of Marketing", "Software Engineer", "Account Executive", "CFO"]
COMPANIES = [(f"Company {i}", f"https://www.company{i}.com/about") for i in range(2000)]
CITIES = [("San Francisco", "CA"), ("New York", "NY"), ("Austin", "TX"), ("Chicago", "IL")]
SENIORITY = ["c_suite", "vp", "director", "manager", "senior", "entry"]
DEPARTMENTS = ["Sales", "Marketing", "Engineering", "Finance", "Operations"]


def realistic_row(i: int, rng: random.Random) -> list[str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    company, website = rng.choice(COMPANIES)
    city, state = rng.choice(CITIES)
    # Addresses are ASCII as in real exports (names keep their accents).
    local = unicodedata.normalize("NFKD", f"{first}.{last}{i}".lower()).encode("ascii", "ignore").decode()
    email = f"{local.replace(chr(39), '')}@company{i % 2000}.com"
    roll = rng.random()
    if roll < 0.01:
        email = ""
    elif roll < 0.02:
        email = email.replace("@", "@@")
    return [
        email,
        first,
        last,
        rng.choice(TITLES),
        company,
        website,
        f"({rng.randint(201, 989)}) {rng.randint(200, 999)}-{i % 10000:04d}",
        f"+1 {rng.randint(201, 989)} {rng.randint(200, 999)} {rng.randint(0, 9999):04d}",
        f"https://www.linkedin.com/in/{first.lower()}-{last.lower()}-{i}",
        city,
        state,
        "United States",
        rng.choice(SENIORITY),
        rng.choice(DEPARTMENTS),
    ]


def main(rows: int) -> None:
    rng = random.Random(7)
    fd, path = tempfile.mkstemp(suffix=".csv")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(CONTACT_FIELDS)
            for i in range(rows):
                writer.writerow(realistic_row(i, rng))
        size_mb = os.path.getsize(path) / 1e6

        start = time.process_time()
        with open_csv(path) as f:
            records = list(f.records())
            header = f.header
        read_s = time.process_time() - start

        gc.freeze()  # the 200k records in memory would otherwise be rescanned by every gen-2 collection
        validator = RowValidator(header)
        start = time.process_time()
        clean = rejected = warned = 0
        for record in records:
            contact, issues = validator.validate(record)
            if contact is None:
                rejected += 1
            else:
                clean += 1
                warned += bool(issues)
        validate_s = time.process_time() - start
        del records
        gc.unfreeze()

        start = time.process_time()
        with open_csv(path) as f:
            validator = RowValidator(f.header)
            for record in f.records():
                validator.validate(record)
        both_s = time.process_time() - start
    finally:
        os.unlink(path)
    print(
        f"{rows:,} rows, {size_mb:.1f} MB: {clean:,} clean, {rejected:,} rejected, {warned:,} with warnings"
    )
    print(f"read:            {rows / read_s:>10,.0f} rows/s")
    print(f"validate:        {rows / validate_s:>10,.0f} rows/s")
    print(f"read + validate: {rows / both_s:>10,.0f} rows/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
