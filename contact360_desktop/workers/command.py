"""The command line of a worker process, for a source checkout and for the frozen app alike."""

from __future__ import annotations

import sys


def worker_command(*args: str) -> list[str]:
    """``python -m contact360_desktop worker ARGS``, or ``<app> worker ARGS`` in a PyInstaller bundle.

    The frozen executable is the app itself: ``sys.executable -m`` means nothing
    there, and forgetting the sub-command would open a second GUI per worker.
    """
    if getattr(sys, "frozen", False):
        return [sys.executable, "worker", *args]
    return [sys.executable, "-m", "contact360_desktop", "worker", *args]
