"""ProgressDelegate: paints a progress bar from ``ProgressRole`` (0..1, or -1 for busy)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
)

from contact360_desktop.ui.models.jobs_model import ProgressRole

#: Widest the bar gets; the rest of the cell holds "36%  90,500 / 250,000".
BAR_WIDTH = 70


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
        # The bar on the left, the text beside it (never over the bar: text drawn across the
        # edge of the filled part is half in one colour, half in another, and hard to read).
        rect = option.rect.adjusted(4, 0, -4, 0)  # type: ignore[attr-defined]
        bar_width = min(BAR_WIDTH, max(rect.width() // 3, 24))
        bar = QStyleOptionProgressBar()
        bar_rect = QRect(rect.left(), rect.top(), bar_width, rect.height()).adjusted(0, 6, 0, -6)
        bar.rect = bar_rect  # type: ignore[attr-defined]
        # Not "selected": the chunk would take the selection colour and vanish in a selected row.
        bar.state = (option.state & ~QStyle.StateFlag.State_Selected) | QStyle.StateFlag.State_Horizontal  # type: ignore[attr-defined]
        bar.direction = option.direction  # type: ignore[attr-defined]
        bar.fontMetrics = option.fontMetrics  # type: ignore[attr-defined]
        bar.palette = option.palette  # type: ignore[attr-defined]
        bar.minimum = 0
        bar.textVisible = False
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        if value < 0:  # total unknown: an empty bar, the row count beside it
            bar.maximum = 1
            bar.progress = 0
            label = text
        else:
            bar.maximum = 1000
            bar.progress = int(round(value * 1000))
            label = f"{value:.0%}" + (f"  {text}" if text else "")
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget)
        text_rect = rect.adjusted(bar_width + 6, 0, 0, 0)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.save()
        painter.setPen(option.palette.color(role))  # type: ignore[attr-defined]
        elided = option.fontMetrics.elidedText(label, Qt.TextElideMode.ElideRight, text_rect.width())  # type: ignore[attr-defined]
        painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), elided)
        painter.restore()
