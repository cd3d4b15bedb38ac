"""The import with its reading and validation in child processes (big files) behaves as with the thread.

The rule, resume and cancel tests of test_imports run again here with the child-process
readers forced on for every file -- one of them, and three taking turns -- plus what only
child processes can get wrong: an exception raised while reading reaches the job, and
the children are gone afterwards.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psutil
import pytest
from sqlalchemy import Engine

from contact360_desktop.services import import_batches, imports
from contact360_desktop.settings import Settings
from tests.services.test_imports import (  # noqa: F401 - collected again, with the process reader
    ROWS,
    contacts,
    run,
    test_cancel_stops_at_the_next_batch_and_keeps_committed_rows,
    test_reimport_of_an_unchanged_file_changes_nothing,
    test_resume_after_k_batches_equals_an_uninterrupted_run,
    test_rules_in_file_order_across_batches,
    write_csv,
)


@pytest.fixture(autouse=True, params=[1, 3], ids=["1-reader", "3-readers"])
def process_reader(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> list[Any]:
    """Every import reads in child processes; the producers started are recorded."""
    monkeypatch.setattr(imports, "READER_PROCESS_MIN_ROWS", 0)
    monkeypatch.setattr(imports, "READER_PROCESSES", request.param)
    started: list[Any] = []
    real = import_batches.ProcessBatchProducer

    class Recording(real):  # type: ignore[misc, valid-type]
        def __enter__(self) -> Any:
            started.append(self)
            return super().__enter__()

    monkeypatch.setattr(imports, "ProcessBatchProducer", Recording)
    return started


def test_the_child_process_reads_and_is_gone_afterwards(
    clean_db: Engine, settings: Settings, tmp_path: Path, process_reader: list[Any]
) -> None:
    result = run(clean_db, settings, write_csv(tmp_path / "a.csv", ROWS), batch_rows=2)
    assert (result["status"], result["inserted"], result["rejected"]) == ("completed", 2, 2)
    assert len(process_reader) == 1
    reader_pid = process_reader[0].pids[0]
    assert reader_pid is not None
    assert reader_pid not in {c.pid for c in psutil.Process().children()}


def test_a_file_that_breaks_midway_fails_the_job_with_the_readers_message(
    clean_db: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "a.csv", ROWS)
    with path.open("a", encoding="utf-8") as fh:
        fh.write('carl@example.com,"Carl' + "x" * 200_000 + "\n")  # a quote that is never closed
    result = run(clean_db, settings, path, batch_rows=2)
    assert result["status"] == "failed"
    assert "never closed" in (result["message"] or "")
    assert "carl@example.com" not in contacts(clean_db)
