"""Exports in a local folder: write to a hidden temporary name, fsync, then move into place."""

from __future__ import annotations

import errno
import logging
import os
import secrets
from pathlib import Path

import platformdirs

from contact360_desktop.storage.files.base import FileStore, FileWriter, StorageError

log = logging.getLogger(__name__)

EXPORT_FOLDER_NAME = "Contact360 exports"
_MAX_NAME_ATTEMPTS = 1000


def default_export_folder() -> Path:
    """``<Documents>/Contact360 exports`` (platformdirs knows the documents folder on each OS)."""
    return Path(platformdirs.user_documents_dir()) / EXPORT_FOLDER_NAME


def describe_os_error(exc: OSError, folder: Path) -> str:
    """A message a person can act on, for an OSError while writing into ``folder``."""
    code = exc.errno
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return (
            f"Not enough disk space to write the export in {folder} ({exc.strerror}). "
            "Free some space or choose another destination."
        )
    if code in (errno.EACCES, errno.EPERM):
        return f"Cannot write to the folder {folder}: permission denied. Choose another folder or fix its permissions."
    if code == errno.EROFS:
        return f"Cannot write to the folder {folder}: it is on a read-only disk. Choose another folder."
    if code in (errno.ENOENT, errno.ENOTDIR):
        return f"The folder {folder} does not exist and cannot be created. Choose another folder."
    return f"Cannot write the export to {folder}: {exc.strerror or exc}."


def _split_name(name: str) -> tuple[str, str]:
    """``contacts-1.csv.gz`` -> (``contacts-1``, ``.csv.gz``): numbered copies keep the whole extension."""
    for suffix in (".csv.gz", ".csv"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)], name[-len(suffix) :]
    stem, dot, ext = name.rpartition(".")
    return (stem, dot + ext) if stem else (name, "")


class LocalFileStore(FileStore):
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def describe(self) -> str:
        return str(self.folder)

    def open_writer(self, name: str, *, overwrite: bool = False) -> LocalFileWriter:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(describe_os_error(exc, self.folder)) from exc
        if not self.folder.is_dir():
            raise StorageError(f"{self.folder} is not a folder. Choose a folder or a file name to export to.")
        return LocalFileWriter(self.folder, name, overwrite=overwrite)


class LocalFileWriter(FileWriter):
    def __init__(self, folder: Path, name: str, *, overwrite: bool) -> None:
        super().__init__()
        self.folder = folder
        self.name = name
        self.overwrite = overwrite
        # Hidden, unmistakably partial, and in the same folder so the final move is an atomic rename.
        self.temp_path = folder / f".{name}.{secrets.token_hex(4)}.part"
        try:
            fd = os.open(
                self.temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644
            )
        except OSError as exc:
            raise StorageError(describe_os_error(exc, folder)) from exc
        self._file = os.fdopen(fd, "wb")

    def _write(self, data: bytes | bytearray | memoryview) -> None:
        try:
            self._file.write(data)
        except OSError as exc:
            raise StorageError(describe_os_error(exc, self.folder)) from exc

    def _commit(self) -> str:
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            final = self.folder / self.name
            if self.overwrite:
                os.replace(self.temp_path, final)
            else:
                final = self._reserve_free_name()
                try:
                    # Replacing our own empty reservation: atomic, and nobody else's file is touched.
                    os.replace(self.temp_path, final)
                except OSError:
                    final.unlink(missing_ok=True)
                    raise
        except OSError as exc:
            raise StorageError(describe_os_error(exc, self.folder)) from exc
        return str(final)

    def _reserve_free_name(self) -> Path:
        """Create an empty file under the first free name (O_EXCL, so concurrent exports never clash)."""
        stem, ext = _split_name(self.name)
        for attempt in range(_MAX_NAME_ATTEMPTS):
            candidate = self.folder / (self.name if attempt == 0 else f"{stem}-{attempt}{ext}")
            try:
                os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            except FileExistsError:
                continue
            return candidate
        raise StorageError(f"Too many files named like {self.name} in {self.folder}. Choose another folder.")

    def _abort(self) -> None:
        try:
            self._file.close()
        except OSError:
            pass  # a full disk can fail the close too; the file is removed below either way
        try:
            self.temp_path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not remove the partial export %s: %s", self.temp_path, exc)
