"""The local-folder file store: temp name until commit, never overwriting, actionable errors."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from contact360_desktop.storage.files import LocalFileStore, StorageError, default_export_folder


def _visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_nothing_appears_under_the_final_name_before_commit(tmp_path: Path) -> None:
    writer = LocalFileStore(tmp_path).open_writer("contacts-1.csv")
    writer.write(b"email\n")
    writer.write(b"a@example.com\n")
    assert not (tmp_path / "contacts-1.csv").exists()
    assert [p.name for p in tmp_path.iterdir()][0].startswith(".contacts-1.csv.")
    stored = writer.commit()
    assert stored.location == str(tmp_path / "contacts-1.csv")
    assert (tmp_path / "contacts-1.csv").read_bytes() == b"email\na@example.com\n"
    assert stored.size == 20
    assert stored.sha256 == hashlib.sha256(b"email\na@example.com\n").hexdigest()
    assert _visible(tmp_path) == ["contacts-1.csv"]


def test_generated_names_never_overwrite(tmp_path: Path) -> None:
    (tmp_path / "contacts-x.csv.gz").write_bytes(b"old")
    store = LocalFileStore(tmp_path)
    for _ in range(2):
        with store.open_writer("contacts-x.csv.gz") as writer:
            writer.write(b"new")
            writer.commit()
    assert _visible(tmp_path) == ["contacts-x-1.csv.gz", "contacts-x-2.csv.gz", "contacts-x.csv.gz"]
    assert (tmp_path / "contacts-x.csv.gz").read_bytes() == b"old"


def test_an_explicit_file_name_is_replaced_atomically(tmp_path: Path) -> None:
    (tmp_path / "mine.csv").write_bytes(b"old")
    with LocalFileStore(tmp_path).open_writer("mine.csv", overwrite=True) as writer:
        writer.write(b"new")
        writer.commit()
    assert (tmp_path / "mine.csv").read_bytes() == b"new"
    assert _visible(tmp_path) == ["mine.csv"]


def test_abort_removes_the_partial_file(tmp_path: Path) -> None:
    with LocalFileStore(tmp_path).open_writer("c.csv") as writer:
        writer.write(b"partial")
        # leaving the block without commit() discards it
    assert _visible(tmp_path) == []


def test_missing_folders_are_created(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path / "a" / "b")
    with store.open_writer("c.csv") as writer:
        writer.write(b"x")
        writer.commit()
    assert (tmp_path / "a" / "b" / "c.csv").read_bytes() == b"x"


def test_default_folder_is_in_the_documents_folder() -> None:
    assert default_export_folder().name == "Contact360 exports"


def test_read_only_folder_fails_with_an_actionable_message(read_only_folder: Path) -> None:
    with pytest.raises(
        StorageError, match=f"Cannot write to the folder {read_only_folder}.*(read-only|permission)"
    ):
        LocalFileStore(read_only_folder).open_writer("c.csv")
    assert _visible(read_only_folder) == []


def test_a_file_in_the_way_of_the_folder_fails_clearly(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("not a folder")
    with pytest.raises(StorageError, match="does not exist and cannot be created|not a folder"):
        LocalFileStore(tmp_path / "blocker" / "exports").open_writer("c.csv")


def test_full_disk_fails_and_leaves_nothing(full_disk_folder: Path) -> None:
    writer = LocalFileStore(full_disk_folder).open_writer("big.csv")
    with pytest.raises(StorageError, match="Not enough disk space to write the export"):
        for _ in range(64):
            writer.write(b"x" * 65536)  # 4 MiB into a 1 MiB disk
        writer.commit()
    writer.abort()
    assert _visible(full_disk_folder) == []
