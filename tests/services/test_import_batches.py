"""Batches built by readers taking turns are, in turn order, the batches one reader builds."""

from __future__ import annotations

import multiprocessing
import threading
from itertools import zip_longest
from pathlib import Path
from typing import Any

import pytest

from contact360_desktop.core.fields import MODE_INSERT, MODE_UPSERT
from contact360_desktop.core.reader import open_csv
from contact360_desktop.core.validation import RowValidator
from contact360_desktop.services.import_batches import Batch, RelayedRuns, build_batches, consecutive_runs
from contact360_desktop.storage.staging import STAGED_FIELDS

HEADER = "Email,First Name,Company,Website,Phone\n"


def _file(path: Path, rows: int) -> Path:
    lines = [HEADER]
    for n in range(rows):
        email = f"p{n % 37}@x.com" if n % 5 == 0 else f"p{n}@x.com"  # repeats across batches
        bad = "not-an-email" if n % 11 == 0 else email
        name = f'"Name\n{n} é"' if n % 7 == 0 else f"Name {n}"  # a record over two lines
        lines.append(f"{bad},{name},Co {n % 13},co{n % 13}.com,(415) 555-{n % 10000:04d}\n")
        if n % 9 == 0:
            lines.append("\n")  # blank lines are not rows
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _build(src: Any, next_rows: Any, mode: str) -> list[Batch]:
    header = list(src.header)
    validator = RowValidator(header)
    return list(
        build_batches(next_rows, validator.validate, header, mode, validator.batch_cleaner(STAGED_FIELDS))
    )


def _batches(path: Path, mode: str, batch_rows: int, skip: int = 0) -> list[Batch]:
    """One reader's batches."""
    with open_csv(path) as src:
        return _build(src, consecutive_runs(src.cursor(), batch_rows, skip), mode)


def _relayed_batches(path: Path, mode: str, batch_rows: int, parts: int, skip: int = 0) -> list[list[Batch]]:
    """The batches of ``parts`` readers (threads here) relaying positions round a ring of pipes."""
    ring = [multiprocessing.Pipe(duplex=False) for _ in range(parts)]
    built: list[list[Batch]] = [[] for _ in range(parts)]

    def reader(part: int) -> None:
        with open_csv(path) as src:
            runs = RelayedRuns(
                src.cursor(), batch_rows, part, ring[part][0], ring[(part + 1) % parts][1], skip
            )
            built[part] = _build(src, runs, mode)

    threads = [threading.Thread(target=reader, args=(part,)) for part in range(parts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a reader was left waiting"
    return built


def _summary(batch: Batch) -> tuple[Any, ...]:
    """All of a batch but its payload's new ids and company flags (per reader by design);
    the company ids are the same whichever reader staged them."""
    staged = batch.staged
    rows = [(cells[1:-2], cells[-1]) for cells in (line.split(b"\t") for line in staged.payload.splitlines())]
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
@pytest.mark.parametrize(
    ("rows", "batch_rows", "parts", "skip"),
    [(103, 10, 2, 0), (103, 10, 3, 0), (100, 10, 3, 0), (5, 10, 2, 0), (103, 10, 2, 25), (103, 10, 3, 200)],
)
def test_readers_taking_turns_build_one_readers_batches(
    tmp_path: Path, mode: str, rows: int, batch_rows: int, parts: int, skip: int
) -> None:
    path = _file(tmp_path / "a.csv", rows)
    alone = _batches(path, mode, batch_rows, skip)
    by_part = _relayed_batches(path, mode, batch_rows, parts, skip)
    in_turns = [batch for turn in zip_longest(*by_part) for batch in turn if batch is not None]
    assert len(alone) == max(0, -(-(rows - skip) // batch_rows))
    assert [_summary(b) for b in in_turns] == [_summary(b) for b in alone]
    for part, batches in enumerate(by_part):  # reader k builds batches k, k + parts, ...
        assert [b.first_row for b in batches] == [b.first_row for b in alone[part::parts]]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252"])
def test_relayed_positions_hold_in_any_encoding(tmp_path: Path, encoding: str) -> None:
    """A position is a seek cookie of the decoded stream: with a BOM or two bytes a character too."""
    text = _file(tmp_path / "a.csv", 60).read_text(encoding="utf-8")
    path = tmp_path / f"{encoding}.csv"
    path.write_text(text, encoding=encoding)
    alone = _batches(path, MODE_UPSERT, 7)
    in_turns = [b for turn in zip_longest(*_relayed_batches(path, MODE_UPSERT, 7, 2)) for b in turn if b]
    assert [_summary(b) for b in in_turns] == [_summary(b) for b in alone]
    assert alone[-1].last_row == 60
