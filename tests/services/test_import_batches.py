"""Batches built by readers taking turns are, in turn order, the batches one reader builds."""

from __future__ import annotations

from itertools import zip_longest
from pathlib import Path
from typing import Any

import pytest

from contact360_desktop.core.fields import MODE_INSERT, MODE_UPSERT
from contact360_desktop.core.reader import open_csv
from contact360_desktop.core.validation import RowValidator
from contact360_desktop.services.import_batches import Batch, build_batches
from contact360_desktop.storage.staging import STAGED_FIELDS

HEADER = "Email,First Name,Company,Website,Phone\n"


def _file(path: Path, rows: int) -> Path:
    lines = [HEADER]
    for n in range(rows):
        email = f"p{n % 37}@x.com" if n % 5 == 0 else f"p{n}@x.com"  # repeats across batches
        bad = "not-an-email" if n % 11 == 0 else email
        lines.append(f"{bad},Name {n},Co {n % 13},co{n % 13}.com,(415) 555-{n % 10000:04d}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _batches(path: Path, mode: str, batch_rows: int, part: int, parts: int) -> list[Batch]:
    with open_csv(path) as src:
        header = list(src.header)
        validator = RowValidator(header)
        return list(
            build_batches(
                src.rows(),
                validator.validate,
                header,
                mode,
                batch_rows,
                validator.batch_cleaner(STAGED_FIELDS),
                part,
                parts,
            )
        )


def _summary(batch: Batch) -> tuple[Any, ...]:
    """All of a batch but its payload's new ids and company flags (per reader by design)."""
    staged = batch.staged
    rows = [line.split(b"\t")[1:-1] for line in staged.payload.splitlines()]
    return (
        batch.first_row,
        batch.last_row,
        batch.last_line,
        batch.records,
        batch.valid,
        batch.issues,
        batch.raw_rows,
        batch.line_numbers,
        staged.distinct,
        staged.rows_by_email,
        staged.issues,
        rows,
    )


@pytest.mark.parametrize("mode", [MODE_UPSERT, MODE_INSERT])
@pytest.mark.parametrize(("rows", "batch_rows", "parts"), [(103, 10, 2), (103, 10, 3), (100, 10, 3), (5, 10, 2)])
def test_readers_taking_turns_build_one_readers_batches(
    tmp_path: Path, mode: str, rows: int, batch_rows: int, parts: int
) -> None:
    path = _file(tmp_path / "a.csv", rows)
    alone = _batches(path, mode, batch_rows, 0, 1)
    by_part = [_batches(path, mode, batch_rows, part, parts) for part in range(parts)]
    in_turns = [batch for turn in zip_longest(*by_part) for batch in turn if batch is not None]
    assert len(alone) == -(-rows // batch_rows)
    assert [_summary(b) for b in in_turns] == [_summary(b) for b in alone]
    for part, batches in enumerate(by_part):  # reader k builds batches k, k + parts, ...
        assert [b.first_row for b in batches] == [b.first_row for b in alone[part::parts]]
