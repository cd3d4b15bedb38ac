"""Look and feel: the application icon, the style, following the system's light/dark scheme."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

RESOURCES = Path(__file__).resolve().parents[1] / "resources"
ICON_DIR = RESOURCES / "icons"
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)


def app_icon() -> QIcon:
    """The application icon, from the PNG sizes (and the SVG for anything in between)."""
    icon = QIcon()
    for size in ICON_SIZES:
        png = ICON_DIR / f"contact360-{size}.png"
        if png.exists():
            icon.addFile(str(png))
    svg = ICON_DIR / "contact360.svg"
    if icon.isNull() and svg.exists():
        icon.addFile(str(svg))
    return icon


def stylesheet() -> str:
    path = RESOURCES / "style.qss"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def set_high_dpi_policy() -> None:
    """Call before the QApplication exists: crisp rendering at fractional scale factors."""
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)


def apply_theme(app: QApplication) -> None:
    """Fusion on Linux (it follows the system colour scheme since Qt 6.5); native elsewhere."""
    if sys.platform.startswith("linux"):  # a no-op when the Fusion style is missing
        app.setStyle("Fusion")
    app.setWindowIcon(app_icon())
    app.setStyleSheet(stylesheet())
    hints = app.styleHints()
    # Re-polish when the user switches between light and dark while the app runs.
    hints.colorSchemeChanged.connect(lambda _scheme: app.setStyleSheet(stylesheet()))


def is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark
