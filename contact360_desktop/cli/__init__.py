"""The `contact360` command. Each sub-command lives in its own module of this
package and exposes ``register(subparsers)``; this entry only parses and delegates.

Exit codes: 0 success, 1 the job failed or was cancelled, 2 usage or setup error.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from contact360_desktop import __version__
from contact360_desktop.settings import SettingsError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CommandError(Exception):
    """A problem the user can fix; printed as one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="contact360", description="Contact360 Desktop")
    parser.add_argument("--version", action="version", version=f"contact360 {__version__}")
    parser.add_argument("--selftest", action="store_true", help="run the packaged self-test and exit")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.selftest:
        from contact360_desktop.cli._selftest import run_selftest

        return run_selftest()
    handler = getattr(args, "handler", None)
    if handler is None:
        from contact360_desktop.cli.gui import run_gui

        return run_gui(args)
    try:
        return int(handler(args) or EXIT_OK)
    except (CommandError, SettingsError) as exc:
        print(f"contact360: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
