"""Import benchmark: raw COPY vs a fresh import vs a re-import of the same file.

    CONTACT360_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/c360_bench \\
        python bench/import_benchmark.py [--rows 1000000] [--file contacts.csv] [--py-spy DIR]

The database named in the URL is dropped and created again (its name must contain
"bench"). Each import runs in a child process (as a worker would), so its peak RSS is
its own; the raw COPY streams the same file into an unindexed text table on the same
server in the same run, twice: into a table of one text column per header column (FORMAT
csv, the issue's reference) and each line into one text column (cheaper). Prints one
line per phase and the ratios the issue asks for (each COPY reference is the median of
three runs: a single one swings by half from run to run); the peak RSS of the importer
and of its reader child process are printed apart and together.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


#: Runs of each raw COPY reference (the median is the reference).
COPY_RUNS = 3


def _runs(seconds: list[float]) -> str:
    return ", ".join(f"{s:.2f}" for s in seconds) + " s"


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _recreate_database(url: str) -> None:
    from sqlalchemy.engine import make_url

    from contact360_desktop.storage import migrate
    from contact360_desktop.storage.db import make_engine

    name = make_url(url).database or ""
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    admin = make_url(url).set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()


def _timed_copy(dsn: str, path: Path, columns: sql.Composable, options: str) -> float:
    """Seconds to COPY the file's bytes into a new unindexed table ``bench_raw (columns)``."""
    with psycopg.connect(dsn) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_raw")
        conn.execute(sql.SQL("CREATE TABLE bench_raw ({})").format(columns))
        conn.commit()
        started = time.perf_counter()
        with (
            conn.cursor() as cur,
            path.open("rb") as fh,
            cur.copy(f"COPY bench_raw FROM STDIN ({options})") as copy,
        ):
            while chunk := fh.read(1 << 20):
                copy.write(chunk)
        conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE bench_raw")
        conn.commit()
    return elapsed


def raw_copy(dsn: str, path: Path) -> float:
    """Seconds to COPY the file into an unindexed text table, as it is.

    One text column per physical line (delimiter and quote set to bytes the file never
    holds): the bad rows with extra cells would stop a per-column CSV COPY, and this
    is the cheaper COPY of the two, so the ratio it gives is a conservative one.
    """
    options = "FORMAT csv, HEADER true, DELIMITER E'\\x01', QUOTE E'\\x02'"
    return _timed_copy(dsn, path, sql.SQL("line text"), options)


def per_column_input(path: Path) -> tuple[Path, list[str], int]:
    """The file without its records of another width than the header, for a per-column COPY.

    Written once, untimed. Returns (path, header, records left out): the generator's rows
    with extra cells would stop ``COPY ... (FORMAT csv)`` ("extra data after last expected
    column"), so the reference leaves them out -- of its input only; the imports read
    the whole file.
    """
    out = path.with_name(path.stem + ".per-column.csv")
    left_out = 0
    with path.open(newline="", encoding="utf-8") as src, out.open("w", newline="", encoding="utf-8") as dst:
        reader, writer = csv.reader(src), csv.writer(dst)
        header = next(reader)
        writer.writerow(header)
        for row in reader:
            if len(row) == len(header):
                writer.writerow(row)
            else:
                left_out += 1
    return out, header, left_out


def raw_copy_columns(dsn: str, path: Path, header: list[str]) -> float:
    """Seconds to COPY a CSV into an unindexed table of one text column per header column.

    The issue's reference ("a raw COPY ... FROM STDIN of the same file into an unindexed
    text table"): the server parses the CSV and forms a tuple of every column.
    """
    columns = sql.SQL(", ").join(
        sql.SQL("{} text").format(sql.Identifier(f"c{i}")) for i in range(len(header))
    )
    return _timed_copy(dsn, path, columns, "FORMAT csv, HEADER true")


def run_child(job_id: str) -> None:
    """In the child: run the import, print {"seconds", "max_rss_mb", "rss_samples_mb"}."""
    import psutil

    from contact360_desktop.services.imports import run_import
    from contact360_desktop.settings import load_settings
    from contact360_desktop.storage.db import get_engine

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="  %(message)s")
    settings = load_settings()
    engine = get_engine(settings)
    samples: list[float] = []
    total_samples: list[float] = []  # this process and its reader children together
    done = threading.Event()

    def sample() -> None:
        proc = psutil.Process()
        while not done.wait(1.0):
            own = proc.memory_info().rss / 2**20
            kids = 0.0
            for child in proc.children():
                try:
                    kids += child.memory_info().rss / 2**20
                except psutil.Error:
                    pass
            samples.append(own)
            total_samples.append(own + kids)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    status = run_import(engine, job_id, settings)
    seconds = time.perf_counter() - started
    done.set()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the reader processes (CPU summed, RSS the max)
    result = {
        "status": status,
        "seconds": seconds,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "max_rss_mb": usage.ru_maxrss / 1024,
        "child_cpu_s": children.ru_utime + children.ru_stime,
        "child_max_rss_mb": children.ru_maxrss / 1024,
        "rss_samples_mb": samples,
        "total_rss_samples_mb": total_samples,
    }
    print(json.dumps(result))


def _watch_backends(url: str, child: subprocess.Popen[str]) -> float:
    """CPU seconds used by the server backends of the child's connections (sampled twice a second).

    Backends are found by the application_name the app sets ("contact360:<pid>"); the
    last sample of each is kept, so up to half a second of a backend's end is missed.
    """
    import psutil

    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    seen: dict[int, float] = {}
    with psycopg.connect(dsn, autocommit=True) as conn:
        while child.poll() is None:
            name = f"contact360:{child.pid}"
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (name,)
            ).fetchall()
            for (pid,) in rows:
                try:
                    times = psutil.Process(pid).cpu_times()
                    seen[pid] = times.user + times.system
                except psutil.Error:
                    pass
            time.sleep(0.5)
    return sum(seen.values())


def timed_import(url: str, path: Path, label: str, py_spy: Path | None) -> dict[str, object]:
    from contact360_desktop.services.imports import ImportRequest, create_import_job, get_job, job_summary
    from contact360_desktop.storage.db import make_engine, session_scope

    engine = make_engine(url)
    with session_scope(engine) as session:
        job_id = str(create_import_job(session, ImportRequest(path=path, user="bench")).id)
    # Run by -c, not as a script: the reader processes (spawned) re-import a __main__ file, and this
    # one's imports (psycopg, ~20 MB) would then weigh on them as a worker's __main__ does not.
    code = "import sys; from bench.import_benchmark import run_child; run_child(sys.argv[1])"
    cmd = [sys.executable, "-c", code, job_id]
    if py_spy is not None:
        spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        out = py_spy / f"{label}.svg"
        cmd = [spy, "record", "--threads", "--idle", "-r", "50", "-o", str(out), "--", *cmd]
    load_before = _load()
    child = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    backend_cpu = _watch_backends(url, child)
    stdout, stderr = child.communicate()
    sys.stderr.write(stderr)
    if child.returncode != 0:
        raise SystemExit(f"{label} failed ({child.returncode})")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["backend_cpu_s"] = backend_cpu
    with session_scope(engine) as session:
        result["job"] = job_summary(get_job(session, job_id))
    engine.dispose()
    result["load_before"], result["load_after"] = load_before, _load()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--file", type=Path, help="CSV to import (generated when missing)")
    parser.add_argument("--py-spy", type=Path, metavar="DIR", help="record flame graphs of each import here")
    args = parser.parse_args(argv)

    url = os.environ.get("CONTACT360_DATABASE_URL")
    if not url:
        raise SystemExit("set CONTACT360_DATABASE_URL to a PostgreSQL database whose name contains 'bench'")
    path = args.file or Path(f"/tmp/contact360-bench-{args.rows}.csv")
    if not path.exists():
        from bench.generate_contacts import generate

        print(f"generating {args.rows:,} rows into {path} ...", flush=True)
        generate(path, args.rows)
    if args.py_spy:
        args.py_spy.mkdir(parents=True, exist_ok=True)
    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    _recreate_database(url)
    rows = args.rows
    print(
        f"file {path} ({path.stat().st_size / 1e6:.0f} MB, {rows:,} rows); load avg before: {_load()}",
        flush=True,
    )

    columns_path, header, left_out = per_column_input(path)
    columns_rows = rows - left_out
    # A COPY takes 1-3 s and swings by half from run to run (a checkpoint, WAL recycling):
    # each reference is the median of COPY_RUNS runs, all of them printed.
    columns_runs = [raw_copy_columns(dsn, columns_path, header) for _ in range(COPY_RUNS)]
    columns_s = statistics.median(columns_runs)
    columns_path.unlink()
    print(
        f"raw COPY, one text column per header column (FORMAT csv)  {columns_s:7.1f} s  "
        f"{columns_rows / columns_s:>9,.0f} rows/s   (median of {_runs(columns_runs)}; load {_load()}; "
        f"its input leaves out the {left_out:,} records with extra cells, which COPY cannot take)",
        flush=True,
    )
    copy_runs = [raw_copy(dsn, path) for _ in range(COPY_RUNS)]
    copy_s = statistics.median(copy_runs)
    print(
        f"raw COPY, each line into one text column                  {copy_s:7.1f} s  "
        f"{rows / copy_s:>9,.0f} rows/s   (median of {_runs(copy_runs)}; load {_load()})",
        flush=True,
    )
    columns_rate, copy_rate = columns_rows / columns_s, rows / copy_s
    fresh = timed_import(url, path, "fresh", args.py_spy)
    fresh_s = float(fresh["seconds"])  # type: ignore[arg-type]
    print(
        f"fresh import  {fresh_s:7.1f} s  {rows / fresh_s:>9,.0f} rows/s   peak RSS {fresh['max_rss_mb']:.0f} MB"
        f"   (load {fresh['load_before']} -> {fresh['load_after']})",
        flush=True,
    )
    again = timed_import(url, path, "reimport", args.py_spy)
    again_s = float(again["seconds"])  # type: ignore[arg-type]
    print(
        f"re-import     {again_s:7.1f} s  {rows / again_s:>9,.0f} rows/s   peak RSS {again['max_rss_mb']:.0f} MB"
        f"   (load {again['load_before']} -> {again['load_after']})",
        flush=True,
    )
    fresh_rate = rows / fresh_s
    print(f"fresh / raw COPY (per column) = {fresh_rate / columns_rate:.1%}")
    print(f"fresh / raw COPY (one column per line) = {fresh_rate / copy_rate:.1%}")
    for label, result in (("fresh", fresh), ("re-import", again)):
        job = result["job"]
        assert isinstance(job, dict)
        print(
            f"{label}: {job['status']}, inserted {job['inserted']:,}, updated {job['updated']:,}, "
            f"rejected {job['rejected']:,}, warnings {job['warnings']:,}"
        )
        print(
            f"{label} CPU: importer process {result['cpu_s']:.1f} s, its reader processes "
            f"{result['child_cpu_s']:.1f} s, its PostgreSQL backends {result['backend_cpu_s']:.1f} s "
            f"(wall {result['seconds']:.1f} s)"
        )
        print(
            f"{label} peak RSS: importer {result['max_rss_mb']:.0f} MB, largest reader process "
            f"{result['child_max_rss_mb']:.0f} MB, importer and readers together (sampled) "
            f"{max(result['total_rss_samples_mb'] or [0]):.0f} MB"  # type: ignore[arg-type]
        )
        samples = result["rss_samples_mb"]
        assert isinstance(samples, list)
        if samples:
            print(
                f"{label} RSS samples (MB): min {min(samples):.0f}, median {sorted(samples)[len(samples) // 2]:.0f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
