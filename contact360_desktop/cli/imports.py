"""`contact360 import FILE ...`: create an import job, queue it, optionally wait for it."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from contact360_desktop.cli import EXIT_FAILED, EXIT_OK, CommandError
from contact360_desktop.core.fields import COMPLETED, FINISHED_STATUSES, IMPORT_MODES, MODE_UPSERT

_POLL_SECONDS = 0.5


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("import", help="import a contacts CSV file")
    parser.add_argument("file", help="the CSV file")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--mapping", metavar="FILE.json", help='column mapping ({"Header": "field", ...})')
    source.add_argument("--template", metavar="NAME", help="use a saved mapping template")
    parser.add_argument("--encoding", help="file encoding (default: detected)")
    parser.add_argument("--delimiter", help="field delimiter (default: detected); \\t for tab")
    parser.add_argument("--mode", choices=IMPORT_MODES, default=MODE_UPSERT, help="default: upsert")
    parser.add_argument("--dry-run", action="store_true", help="validate and report; write no contacts")
    parser.add_argument("--wait", action="store_true", help="wait for the job and show its progress")
    parser.add_argument("--json", action="store_true", help="print the (final) job as one JSON object")
    parser.set_defaults(handler=_import)


def _read_mapping(path: str) -> dict[str, Any]:
    from contact360_desktop.core.errors import MappingError
    from contact360_desktop.core.mapping import ColumnMapping

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return ColumnMapping.from_json(data).to_json()
    except OSError as exc:
        raise CommandError(f"cannot read the mapping file: {exc}") from None
    except (ValueError, MappingError) as exc:
        raise CommandError(f"{path}: {exc}") from None


def _delimiter(value: str | None) -> str | None:
    if value is None:
        return None
    value = {"\\t": "\t", "tab": "\t"}.get(value, value)
    if len(value) != 1:
        raise CommandError(f"the delimiter must be one character, got {value!r}")
    return value


def _import(args: argparse.Namespace) -> int:
    from contact360_desktop.services.errors import PermanentJobError
    from contact360_desktop.services.imports import ImportRequest, create_import_job, get_job, job_summary
    from contact360_desktop.services.runtime import open_runtime
    from contact360_desktop.storage.db import session_scope

    if not Path(args.file).is_file():
        raise CommandError(f"no such file: {args.file}")
    mapping = _read_mapping(args.mapping) if args.mapping else None
    runtime = open_runtime()
    request = ImportRequest(
        path=args.file,
        mapping=mapping,
        template=args.template,
        encoding=args.encoding,
        delimiter=_delimiter(args.delimiter),
        mode=args.mode,
        dry_run=args.dry_run,
        phone_region=runtime.settings.phone_region,
        user=runtime.settings.user,
    )
    try:
        with session_scope(runtime.engine) as session:
            job_id = create_import_job(session, request).id
    except PermanentJobError as exc:
        raise CommandError(str(exc)) from None
    if not args.json:
        print(job_id, flush=True)
    status = start_job(runtime, job_id, wait=args.wait)
    if args.json:
        with session_scope(runtime.engine) as session:
            print(json.dumps(job_summary(get_job(session, job_id))))
    if not args.wait:
        return EXIT_OK
    return EXIT_OK if status == COMPLETED else EXIT_FAILED


def queue_function() -> Any:
    """THE switch: the task layer's ``enqueue_import`` when it is installed, else None
    (then ``--wait`` runs the import in this process). Tests patch this."""
    try:
        from contact360_desktop.tasks.dispatch import enqueue_import
    except ImportError:
        return None
    return enqueue_import


def start_job(runtime: Any, job_id: uuid.UUID, *, wait: bool) -> str | None:
    """Queue the job (or run it here without a task layer); the final status when waiting."""
    enqueue = queue_function()
    if enqueue is not None:
        enqueue(runtime.settings, job_id)
        if not wait:
            return None
        from contact360_desktop.cli._local_worker import worker_while_waiting

        with worker_while_waiting(runtime, "imports"):
            return _wait(runtime, job_id, None)
    if not wait:
        print("contact360: no task queue; the job stays pending (use --wait to run it now)", file=sys.stderr)
        return None
    from contact360_desktop.services.imports import run_import

    failure: list[BaseException] = []

    def run() -> None:
        try:
            run_import(runtime.engine, job_id, runtime.settings)
        except BaseException as exc:  # reported by the waiting thread
            failure.append(exc)

    worker = threading.Thread(target=run, name="import", daemon=True)
    worker.start()
    status = _wait(runtime, job_id, worker)
    if failure:
        raise failure[0]
    return status


def _wait(runtime: Any, job_id: uuid.UUID, worker: threading.Thread | None) -> str:
    """Poll the job row until it finishes; a progress bar on a terminal; Ctrl-C cancels."""
    from contact360_desktop.services.imports import get_job, request_cancel
    from contact360_desktop.storage.db import session_scope

    bar = ProgressBar() if sys.stderr.isatty() else None
    while True:
        try:
            with session_scope(runtime.engine) as session:
                job = get_job(session, job_id)
                status, done, total = job.status, job.processed_rows, job.total_rows
            if bar is not None:
                bar.show(done, total, status)
            if status in FINISHED_STATUSES and (worker is None or not worker.is_alive()):
                break
            if worker is not None and not worker.is_alive() and status not in FINISHED_STATUSES:
                break  # the in-process run raised; the caller re-raises it
            time.sleep(_POLL_SECONDS)
        except KeyboardInterrupt:
            with session_scope(runtime.engine) as session:
                request_cancel(session, job_id)
            print("\ncancelling at the next batch...", file=sys.stderr)
    if bar is not None:
        bar.close()
    if worker is not None:
        worker.join()
    return status


class ProgressBar:
    """A one-line progress bar on stderr, redrawn in place."""

    def __init__(self, width: int = 30) -> None:
        self.width = width
        self.started = time.monotonic()

    def show(self, done: int, total: int | None, status: str) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        if total:
            share = min(done / total, 1.0)
            filled = int(share * self.width)
            bar = "#" * filled + "-" * (self.width - filled)
            head = f"[{bar}] {share:4.0%} {done:,}/~{total:,}"
        else:
            head = f"{done:,} rows"
        sys.stderr.write(f"\r{head}  {done / elapsed:,.0f} rows/s  {status:<10}")
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()
