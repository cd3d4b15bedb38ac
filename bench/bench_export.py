"""Export benchmark (run by hand; numbers go in the issue note).

    python bench/bench_export.py [--url postgresql://postgres@127.0.0.1:5432/c360_bench_export]
                                 [--contacts 1000000] [--reload] [--repeat 2]

Compares, in the same run and on the same rows:
- ``COPY (SELECT ... JOIN ...) TO STDOUT (FORMAT csv)`` into a local file, read with psycopg's
  Copy loop and with the export's libpq reader; the faster is the reference (the ceiling: no
  neutralisation, no quoting, no checksum, no progress, no fsync);
- services.exports.run_export with the defaults (spreadsheet-safe, ordered, sha256, progress,
  temp file + fsync + rename), plus gzip and raw variants;
- 100,000 explicit UUIDs (random order) against the same 100,000 rows chosen by a filter.
Every measurement runs in a fresh child process, so its peak RSS (ru_maxrss) is its own;
the safe export also runs on a quarter of the rows to show that memory stays flat.
Targets (issue 5): safe export >= 50% of the COPY rate, peak RSS <= 200 MB; ids >= 50% of filter.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/c360_bench_export"
SUBSET = 100_000
BASELINE_SELECT = (
    "SELECT c.email, c.first_name, c.last_name, c.title, co.name, co.domain, c.phone, c.mobile_phone, "
    "c.linkedin_url, c.city, c.state, c.country, c.seniority, c.department "
    "FROM contacts c LEFT JOIN companies co ON co.id = c.company_id"
)


def _rss_mb() -> float:
    """Peak RSS of this process (VmHWM). Not ru_maxrss: Linux keeps that across exec, so a child
    would report the bench parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_copy_baseline(url: str, out: Path, reader: str) -> dict[str, Any]:
    """The bare COPY into a local file, read with psycopg's Copy iterator or with the export's reader."""
    import psycopg

    from contact360_desktop.services.copy_stream import CopyOutReader
    from contact360_desktop.storage.db import libpq_dsn

    target = out / "baseline.csv"
    statement = f"COPY ({BASELINE_SELECT}) TO STDOUT (FORMAT csv)"
    with psycopg.connect(libpq_dsn(url)) as conn, open(target, "wb") as file:
        rss_before = _rss_mb()
        started = time.perf_counter()
        if reader == "libpq":
            copy_reader = CopyOutReader(conn, statement, 1 << 20)
            for chunk in copy_reader:
                file.write(chunk)
            rows = copy_reader.rows
        else:
            with conn.cursor() as cursor:
                with cursor.copy(statement) as copy:
                    buffer = bytearray()
                    for data in copy:
                        buffer += data
                        if len(buffer) >= 1 << 20:
                            file.write(buffer)
                            buffer = bytearray()
                    file.write(buffer)
                rows = cursor.rowcount
        seconds = time.perf_counter() - started
    size = target.stat().st_size
    target.unlink()
    return {
        "rows": rows,
        "seconds": seconds,
        "bytes": size,
        "rss_before_mb": rss_before,
        "peak_rss_mb": _rss_mb(),
    }


def child_export(url: str, export_id: str) -> dict[str, Any]:
    from contact360_desktop.services.exports import get_export, run_export
    from contact360_desktop.settings import Settings
    from contact360_desktop.storage.db import make_engine, session_scope

    settings = Settings(database_url=url, user="bench")
    engine = make_engine(url)
    with engine.connect():
        pass
    rss_before = _rss_mb()
    started = time.perf_counter()
    status = run_export(engine, export_id, settings)
    seconds = time.perf_counter() - started
    with session_scope(engine) as session:
        export = get_export(session, export_id)
        assert export is not None
        rows, size, path = export.row_count, export.size, export.path_or_key
    if path:
        Path(path).unlink()
    return {
        "status": status,
        "rows": rows,
        "seconds": seconds,
        "bytes": size,
        "rss_before_mb": rss_before,
        "peak_rss_mb": _rss_mb(),
    }


def run_child(*args: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"child {args[0]} failed:\n{result.stderr}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def create_export(url: str, out: Path, **request: Any) -> str:
    from contact360_desktop.services.exports import ExportRequest
    from contact360_desktop.services.exports import create_export as create
    from contact360_desktop.storage.db import make_engine, session_scope

    engine = make_engine(url)
    with session_scope(engine) as session:
        export_id = str(
            create(session, ExportRequest(destination=str(out) + "/", user="bench", **request)).id
        )
    engine.dispose()
    return export_id


def prepare_subset(url: str) -> tuple[list[uuid.UUID], str]:
    """Mark 100,000 random contacts with one import job id; return their ids (shuffled) and the job."""
    from sqlalchemy import text

    from contact360_desktop.storage.db import make_engine

    engine = make_engine(url)
    job = uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(text("UPDATE contacts SET created_by_job = NULL WHERE created_by_job IS NOT NULL"))
        ids = list(
            conn.execute(text("SELECT id FROM contacts ORDER BY random() LIMIT :n"), {"n": SUBSET}).scalars()
        )
        conn.execute(
            text("UPDATE contacts SET created_by_job = :job WHERE id = ANY(:ids)"), {"job": job, "ids": ids}
        )
        conn.execute(text("ANALYZE contacts"))
    engine.dispose()
    random.shuffle(ids)
    return ids, str(job)


def contact_count(url: str) -> int:
    from sqlalchemy import text

    from contact360_desktop.storage.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM contacts")).scalar_one())
    except Exception:
        return -1
    finally:
        engine.dispose()


def line(name: str, result: dict[str, Any], reference: float | None = None) -> str:
    rate = result["rows"] / result["seconds"]
    share = f"  {rate / reference:6.1%} of reference" if reference else ""
    return (
        f"{name:<34} {result['rows']:>9,} rows {result['seconds']:7.2f} s {rate:>10,.0f} rows/s "
        f"{result['bytes'] / 1e6:8.1f} MB  peak RSS {result['peak_rss_mb']:6.1f} MB "
        f"(before export {result['rss_before_mb']:5.1f}){share}"
    )


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return min(runs, key=lambda r: r["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--reload", action="store_true", help="reload the data even if the count matches")
    parser.add_argument("--repeat", type=int, default=2, help="runs per measurement; the fastest is shown")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "copy":
            result = child_copy_baseline(args.url, Path(rest[1]), rest[0])
        else:
            result = child_export(args.url, rest[0])
        print(json.dumps(result))
        return

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from export_data import ensure_database, load

    ensure_database(args.url)
    if args.reload or contact_count(args.url) != args.contacts:
        load(args.url, args.contacts)
    print(f"load before: {os.getloadavg()} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="c360-bench-") as tmp:
        out = Path(tmp)

        def repeat(make: Any) -> dict[str, Any]:
            return best([make() for _ in range(args.repeat)])

        copy_psycopg = repeat(lambda: run_child("copy", "psycopg", str(out)))
        copy_libpq = repeat(lambda: run_child("copy", "libpq", str(out)))
        print(line("COPY TO STDOUT, psycopg Copy loop", copy_psycopg))
        print(line("COPY TO STDOUT, libpq reader", copy_libpq))
        # The reference is the faster of the two: the rate COPY itself reaches on this machine.
        reference = max(r["rows"] / r["seconds"] for r in (copy_psycopg, copy_libpq))
        safe = repeat(lambda: run_child("export", create_export(args.url, out)))
        print(line("export, spreadsheet-safe (default)", safe, reference))
        raw = repeat(lambda: run_child("export", create_export(args.url, out, raw=True)))
        print(line("export, raw", raw, reference))
        packed = repeat(lambda: run_child("export", create_export(args.url, out, gzip=True)))
        print(line("export, safe + gzip level 1", packed, reference))
        # The data's created_at is 2024-01-01 + n seconds: the first quarter ends here.
        quarter_end = _iso_after_seconds(args.contacts // 4)
        quarter = run_child("export", create_export(args.url, out, filter={"created_to": quarter_end}))
        print(line("export, safe, first quarter", quarter))

        ids, job = prepare_subset(args.url)
        by_filter = repeat(
            lambda: run_child("export", create_export(args.url, out, filter={"import_job": job}))
        )
        by_ids = repeat(lambda: run_child("export", create_export(args.url, out, ids=ids)))
        print(line("100k rows by filter (import job)", by_filter))
        print(line("100k rows by explicit UUIDs", by_ids, by_filter["rows"] / by_filter["seconds"]))
    print(f"load after: {os.getloadavg()}")


def _iso_after_seconds(seconds: int) -> str:
    import datetime as dt

    return (dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=seconds)).isoformat()


if __name__ == "__main__":
    main()
