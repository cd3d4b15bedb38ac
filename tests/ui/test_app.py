"""The real start-up path: ``ui.app`` with the embedded server in a fresh data dir."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from contact360_desktop.settings import load_settings
from contact360_desktop.ui import app as app_module
from contact360_desktop.ui.context import DB_READY, POOL_RUNNING
from contact360_desktop.ui.listener import CONNECTED
from tests.ui.helpers import grab


@pytest.mark.timeout(180)
def test_bootstrap_starts_the_embedded_server_and_shows_the_window(
    qtbot: Any, tmp_path: Path, artifacts: Path, request: Any
) -> None:
    from tests.ui.test_shell import FakePool

    # The embedded server drops root privileges: its data dir must be reachable by that user
    # (pytest's tmp_path under /tmp/pytest-of-root is not).
    data_dir = Path(tempfile.mkdtemp(prefix="c360-ui-app-"))
    data_dir.chmod(0o755)
    request.addfinalizer(lambda: shutil.rmtree(data_dir, ignore_errors=True))
    env = {"CONTACT360_DATA_DIR": str(data_dir / "data"), "CONTACT360_USER": "tester"}
    settings = load_settings(env=env, config_path=tmp_path / "none.toml")
    assert settings.uses_embedded_database
    app = app_module.create_application()
    assert QApplication.applicationName() == app_module.APPLICATION and not app.windowIcon().isNull()
    FakePool.instances = []
    context, window = app_module.bootstrap(settings, pool_factory=lambda: FakePool)
    qtbot.addWidget(window)
    try:
        # The window is up before the database: it says so, and the GUI thread is not blocked.
        assert window.isVisible()
        assert window.status.database_label.text() == "Database: starting…"
        assert window.contacts_tab.message.text() == "Starting database…"
        grab(window, artifacts, "main-window-starting", (1100, 700))
        qtbot.waitUntil(lambda: context.db_state == DB_READY, timeout=120_000)
        assert window.status.database_label.text() == "Database: embedded PostgreSQL"
        assert str(settings.data_dir) in window.status.database_label.toolTip()
        qtbot.waitUntil(lambda: context.pool_state == POOL_RUNNING, timeout=10_000)
        qtbot.waitUntil(lambda: context.listener.state == CONNECTED, timeout=10_000)
        qtbot.waitUntil(
            lambda: window.contacts_tab.stack.currentWidget() is window.contacts_tab.empty, timeout=10_000
        )
        grab(window, artifacts, "main-window-embedded", (1100, 700))
        pgdata = settings.data_dir / "pgdata"
        assert (pgdata / "postmaster.pid").exists()
    finally:
        window.close()
        context.shutdown()
    assert FakePool.instances[0].calls == ["start", "stop"]
    # The last (only) handle was released: the embedded server stopped.
    assert not (settings.data_dir / "pgdata" / "postmaster.pid").exists()


def test_a_database_that_cannot_start_is_explained(qtbot: Any, tmp_path: Path) -> None:
    from contact360_desktop.ui.context import DB_FAILED, AppContext
    from contact360_desktop.ui.main_window import MainWindow

    settings = load_settings(env={"CONTACT360_DATA_DIR": str(tmp_path)}, config_path=tmp_path / "none.toml")

    def broken(_settings: Any) -> Any:
        raise RuntimeError("The built-in database did not start (port in use).\nmore lines")

    context = AppContext(settings, runtime_opener=broken, pool_factory=lambda: None)
    window = MainWindow(context)
    qtbot.addWidget(window)
    context.start()
    qtbot.waitUntil(lambda: context.db_state == DB_FAILED, timeout=5000)
    assert window.status.database_label.text() == "Database: not available"
    assert "port in use" in window.contacts_tab.message.text()
    context.shutdown()
