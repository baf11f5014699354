"""A one-line label that gives way when narrow: its middle elided, the whole text in its tooltip.

Owns ``ElidedLabel``; imports QtWidgets/QtGui/QtCore. Used where a line's
start and end both matter (a recording's bar: what it is of, and that it is
read-only) and the window may be 1024 pixels wide.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QFrame, QSizePolicy, QWidget

__all__ = ["ElidedLabel"]


class ElidedLabel(QFrame):
    """Text on one line, elided in the middle to fit (``text()`` stays whole)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def text(self) -> str:
        return self._text

    def shown_text(self) -> str:
        """What fits now (the whole text, or its ends around an ellipsis)."""
        width = self.contentsRect().width()
        return self.fontMetrics().elidedText(
            self._text, Qt.TextElideMode.ElideMiddle, width
        )

    def setText(self, text: str) -> None:
        self._text = text
        self.setToolTip(text)
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        return QSize(metrics.horizontalAdvance(self._text), metrics.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance("M" * 8), 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        painter = QPainter(self)
        painter.drawText(
            self.contentsRect(),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            self.shown_text(),
        )
