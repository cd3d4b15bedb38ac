"""`contact360 cancel JOB_ID`: cancel an import or export (now if pending, at the next batch if running)."""

from __future__ import annotations

import argparse

from contact360_desktop.cli import EXIT_FAILED, EXIT_OK, CommandError
from contact360_desktop.settings import load_settings

_MESSAGES = {
    "revoked": "cancelled (it had not started)",
    "cancel_requested": "cancel requested: it stops after the current batch",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("cancel", help="cancel an import or export job")
    parser.add_argument("job_id", help="the job id (see `contact360 jobs`)")
    parser.set_defaults(handler=_cancel)


def _cancel(args: argparse.Namespace) -> int:
    from contact360_desktop.services.errors import JobNotFound
    from contact360_desktop.services.runtime import open_runtime
    from contact360_desktop.tasks.dispatch import revoke_job

    settings = load_settings()
    open_runtime(settings)
    try:
        outcome = revoke_job(settings, args.job_id)
    except JobNotFound as exc:
        raise CommandError(str(exc)) from None
    if outcome in _MESSAGES:
        print(f"{args.job_id}: {_MESSAGES[outcome]}")
        return EXIT_OK
    print(f"{args.job_id}: already {outcome}, nothing to cancel")
    return EXIT_FAILED
