"""Running `contact360 ...` as a user runs it: a subprocess of this interpreter."""

from __future__ import annotations

import os
import subprocess
import sys


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python -m contact360_desktop ARGS` with ``env`` over this process's environment."""
    return subprocess.run(
        [sys.executable, "-m", "contact360_desktop", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
