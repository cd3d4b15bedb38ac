"""The file-store interface: bytes go in, nothing shows under the final name until commit."""

from __future__ import annotations

import abc
import dataclasses
import hashlib


class StorageError(Exception):
    """A permanent problem with the destination that a person must fix (the message says how)."""


@dataclasses.dataclass(frozen=True)
class StoredFile:
    """A committed file: where it is (a local path or ``s3://bucket/key``), its size and checksum."""

    location: str
    size: int
    sha256: str


class FileWriter(abc.ABC):
    """Receives the bytes of one file; counts and hashes them on the way through.

    Until :meth:`commit` the data lives under a temporary name (or an unfinished
    multipart upload), so a crash or an :meth:`abort` never leaves a file that
    looks complete.
    """

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._size = 0
        self._closed = False

    @property
    def size(self) -> int:
        return self._size

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closed:
            raise RuntimeError("write() after commit() or abort()")
        self._hash.update(data)
        self._size += len(data)
        self._write(data)

    def commit(self) -> StoredFile:
        """Make the file visible under its final name; abort (and re-raise) if that fails."""
        if self._closed:
            raise RuntimeError("commit() after commit() or abort()")
        try:
            location = self._commit()
        except BaseException:
            self.abort()
            raise
        self._closed = True
        return StoredFile(location, self._size, self._hash.hexdigest())

    def abort(self) -> None:
        """Throw the partial data away. Idempotent; never raises (it runs while handling errors)."""
        if self._closed:
            return
        self._closed = True
        self._abort()

    def __enter__(self) -> FileWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        # Leaving the block without commit() (an error, a cancel) discards the data.
        self.abort()

    @abc.abstractmethod
    def _write(self, data: bytes | bytearray | memoryview) -> None: ...

    @abc.abstractmethod
    def _commit(self) -> str: ...

    @abc.abstractmethod
    def _abort(self) -> None: ...


class FileStore(abc.ABC):
    """A place exports go: a local folder or an S3 bucket and prefix."""

    @abc.abstractmethod
    def open_writer(self, name: str, *, overwrite: bool = False) -> FileWriter:
        """Start writing ``name`` in this store. ``overwrite=False`` picks ``name-1``... on a clash
        (where the store can tell); the final location is in the StoredFile."""

    @abc.abstractmethod
    def describe(self) -> str:
        """Where files go, for messages (``/home/ann/Documents/Contact360 exports``, ``s3://b/p/``)."""
