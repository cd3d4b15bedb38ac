"""core/ imports neither Qt, SQLAlchemy, Huey, boto3, psycopg nor redis (DESIGN.md layers)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FORBIDDEN = ("PySide6", "sqlalchemy", "huey", "boto3", "psycopg", "redis")
ROOT = Path(__file__).resolve().parents[2]


def test_core_imports_with_the_heavy_layers_absent() -> None:
    modules = sorted(
        p.stem for p in (ROOT / "contact360_desktop" / "core").glob("*.py") if p.stem != "__init__"
    )
    script = "\n".join(
        [
            "import sys",
            *(f"sys.modules[{name!r}] = None" for name in FORBIDDEN),  # any import of them fails
            *(f"import contact360_desktop.core.{module}" for module in modules),
            "print('ok')",
        ]
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
