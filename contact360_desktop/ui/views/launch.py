"""Open the app's dialogs and the user's files.

The dialogs (import wizard, export dialog, error browser) are imported when
asked for, so the shell runs even in a build that lacks one of them; then the
user reads a short message instead of a traceback.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

from contact360_desktop.ui.context import AppContext

log = logging.getLogger(__name__)

IMPORT_WIZARD = ("contact360_desktop.ui.import_wizard", "ImportWizard", "The import wizard")
EXPORT_DIALOG = ("contact360_desktop.ui.export_dialog", "ExportDialog", "The export dialog")
ERROR_BROWSER = ("contact360_desktop.ui.error_browser", "ErrorBrowser", "The error browser")


class DialogUnavailable(Exception):
    """A dialog's module is missing or cannot be imported; the message is for the user."""


def load_dialog_class(spec: tuple[str, str, str]) -> Any:
    module_name, class_name, label = spec
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if isinstance(exc, ModuleNotFoundError) and exc.name and module_name.startswith(exc.name):
            raise DialogUnavailable(f"{label} is not part of this build yet.") from exc
        log.exception("importing %s", module_name)
        raise DialogUnavailable(f"{label} could not be loaded: {exc}") from exc
    cls = getattr(module, class_name, None)
    if cls is None:
        raise DialogUnavailable(
            f"{label} is not part of this build yet ({module_name}.{class_name} is missing)."
        )
    return cls


def _load(parent: QWidget | None, spec: tuple[str, str, str]) -> Any | None:
    try:
        return load_dialog_class(spec)
    except DialogUnavailable as exc:
        QMessageBox.information(parent, "Not available", str(exc))
        return None


def _not_ready(parent: QWidget | None, context: AppContext) -> bool:
    if context.is_ready:
        return False
    QMessageBox.information(
        parent, "Database not ready", f"{context.db_detail or 'The database is starting.'}"
    )
    return True


def _show(dialog: Any) -> Any:
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


def open_import_wizard(
    context: AppContext, parent: QWidget | None = None, path: str | None = None, prefill: Any = None
) -> Any | None:
    if _not_ready(parent, context):
        return None
    cls = _load(parent, IMPORT_WIZARD)
    if cls is None:
        return None
    return _show(cls(context, parent=parent, path=path, prefill=prefill))


def open_export_dialog(
    context: AppContext, kind: str, selection: dict[str, Any], parent: QWidget | None = None
) -> Any:
    if _not_ready(parent, context):
        return None
    cls = _load(parent, EXPORT_DIALOG)
    if cls is None:
        return None
    return _show(cls(context, kind, selection, parent=parent))


def open_error_browser(context: AppContext, job_id: Any, parent: QWidget | None = None) -> Any:
    if _not_ready(parent, context):
        return None
    cls = _load(parent, ERROR_BROWSER)
    if cls is None:
        return None
    return _show(cls(context, job_id, parent=parent))


@contextlib.contextmanager
def system_library_path() -> Iterator[None]:
    """In a frozen (PyInstaller) app, hide the bundle's LD_LIBRARY_PATH from programs we start."""
    if not getattr(sys, "frozen", False) or "LD_LIBRARY_PATH" not in os.environ:
        yield
        return
    saved = os.environ["LD_LIBRARY_PATH"]
    original = os.environ.get("LD_LIBRARY_PATH_ORIG")
    if original:
        os.environ["LD_LIBRARY_PATH"] = original
    else:
        del os.environ["LD_LIBRARY_PATH"]
    try:
        yield
    finally:
        os.environ["LD_LIBRARY_PATH"] = saved


def open_local_path(path: str | Path) -> bool:
    """Open a file or folder with the desktop's default program."""
    with system_library_path():
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
