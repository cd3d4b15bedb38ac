"""AppContext: what every window is given (settings, the engine once ready, background work,
the job listener, the local worker pool). No global singletons: windows receive it."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, QThreadPool, QTimer, Signal
from sqlalchemy import Engine

from contact360_desktop.settings import Settings
from contact360_desktop.ui.background import BackgroundTask, run_generator_in_background, run_in_background
from contact360_desktop.ui.listener import JobListener

log = logging.getLogger(__name__)

# Database states (``db_state``).
DB_STARTING = "starting"
DB_READY = "ready"
DB_FAILED = "failed"

# Local worker pool states (``pool_state``).
POOL_UNAVAILABLE = "unavailable"
POOL_STARTING = "starting"
POOL_RUNNING = "running"
POOL_STOPPING = "stopping"
POOL_STOPPED = "stopped"
POOL_FAILED = "failed"

POOL_MODULE = "contact360_desktop.workers.pool"


def _default_runtime_opener(settings: Settings) -> Any:
    from contact360_desktop.services.runtime import open_runtime

    return open_runtime(settings)


def _default_pool_factory() -> Callable[[Settings], Any] | None:
    """``workers.pool.LocalPool`` when the task layer is installed, else None."""
    try:
        module = importlib.import_module(POOL_MODULE)
    except ImportError:
        return None
    return getattr(module, "LocalPool", None)


def _inert_task(fn: Callable[..., Any]) -> BackgroundTask:
    """A task that is never started (asked for after shutdown); its signals never fire."""
    return BackgroundTask(fn)


class AppContext(QObject):
    """Shared state of the running app. Lives in the GUI thread; signals report changes."""

    db_state_changed = Signal(str, str)  # state, detail
    ready = Signal()
    pool_state_changed = Signal(str, str)  # state, detail

    def __init__(
        self,
        settings: Settings,
        parent: QObject | None = None,
        *,
        runtime_opener: Callable[[Settings], Any] = _default_runtime_opener,
        pool_factory: Callable[[], Callable[[Settings], Any] | None] = _default_pool_factory,
        thread_pool: QThreadPool | None = None,
        pool_check_interval_ms: int = 5000,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.runtime: Any = None
        self.engine: Engine | None = None
        self.listener: JobListener | None = None
        self.pool: Any = None
        self.db_state = DB_STARTING
        self.db_detail = "Starting database…"
        self.pool_state = POOL_UNAVAILABLE
        self.pool_detail = ""
        self.want_pool = True
        self._runtime_opener = runtime_opener
        self._pool_factory = pool_factory
        self.thread_pool = thread_pool or QThreadPool.globalInstance()
        self._pool_check = QTimer(self)
        self._pool_check.setInterval(pool_check_interval_ms)
        self._pool_check.timeout.connect(self._check_pool_available)
        self._shut_down = False

    # --- UI state (QSettings: window geometry, last-used folders) ---------------------------------
    def ui_settings(self) -> QSettings:
        return QSettings()

    def last_folder(self, purpose: str) -> str:
        """The folder last used to pick a file for ``purpose`` ("import", "export", ...)."""
        value = self.ui_settings().value(f"folders/{purpose}", "")
        return str(value) if value else str(Path.home())

    def remember_folder(self, purpose: str, path: str | Path) -> None:
        folder = Path(path)
        if folder.suffix:  # a file (no stat on the GUI thread)
            folder = folder.parent
        self.ui_settings().setValue(f"folders/{purpose}", str(folder))

    # --- background work ------------------------------------------------------------------------
    def run_in_background(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> BackgroundTask:
        """``background.run_in_background`` on this context's pool (a no-op after shutdown)."""
        if self._shut_down:
            return _inert_task(fn)
        kwargs.setdefault("pool", self.thread_pool)
        return run_in_background(fn, *args, **kwargs)

    def run_generator_in_background(
        self, fn: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> BackgroundTask:
        if self._shut_down:
            return _inert_task(fn)
        kwargs.setdefault("pool", self.thread_pool)
        return run_generator_in_background(fn, *args, **kwargs)

    @property
    def is_ready(self) -> bool:
        return self.engine is not None and not self._shut_down

    @property
    def is_shut_down(self) -> bool:
        return self._shut_down

    # --- database -----------------------------------------------------------------------------
    def start(self, *, start_pool: bool = True) -> None:
        """Open the database off the GUI thread; then start the listener and (optionally) the pool."""
        self.want_pool = start_pool
        self._set_db_state(DB_STARTING, "Starting database…")
        self.run_in_background(
            self._runtime_opener, self.settings, on_done=self._runtime_opened, on_error=self._runtime_failed
        )

    def use_runtime(self, runtime: Any, *, start_pool: bool = False) -> None:
        """Adopt an already opened runtime (tests, or a caller that opened it itself)."""
        self.want_pool = start_pool
        self._runtime_opened(runtime)

    def _runtime_opened(self, runtime: Any) -> None:
        if self._shut_down:
            return
        self.runtime = runtime
        self.engine = runtime.engine
        from contact360_desktop.storage.db import libpq_dsn

        url = self.engine.url.render_as_string(hide_password=False)  # type: ignore[union-attr]
        self.listener = JobListener(libpq_dsn(url), self)
        self.listener.start()
        self._set_db_state(DB_READY, runtime.database_label)
        self.ready.emit()
        if self.want_pool:
            self.start_pool()
        else:
            self._check_pool_available(start=False)

    def _runtime_failed(self, exc: BaseException) -> None:
        log.error("database did not start: %s", exc)
        first_line = str(exc).strip() or exc.__class__.__name__
        self._set_db_state(DB_FAILED, first_line)

    def _set_db_state(self, state: str, detail: str) -> None:
        self.db_state, self.db_detail = state, detail
        self.db_state_changed.emit(state, detail)

    # --- local worker pool ----------------------------------------------------------------------
    def _set_pool_state(self, state: str, detail: str = "") -> None:
        self.pool_state, self.pool_detail = state, detail
        self.pool_state_changed.emit(state, detail)

    def _check_pool_available(self, start: bool | None = None) -> None:
        """While the pool module is missing, look again now and then; start it when it appears."""
        if self._shut_down:
            return
        factory = self._pool_factory()
        if factory is None:
            if self.pool_state != POOL_UNAVAILABLE or not self.pool_detail:
                self._set_pool_state(POOL_UNAVAILABLE, "the worker pool module is not installed")
            if not self._pool_check.isActive():
                self._pool_check.start()
            return
        self._pool_check.stop()
        should_start = self.want_pool if start is None else start
        if self.pool is None and should_start and self.is_ready:
            self.start_pool()
        elif self.pool_state == POOL_UNAVAILABLE:
            self._set_pool_state(POOL_STOPPED)

    @property
    def pool_available(self) -> bool:
        return self.pool_state != POOL_UNAVAILABLE

    @property
    def pool_running(self) -> bool:
        return self.pool_state == POOL_RUNNING

    def start_pool(self) -> None:
        if self._shut_down or self.pool_state in (POOL_STARTING, POOL_RUNNING, POOL_STOPPING):
            return
        factory = self._pool_factory()
        if factory is None:
            self._check_pool_available()
            return
        self.want_pool = True
        self._set_pool_state(POOL_STARTING)

        def create_and_start() -> Any:
            pool = self.pool if self.pool is not None else factory(self.settings)
            self.pool = pool  # visible to shutdown() even if it comes before `started`
            pool.start()
            return pool

        def started(pool: Any) -> None:
            self.pool = pool
            if self._shut_down:
                self.run_in_background(pool.stop)
                return
            self._set_pool_state(POOL_RUNNING if getattr(pool, "running", True) else POOL_STOPPED)

        self.run_in_background(create_and_start, on_done=started, on_error=self._pool_failed)

    def stop_pool(self) -> None:
        if self.pool is None or self.pool_state in (POOL_STOPPING, POOL_STOPPED):
            return
        self.want_pool = False
        self._set_pool_state(POOL_STOPPING)
        self.run_in_background(
            self.pool.stop, on_done=lambda _: self._set_pool_state(POOL_STOPPED), on_error=self._pool_failed
        )

    def refresh_pool_state(self) -> None:
        """Re-read ``pool.running`` (a pool whose processes died shows as stopped)."""
        if (
            self.pool is not None
            and self.pool_state == POOL_RUNNING
            and not getattr(self.pool, "running", True)
        ):
            self._set_pool_state(POOL_STOPPED, "the local workers exited")

    def _pool_failed(self, exc: BaseException) -> None:
        log.error("local worker pool: %s", exc)
        self._set_pool_state(POOL_FAILED, str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc))

    # --- shutdown ---------------------------------------------------------------------------------
    def shutdown(self, timeout_ms: int = 15000) -> None:
        """Stop the listener and the pool, wait for background work, release the database."""
        if self._shut_down:
            return
        self._shut_down = True
        self._pool_check.stop()
        if self.listener is not None:
            self.listener.stop()
        self.thread_pool.waitForDone(timeout_ms)  # incl. a pool that is still starting
        if self.pool is not None:
            try:
                self.pool.stop()
            except Exception:
                log.exception("stopping the local worker pool")
            self.pool = None
        if self.engine is not None:
            self.engine.dispose()
        if self.settings.uses_embedded_database and self.runtime is not None:
            from contact360_desktop.storage.embedded import embedded_server

            try:
                embedded_server(self.settings.data_dir).release()
            except Exception:
                log.exception("releasing the embedded database")
