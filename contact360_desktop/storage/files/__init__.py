"""Where export files go: one FileStore interface with a local-folder and an S3 adapter."""

from contact360_desktop.storage.files.base import FileStore, FileWriter, StorageError, StoredFile
from contact360_desktop.storage.files.local import LocalFileStore, default_export_folder
from contact360_desktop.storage.files.s3 import S3FileStore, make_s3_client, parse_s3_url

__all__ = [
    "FileStore",
    "FileWriter",
    "LocalFileStore",
    "S3FileStore",
    "StorageError",
    "StoredFile",
    "default_export_folder",
    "make_s3_client",
    "parse_s3_url",
]
