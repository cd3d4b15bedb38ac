"""What the search index (ix_contacts_search_0/1, migrations 0005 to 0007) costs an import.

    CONTACT360_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/c360_bench_searchidx \\
        python bench/search_index_cost.py [--rows 200000] [--rounds 2]

For each round it imports the same generated file twice (fresh, then again: every row an
update) into a freshly migrated database WITHOUT the index and then into one WITH it,
alternating so that a busy machine skews both variants alike. Uses bench/import_benchmark.py
(the import runs in a child process through services.imports, as a worker would). The
database named in the URL is dropped and re-created; its name must contain "bench".
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.import_benchmark import _load, _recreate_database, timed_import  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    url = os.environ.get("CONTACT360_DATABASE_URL")
    if not url:
        raise SystemExit("set CONTACT360_DATABASE_URL to a PostgreSQL database whose name contains 'bench'")
    path = Path(f"/tmp/contact360-bench-{args.rows}.csv")
    if not path.exists():
        from bench.generate_contacts import generate

        print(f"generating {args.rows:,} rows into {path} ...", flush=True)
        generate(path, args.rows)
    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    results: dict[str, dict[str, list[float]]] = {}
    for round_ in range(args.rounds):
        for variant in ("without index", "with index"):
            _recreate_database(url)
            with psycopg.connect(dsn, autocommit=True) as conn:
                if variant == "without index":
                    conn.execute("DROP INDEX ix_contacts_search_0, ix_contacts_search_1")
                has = conn.execute("SELECT to_regclass('ix_contacts_search_0') IS NOT NULL").fetchone()
            assert has is not None and has[0] == (variant == "with index")
            times = results.setdefault(variant, {"fresh": [], "re-import": []})
            for phase in ("fresh", "re-import"):
                result = timed_import(url, path, phase, None)
                seconds = float(result["seconds"])  # type: ignore[arg-type]
                times[phase].append(seconds)
                print(
                    f"round {round_ + 1} {variant:<14} {phase:<9} {seconds:6.1f} s "
                    f"{args.rows / seconds:>9,.0f} rows/s   (load {result['load_before']} -> {_load()})",
                    flush=True,
                )
    print()
    for phase in ("fresh", "re-import"):
        without = statistics.median(results["without index"][phase])
        with_ = statistics.median(results["with index"][phase])
        print(
            f"{phase:<9} median without {without:6.1f} s, with {with_:6.1f} s: "
            f"{(with_ / without - 1):+.1%} import time with the search index"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
