"""`contact360` / `contact360 gui`: the desktop application."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    subparsers.add_parser("gui", help="open the desktop application (the default)").set_defaults(
        handler=run_gui
    )


def run_gui(args: argparse.Namespace) -> int:
    from contact360_desktop.ui.app import run

    return run()
