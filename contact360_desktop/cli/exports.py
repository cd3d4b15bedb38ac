"""`contact360 export contacts|companies ...`: create an export, run or queue it, report the result.

Exit codes: 0 completed (or queued without --wait), 1 failed or cancelled, 2 usage error.
``--json`` prints one object: export_id, status, row_count, path, size, sha256, message.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from contact360_desktop.cli import EXIT_FAILED, EXIT_OK, CommandError
from contact360_desktop.core.fields import COMPLETED, FINISHED_STATUSES

_POLL_SECONDS = 0.5
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export contacts or companies to CSV (a folder, a file or s3://bucket/key)",
        description="Export contacts or companies to CSV. Without --uuids or filters, everything is exported. "
        "Cells that a spreadsheet would run as formulas are neutralised unless --raw is given.",
    )
    parser.add_argument("kind", choices=("contacts", "companies"))
    parser.add_argument("--uuids", metavar="FILE", help="export these ids (one per line; - for stdin)")
    parser.add_argument("--search", metavar="TEXT", help="name, email or company contains TEXT")
    parser.add_argument("--company", metavar="NAME|DOMAIN|ID", help="only this company('s contacts)")
    parser.add_argument("--country", metavar="C", help="country equals C (case-insensitive)")
    parser.add_argument("--created-from", metavar="DATE", help="created on or after (2024-01-31 or ISO time)")
    parser.add_argument(
        "--created-to", metavar="DATE", help="created up to and including this day (or before a time)"
    )
    parser.add_argument("--import-job", metavar="ID", help="contacts created by this import job")
    parser.add_argument("--columns", metavar="a,b,c", help="columns in order (default: the canonical fields)")
    parser.add_argument(
        "--raw", action="store_true", help="no formula-injection protection (machine round trips)"
    )
    parser.add_argument("--bom", action="store_true", help="start with a UTF-8 BOM (Excel on Windows)")
    parser.add_argument("--gzip", action="store_true", help="compress (gzip level 1)")
    parser.add_argument("--delimiter", default=",", metavar="D", help="one character, or tab/semicolon/pipe")
    parser.add_argument(
        "--to",
        metavar="PATH|s3://bucket/key",
        help="a folder, a file, or S3 (default: Documents/Contact360 exports)",
    )
    parser.add_argument("--wait", action="store_true", help="wait for the export and show its progress")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the export in this process instead of on the exports queue",
    )
    parser.add_argument("--json", action="store_true", help="print the (final) export as one JSON object")
    parser.set_defaults(handler=_export)


def read_uuid_file(path: str) -> list[uuid.UUID]:
    """One id per line (first field of a CSV line; a header such as ``id`` and ``#`` comments are skipped)."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CommandError(f"cannot read the id file: {exc}") from None
    ids: list[uuid.UUID] = []
    for number, line in enumerate(text.splitlines(), start=1):
        field = re.split(r"[,;\t]", line, maxsplit=1)[0].strip().strip('"').strip()
        if not field or field.startswith("#"):
            continue
        if not _UUID.match(field):
            if not ids and field.lower() in ("id", "uuid", "contact_id", "company_id"):
                continue
            raise CommandError(f"{path}, line {number}: not a UUID: {field!r}")
        ids.append(uuid.UUID(field))
    return ids


def _request(args: argparse.Namespace, user: str) -> Any:
    from contact360_desktop.core.export_format import parse_column_list
    from contact360_desktop.services.exports import ExportRequest

    filters = {
        "search": args.search,
        "company": args.company,
        "country": args.country,
        "created_from": args.created_from,
        "created_to": args.created_to,
        "import_job": args.import_job,
    }
    return ExportRequest(
        kind=args.kind,
        ids=read_uuid_file(args.uuids) if args.uuids else None,
        filter={k: v for k, v in filters.items() if v},
        columns=parse_column_list(args.columns) if args.columns else None,
        bom=args.bom,
        delimiter=args.delimiter,
        gzip=args.gzip,
        raw=args.raw,
        destination=args.to,
        user=user,
    )


def _export(args: argparse.Namespace) -> int:
    from contact360_desktop.services.exports import InvalidExportRequest, create_export
    from contact360_desktop.services.runtime import open_runtime
    from contact360_desktop.storage.db import session_scope

    runtime = open_runtime()
    request = _request(args, runtime.settings.user)
    try:
        with session_scope(runtime.engine) as session:
            export_id = create_export(session, request).id
    except InvalidExportRequest as exc:
        raise CommandError(str(exc)) from None
    if use_queue(args):
        status = _queue_and_maybe_wait(runtime, export_id, wait=args.wait, quiet=args.json)
    else:
        status = _run_here(runtime, export_id, quiet=args.json)
    summary = _summary(runtime, export_id)
    if args.json:
        print(json.dumps(summary))
    elif status is None:
        print(f"Export {export_id} queued.")
    elif summary["message"]:
        print(summary["message"], file=sys.stdout if status == COMPLETED else sys.stderr)
    if status is None:
        return EXIT_OK
    return EXIT_OK if status == COMPLETED else EXIT_FAILED


def use_queue(args: argparse.Namespace) -> bool:
    """THE switch: exports go to the ``exports`` queue when the task layer (tasks/export_tasks.py)
    is installed, unless --in-process asks to run here; without it they always run in this process."""
    if args.in_process:
        return False
    return importlib.util.find_spec("contact360_desktop.tasks.export_tasks") is not None


def _run_here(runtime: Any, export_id: uuid.UUID, *, quiet: bool) -> str:
    """Run the export in this process (Ctrl-C cancels it at the next progress report)."""
    from contact360_desktop.services.errors import PermanentJobError
    from contact360_desktop.services.exports import mark_failed, request_cancel, run_export
    from contact360_desktop.storage.db import session_scope

    bar = _progress_bar(quiet)

    def on_progress(rows: int, total: int | None) -> None:
        if bar is not None:
            bar.show(rows, total, "processing")

    try:
        status = run_export(runtime.engine, export_id, runtime.settings, on_progress=on_progress)
    except PermanentJobError:
        status = "failed"  # already marked failed, with the message the summary shows
    except KeyboardInterrupt:
        with session_scope(runtime.engine) as session:
            request_cancel(session, export_id)
        raise
    except Exception as exc:  # no task layer to retry here: record why it stopped
        with session_scope(runtime.engine) as session:
            mark_failed(session, export_id, f"Failed: {exc.__class__.__name__}: {exc}")
        status = "failed"
    finally:
        if bar is not None:
            bar.close()
    return status


def _queue_and_maybe_wait(runtime: Any, export_id: uuid.UUID, *, wait: bool, quiet: bool) -> str | None:
    from contact360_desktop.tasks.dispatch import enqueue_export

    enqueue_export(runtime.settings, export_id)
    if not wait:
        return None
    from contact360_desktop.cli._local_worker import worker_while_waiting

    with worker_while_waiting(runtime, "exports", quiet=quiet):
        return _wait(runtime, export_id, quiet)


def _wait(runtime: Any, export_id: uuid.UUID, quiet: bool) -> str:
    """Poll the export row until it finishes; Ctrl-C asks the worker to cancel it."""
    from contact360_desktop.services.exports import get_export, request_cancel
    from contact360_desktop.storage.db import session_scope

    bar = _progress_bar(quiet)
    try:
        while True:
            try:
                with session_scope(runtime.engine) as session:
                    export = get_export(session, export_id)
                    assert export is not None
                    status, done, total = export.status, export.row_count, export.total_rows
                if bar is not None:
                    bar.show(done, total, status)
                if status in FINISHED_STATUSES:
                    return status
                time.sleep(_POLL_SECONDS)
            except KeyboardInterrupt:
                with session_scope(runtime.engine) as session:
                    request_cancel(session, export_id)
                print("\ncancelling...", file=sys.stderr)
    finally:
        if bar is not None:
            bar.close()


def _progress_bar(quiet: bool) -> Any:
    if quiet or not sys.stderr.isatty():
        return None
    from contact360_desktop.cli.imports import ProgressBar

    return ProgressBar()


def _summary(runtime: Any, export_id: uuid.UUID) -> dict[str, Any]:
    from contact360_desktop.services.exports import get_export
    from contact360_desktop.storage.db import session_scope

    with session_scope(runtime.engine) as session:
        export = get_export(session, export_id)
        assert export is not None
        return {
            "export_id": str(export.id),
            "status": export.status,
            "row_count": export.row_count,
            "path": export.path_or_key,
            "size": export.size,
            "sha256": export.sha256,
            "message": export.message,
        }
