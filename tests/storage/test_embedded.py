"""The embedded server shared by the app's processes (GUI, CLI, workers)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from contact360_desktop.storage.embedded import EmbeddedServer

# Starts the server for a data dir, prints {"pid": server pid, "url": ...}, runs SQL given in argv[2],
# then holds its handle until stdin closes.
HOLDER = r"""
import json, sys
from pathlib import Path
import sqlalchemy as sa
from contact360_desktop.storage.embedded import EmbeddedServer
server = EmbeddedServer(Path(sys.argv[1]))
url = server.start()
engine = sa.create_engine(url)
rows = []
with engine.begin() as conn:
    for statement in filter(None, sys.argv[2].split(";")):
        result = conn.execute(sa.text(statement))
        if result.returns_rows:
            rows.extend(list(map(str, r)) for r in result)
engine.dispose()
print(json.dumps({"pid": server.server_pid, "url": url, "rows": rows}), flush=True)
sys.stdin.read()
"""


class Holder:
    def __init__(self, data_dir: Path, sql: str = "") -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(data_dir), sql],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            self.proc.wait(timeout=30)
            raise AssertionError(f"holder failed to start the server (exit {self.proc.returncode})")
        info = json.loads(line)
        self.server_pid: int = info["pid"]
        self.rows: list[list[str]] = info["rows"]

    def exit(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        assert self.proc.wait(timeout=60) == 0

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)


def wait_until_gone(pid: int, timeout: float = 30) -> bool:
    try:
        psutil.Process(pid).wait(timeout)
    except psutil.NoSuchProcess:
        return True
    except psutil.TimeoutExpired:
        return False
    return True


@pytest.fixture()
def data_dir() -> Iterator[Path]:
    # Not under pytest's tmp dir: pytest keeps that 0700, and as root the server runs as
    # another user who must reach the data dir.
    path = Path(tempfile.mkdtemp(prefix="c360-embedded-test-"))
    yield path
    pid_file = path / "pgdata" / "postmaster.pid"
    if pid_file.exists():  # never leave a server behind a failed test
        pid = int(pid_file.read_text().splitlines()[0])
        if psutil.pid_exists(pid):
            os.kill(pid, signal.SIGTERM)
            wait_until_gone(pid)
    shutil.rmtree(path, ignore_errors=True)


def test_one_server_shared_by_processes_and_stopped_by_the_last(data_dir: Path) -> None:
    first = Holder(data_dir)
    second = Holder(data_dir)
    assert second.server_pid == first.server_pid
    first.exit()
    assert psutil.pid_exists(second.server_pid), "the server stopped while a process still used it"
    second.exit()
    assert wait_until_gone(first.server_pid), "the last process left the server running"


def test_data_survives_restarts(data_dir: Path) -> None:
    Holder(data_dir, "CREATE TABLE notes (body text); INSERT INTO notes VALUES ('kept')").exit()
    again = Holder(data_dir, "SELECT body FROM notes")
    assert again.rows == [["kept"]]
    again.exit()


def test_a_killed_server_is_recovered_on_next_start(data_dir: Path) -> None:
    holder = Holder(data_dir, "CREATE TABLE t (x int); INSERT INTO t VALUES (1)")
    os.kill(holder.server_pid, signal.SIGKILL)
    assert wait_until_gone(holder.server_pid)
    holder.exit()
    recovered = Holder(data_dir, "SELECT x FROM t")
    assert recovered.server_pid != holder.server_pid
    assert recovered.rows == [["1"]]
    recovered.exit()


def test_a_crashed_client_does_not_keep_the_server_alive(data_dir: Path) -> None:
    crashed = Holder(data_dir)
    crashed.kill()  # no atexit: its handle stays in the list
    last = Holder(data_dir)
    assert last.server_pid == crashed.server_pid
    last.exit()
    assert wait_until_gone(crashed.server_pid), "a dead process's handle kept the server running"


def test_unusable_data_dir_gives_a_clear_error(data_dir: Path) -> None:
    pgdata = data_dir / "pgdata"
    pgdata.mkdir()
    (pgdata / "PG_VERSION").write_text("9\n")  # a data dir from an incompatible server version
    with pytest.raises(Exception, match="did not start|CONTACT360_DATABASE_URL"):
        EmbeddedServer(data_dir).start()


def test_start_in_process_and_release(data_dir: Path) -> None:
    server = EmbeddedServer(data_dir)
    started = time.monotonic()
    url = server.start()
    assert url.startswith("postgresql+psycopg://")
    assert time.monotonic() - started < 60
    pid = server.server_pid
    assert pid is not None
    server.release()
    assert wait_until_gone(pid)
