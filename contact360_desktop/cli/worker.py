"""`contact360 worker`: run a pool of worker processes for some queues (or, internally, one worker)."""

from __future__ import annotations

import argparse
import logging

from contact360_desktop.cli import CommandError
from contact360_desktop.settings import load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("worker", help="run task workers for the queues")
    parser.add_argument(
        "--queues", default="imports,exports,default", help="comma-separated queues, e.g. imports,exports"
    )
    parser.add_argument(
        "--workers",
        "--concurrency",
        dest="workers",
        type=int,
        default=None,
        help="worker processes (default: CONTACT360_WORKER_CONCURRENCY, 4)",
    )
    # Internal: the pool spawns each worker process with these.
    parser.add_argument("--process", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--parent-pid", type=int, default=0, help=argparse.SUPPRESS)
    parser.set_defaults(handler=_worker)


def _worker(args: argparse.Namespace) -> int:
    from contact360_desktop.tasks.config import TaskConfig
    from contact360_desktop.tasks.routing import parse_queues

    try:
        queues = parse_queues(args.queues)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if args.workers is not None and args.workers < 1:
        raise CommandError("--workers must be at least 1")
    settings = load_settings()
    config = TaskConfig.from_env()
    if args.process:
        from contact360_desktop.workers.process import run_worker_process

        return run_worker_process(settings, config, queues, args.parent_pid)

    from contact360_desktop.services.runtime import open_runtime
    from contact360_desktop.workers.pool import LocalPool

    logging.basicConfig(level=logging.INFO, format="%(asctime)s pool %(levelname)s %(message)s")
    open_runtime(settings)  # start or join the database and migrate before any worker needs it
    pool = LocalPool(settings, queues=queues, workers=args.workers, config=config)
    print(f"contact360 worker: {pool.size} process(es) for {', '.join(queues)}; Ctrl-C to stop", flush=True)
    return pool.run_forever()
