"""Folders that fail like real ones: a full disk and a read-only folder.

As root (CI containers) these are real file systems: a 1 MiB tmpfs, and a
tmpfs mounted read-only (root ignores permission bits, so chmod would not do).
Without the right to mount, the full disk is a 1 MiB RLIMIT_FSIZE on this
process (writes past it fail with EFBIG, which the app reports like ENOSPC) and
the unwritable folder is a chmod 0555 folder.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

TINY_DISK_BYTES = 1024 * 1024


def _mount_tmpfs(path: Path, options: str) -> bool:
    if os.geteuid() != 0:
        return False
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    return result.returncode == 0


def _umount(path: Path) -> None:
    subprocess.run(["umount", str(path)], check=True)


@pytest.fixture()
def full_disk_folder(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "full-disk"
    folder.mkdir()
    if _mount_tmpfs(folder, f"size={TINY_DISK_BYTES}"):
        yield folder
        _umount(folder)
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
    resource.setrlimit(resource.RLIMIT_FSIZE, (TINY_DISK_BYTES, hard))
    try:
        yield folder
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


@pytest.fixture()
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "read-only"
    folder.mkdir()
    if _mount_tmpfs(folder, "ro,size=64k"):
        yield folder
        _umount(folder)
        return
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)
