"""ProgressDelegate: paints a progress bar from ``ProgressRole`` (0..1, or -1 for busy)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
)

from contact360_desktop.ui.models.jobs_model import ProgressRole


class ProgressDelegate(QStyledItemDelegate):
    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        value = index.data(ProgressRole)
        if value is None:
            super().paint(painter, option, index)
            return
        # Selection background first, then the bar on top.
        style = option.widget.style() if option.widget else QApplication.style()  # type: ignore[union-attr]
        background = QStyleOptionViewItem(option)
        self.initStyleOption(background, index)
        background.text = ""
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, background, painter, option.widget)
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(3, 3, -3, -3)  # type: ignore[attr-defined]
        bar.state = option.state | QStyle.StateFlag.State_Horizontal  # type: ignore[attr-defined]
        bar.direction = option.direction  # type: ignore[attr-defined]
        bar.fontMetrics = option.fontMetrics  # type: ignore[attr-defined]
        bar.palette = option.palette  # type: ignore[attr-defined]
        bar.minimum = 0
        bar.textVisible = True
        bar.textAlignment = Qt.AlignmentFlag.AlignCenter
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        if value < 0:  # total unknown: show the row count in an empty bar
            bar.maximum = 1
            bar.progress = 0
            bar.text = str(text)
        else:
            bar.maximum = 1000
            bar.progress = int(round(value * 1000))
            bar.text = f"{value:.0%}" + (f"  ({text})" if text else "")
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget)
