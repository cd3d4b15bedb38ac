"""Fixtures for the desktop UI tests: real widgets (offscreen), a real database, no leftovers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, QThreadPool
from sqlalchemy import Engine

from contact360_desktop.services.runtime import Runtime
from contact360_desktop.settings import Settings
from contact360_desktop.storage.db import make_engine

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session", autouse=True)
def _qsettings_sandbox(tmp_path_factory: pytest.TempPathFactory) -> None:
    """QSettings (window geometry, folders) go to a temp dir, never the developer's own."""
    folder = tmp_path_factory.mktemp("qsettings")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))


def _our_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("contact360-") and t.is_alive()}


@pytest.fixture(autouse=True)
def _no_dangling_threads() -> Iterator[None]:
    """Fail a test that leaves listener threads or background tasks running."""
    from contact360_desktop.ui import background

    before = _our_threads()
    yield
    pool = QThreadPool.globalInstance()
    finished = pool.waitForDone(10_000)
    leftovers = [t.name for t in _our_threads() - before]
    assert finished, (
        f"background tasks still running after the test ({pool.activeThreadCount()} threads busy)"
    )
    assert not leftovers, f"threads left running after the test: {leftovers}"
    # Every task finished; its last signal may still be queued for this thread.
    from PySide6.QtCore import QCoreApplication

    QCoreApplication.processEvents()
    assert background.live_task_count() == 0 or all(t.done.is_set() for t in background._live), (
        "background tasks never reported"
    )


@pytest.fixture()
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture()
def ui_engine(pg_url: str, clean_db: Engine) -> Iterator[Engine]:
    """An engine of the app's own (the context disposes it), on emptied tables."""
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


@pytest.fixture()
def make_context(qtbot: Any, settings: Settings, ui_engine: Engine) -> Iterator[Callable[..., Any]]:
    """Build an AppContext on the test database, already 'ready'; shut down after the test."""
    from contact360_desktop.ui.context import AppContext

    made: list[AppContext] = []

    def make(**options: Any) -> AppContext:
        options.setdefault("pool_factory", lambda: None)
        context = AppContext(settings, **options)
        context.use_runtime(Runtime(settings, ui_engine))
        made.append(context)
        return context

    yield make
    for context in made:
        context.shutdown()
        context.deleteLater()


@pytest.fixture()
def app_context(make_context: Callable[..., Any]) -> Any:
    return make_context()
