"""`contact360 status`: which database and broker, their versions, reachable or not."""

from __future__ import annotations

import argparse
import json

from contact360_desktop.settings import load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("status", help="show database, broker and worker status")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=_status)


def collect_status() -> dict[str, object]:
    from contact360_desktop.services.runtime import open_runtime
    from contact360_desktop.storage.db import server_version

    settings = load_settings()
    status: dict[str, object] = {
        "database": "embedded" if settings.uses_embedded_database else "server",
        "broker": "redis" if settings.uses_redis else "embedded",
    }
    try:
        runtime = open_runtime(settings)
        status.update(
            database_label=runtime.database_label,
            database_reachable=True,
            database_version=server_version(runtime.engine),
            broker_label=runtime.broker_label,
        )
    except Exception as exc:  # reported, not raised: status must work when things are down
        status.update(database_reachable=False, database_error=str(exc).splitlines()[0])
        return status
    try:
        from contact360_desktop.tasks.monitor import broker_status

        status.update(broker_status(runtime))
    except ImportError:
        status["broker_reachable"] = None
    return status


def _status(args: argparse.Namespace) -> int:
    status = collect_status()
    if args.json:
        print(json.dumps(status, default=str))
    else:
        for key, value in status.items():
            print(f"{key.replace('_', ' ')}: {value}")
    return 0 if status.get("database_reachable") else 1
