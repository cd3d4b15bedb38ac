"""Helpers for the pure core tests: write a CSV's bytes to a temp file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[..., Path]:
    counter = iter(range(1_000_000))

    def write(data: bytes | str, name: str | None = None, encoding: str = "utf-8") -> Path:
        path = tmp_path / (name or f"file{next(counter)}.csv")
        path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
        return path

    return write
