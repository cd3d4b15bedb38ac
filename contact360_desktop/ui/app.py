"""Start the desktop application: ``run()`` is what `contact360` / `contact360 gui` calls.

The window shows at once; the database (possibly the embedded server, which
takes a second or two) is opened on a background thread meanwhile, then the
job listener and the local worker pool start. Quitting stops the pool and
releases the embedded server.
"""

from __future__ import annotations

import ctypes.util
import logging
import logging.handlers
import os
import sys
import threading
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from contact360_desktop.settings import Settings, SettingsError, load_settings

log = logging.getLogger(__name__)

ORGANIZATION = "Contact360"
APPLICATION = "Contact360 Desktop"
DESKTOP_FILE = "contact360"

#: Libraries Qt's xcb platform plugin needs that a fresh Debian/Ubuntu desktop may lack.
XCB_LIBRARIES: tuple[tuple[str, str], ...] = (
    ("xcb-cursor", "libxcb-cursor0"),
    ("xcb-icccm", "libxcb-icccm4"),
    ("xcb-keysyms", "libxcb-keysyms1"),
    ("xcb-image", "libxcb-image0"),
    ("xcb-render-util", "libxcb-render-util0"),
    ("xkbcommon-x11", "libxkbcommon-x11-0"),
)


def display_hint(
    env: Mapping[str, str] | None = None,
    platform: str | None = None,
    find_library: Callable[[str], str | None] = ctypes.util.find_library,
) -> str | None:
    """A one-line hint when Qt's xcb plugin is going to fail for lack of system libraries."""
    env = os.environ if env is None else env
    if not (platform or sys.platform).startswith("linux") or env.get("CONTACT360_SKIP_DISPLAY_CHECK"):
        return None
    qpa = env.get("QT_QPA_PLATFORM", "")
    if qpa and not qpa.startswith("xcb"):
        return None  # offscreen, wayland, vnc...: not our concern
    if not qpa and env.get("WAYLAND_DISPLAY"):
        return None  # Qt uses Wayland there
    if not env.get("DISPLAY"):
        return None  # no X display: Qt's own message ("could not connect to display") says it
    missing = [package for library, package in XCB_LIBRARIES if not find_library(library)]
    if not missing:
        return None
    return (
        "Contact360 cannot open a window: Qt's X11 support needs system libraries that are missing. "
        f"On Debian/Ubuntu run: sudo apt install {' '.join(missing)}"
    )


def setup_logging(settings: Settings | None) -> Path | None:
    """Log to a rotating file in the data dir (and warnings to stderr); returns the file."""
    root = logging.getLogger()
    if any(getattr(h, "_contact360", False) for h in root.handlers):
        return None
    root.setLevel(logging.INFO)
    stream = logging.StreamHandler()
    stream.setLevel(logging.WARNING)
    stream._contact360 = True  # type: ignore[attr-defined]
    root.addHandler(stream)
    if settings is None:
        return None
    path = settings.data_dir / "logs" / "contact360.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"))
    handler._contact360 = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    return path


class ErrorReporter:
    """``sys.excepthook``: log the traceback, show the person a readable message (never a traceback)."""

    def __init__(self, log_file: Path | None = None) -> None:
        self.log_file = log_file
        self.showing = False
        self.last_message: str | None = None
        self.show_dialogs = True

    def message_for(self, exc: BaseException) -> str:
        text = str(getattr(exc, "orig", None) or exc).strip()
        first = text.splitlines()[0] if text else exc.__class__.__name__
        where = f"\n\nDetails were written to {self.log_file}." if self.log_file else ""
        return f"Something went wrong: {first}{where}"

    def __call__(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        log.error("unhandled exception:\n%s", "".join(traceback.format_exception(exc_type, exc, tb)))
        self.last_message = self.message_for(exc)
        if self.showing or not self.show_dialogs:
            return
        from PySide6.QtWidgets import QApplication, QMessageBox

        if QApplication.instance() is None or threading.current_thread() is not threading.main_thread():
            return
        self.showing = True
        try:
            QMessageBox.critical(QApplication.activeWindow(), "Contact360", self.last_message)
        finally:
            self.showing = False

    def install(self) -> None:
        sys.excepthook = self

        def thread_hook(args: threading.ExceptHookArgs) -> None:
            log.error(
                "unhandled exception in thread %s:\n%s",
                args.thread.name if args.thread else "?",
                "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)),
            )

        threading.excepthook = thread_hook


def create_application(argv: Sequence[str] | None = None) -> Any:
    """The QApplication with our names (QSettings), icon, style and high-DPI policy."""
    from PySide6.QtWidgets import QApplication

    from contact360_desktop.ui.theme import apply_theme, set_high_dpi_policy

    existing = QApplication.instance()
    if existing is None:
        set_high_dpi_policy()
        app = QApplication(list(argv if argv is not None else sys.argv[:1]))
    else:
        assert isinstance(existing, QApplication)
        app = existing
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("Contact360")
    app.setDesktopFileName(DESKTOP_FILE)
    from contact360_desktop import __version__

    app.setApplicationVersion(__version__)
    apply_theme(app)  # type: ignore[arg-type]
    return app


def bootstrap(settings: Settings, *, start_pool: bool = True, **context_options: Any) -> tuple[Any, Any]:
    """Create the context and the main window, show it, start the database in the background."""
    from PySide6.QtWidgets import QApplication

    from contact360_desktop.ui.context import AppContext
    from contact360_desktop.ui.main_window import MainWindow

    app = QApplication.instance()
    context = AppContext(settings, **context_options)
    window = MainWindow(context)
    window.show()
    context.start(start_pool=start_pool)
    if app is not None:
        app.aboutToQuit.connect(context.shutdown)
    return context, window


def _quit_on_signals(app: Any) -> None:
    """Ctrl+C or SIGTERM (from a terminal or a session manager) quits cleanly: the pool stops and
    the embedded server is released. A timer lets Python run its signal handlers during exec()."""
    import signal

    from PySide6.QtCore import QTimer

    def quit_app(signum: int, frame: Any) -> None:
        log.info("signal %s: quitting", signum)
        app.quit()

    for name in ("SIGINT", "SIGTERM"):
        sig = getattr(signal, name, None)
        if sig is not None:
            try:
                signal.signal(sig, quit_app)
            except ValueError:  # not the main thread
                return
    timer = QTimer(app)
    timer.setInterval(250)
    timer.timeout.connect(lambda: None)
    timer.start()


def run(argv: Sequence[str] | None = None) -> int:
    """Run the desktop app until the main window closes; returns the exit code."""
    hint = display_hint()
    if hint:
        print(hint, file=sys.stderr)
        return 1
    settings_error: SettingsError | None = None
    settings: Settings | None = None
    try:
        settings = load_settings()
    except SettingsError as exc:
        settings_error = exc
    log_file = setup_logging(settings)
    reporter = ErrorReporter(log_file)
    reporter.install()
    app = create_application(argv)
    if settings is None:
        from PySide6.QtWidgets import QMessageBox

        print(f"contact360: {settings_error}", file=sys.stderr)
        QMessageBox.critical(None, "Contact360 settings", f"The settings cannot be used:\n\n{settings_error}")
        return 2
    context, window = bootstrap(settings)
    _quit_on_signals(app)
    try:
        return int(app.exec())
    finally:
        context.shutdown()
