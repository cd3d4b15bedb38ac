"""`contact360 db upgrade|current`."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("db", help="database schema commands")
    actions = parser.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    actions.add_parser("upgrade", help="apply pending migrations (idempotent)").set_defaults(handler=_upgrade)
    actions.add_parser("current", help="print the schema revision").set_defaults(handler=_current)


def _upgrade(args: argparse.Namespace) -> int:
    # Imported here: every command (the GUI too) loads this module, and Alembic is slow to import.
    from contact360_desktop.services.runtime import open_runtime
    from contact360_desktop.storage import migrate

    runtime = open_runtime(upgrade=False)
    before, after = migrate.upgrade(runtime.engine)
    if before == after:
        print(f"Database is up to date (revision {after}).")
    else:
        print(f"Upgraded database from {before or 'empty'} to revision {after}.")
    return 0


def _current(args: argparse.Namespace) -> int:
    from contact360_desktop.services.runtime import open_runtime
    from contact360_desktop.storage import migrate

    runtime = open_runtime(upgrade=False)
    print(migrate.current_revision(runtime.engine) or "empty")
    return 0
