"""The layer rules of DESIGN.md: imports point down; no Qt outside ui/; core is pure Python."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Imports every core module with Qt, SQLAlchemy, Huey, boto3 and psycopg made unimportable.
BLOCKED_IMPORT = r"""
import importlib, pkgutil, sys
BLOCKED = {"PySide6", "sqlalchemy", "huey", "boto3", "botocore", "psycopg", "redis"}
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"core must not import {name}")
sys.meta_path.insert(0, Block())
import contact360_desktop.core as core
for info in pkgutil.walk_packages(core.__path__, "contact360_desktop.core."):
    importlib.import_module(info.name)
print("ok")
"""


def test_core_imports_without_qt_or_database_libraries() -> None:
    result = subprocess.run([sys.executable, "-c", BLOCKED_IMPORT], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_import_linter_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
