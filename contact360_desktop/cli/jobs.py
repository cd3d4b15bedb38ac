"""`contact360 jobs`, `contact360 job ID`, `contact360 errors JOB_ID`: import jobs and their row errors."""

from __future__ import annotations

import argparse
import json
import uuid
from typing import Any

from contact360_desktop.cli import EXIT_OK, CommandError
from contact360_desktop.core.fields import ERROR, WARNING


def register(subparsers: argparse._SubParsersAction) -> None:
    jobs = subparsers.add_parser("jobs", help="list recent import jobs")
    jobs.add_argument("--limit", type=int, default=20)
    jobs.add_argument("--json", action="store_true", help="print a JSON list")
    jobs.set_defaults(handler=_jobs)

    job = subparsers.add_parser("job", help="show one import job")
    job.add_argument("job_id")
    job.add_argument("--json", action="store_true", help="print one JSON object")
    job.set_defaults(handler=_job)

    errors = subparsers.add_parser("errors", help="list or export the row errors of an import job")
    errors.add_argument("job_id")
    errors.add_argument("--severity", choices=(ERROR, WARNING))
    errors.add_argument("--csv", metavar="OUT", help="write a CSV to fix and re-import")
    errors.add_argument("--limit", type=int, default=200, help="rows to print (without --csv)")
    errors.set_defaults(handler=_errors)


def _job_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise CommandError(f"not a job id: {value!r}") from None


def _runtime() -> Any:
    from contact360_desktop.services.runtime import open_runtime

    return open_runtime()


def _jobs(args: argparse.Namespace) -> int:
    from contact360_desktop.services.imports import job_summary, list_jobs
    from contact360_desktop.storage.db import session_scope

    runtime = _runtime()
    with session_scope(runtime.engine) as session:
        summaries = [job_summary(j) for j in list_jobs(session, runtime.settings.user, args.limit)]
    if args.json:
        print(json.dumps(summaries))
        return EXIT_OK
    for s in summaries:
        print(
            f"{s['job_id']}  {s['status']:<10} {s['processed_rows']:>10,} rows  "
            f"+{s['inserted']:,} ~{s['updated']:,} !{s['rejected']:,}  {s['file_name']}"
        )
    if not summaries:
        print("No import jobs yet.")
    return EXIT_OK


def _job(args: argparse.Namespace) -> int:
    from contact360_desktop.services.errors import JobNotFound
    from contact360_desktop.services.imports import get_job, job_summary
    from contact360_desktop.storage.db import session_scope

    job_id = _job_id(args.job_id)
    try:
        with session_scope(_runtime().engine) as session:
            summary = job_summary(get_job(session, job_id))
    except JobNotFound as exc:
        raise CommandError(str(exc)) from None
    if args.json:
        print(json.dumps(summary))
    else:
        for key, value in summary.items():
            print(f"{key.replace('_', ' ')}: {value}")
    return EXIT_OK


def _errors(args: argparse.Namespace) -> int:
    from contact360_desktop.services.errors import JobNotFound
    from contact360_desktop.services.imports import error_page, export_errors_csv, get_job
    from contact360_desktop.storage.db import session_scope

    job_id = _job_id(args.job_id)
    try:
        with session_scope(_runtime().engine) as session:
            get_job(session, job_id)
            if args.csv:
                rows = export_errors_csv(session, job_id, args.csv, severity=args.severity)
                print(f"Wrote {rows:,} rows to {args.csv}")
                return EXIT_OK
            for err in error_page(session, job_id, severity=args.severity, limit=args.limit):
                field = f" {err.field}:" if err.field else ""
                print(
                    f"row {err.row_number} (line {err.line_number}) {err.severity} [{err.code}]{field} {err.message}"
                )
    except JobNotFound as exc:
        raise CommandError(str(exc)) from None
    return EXIT_OK
