"""The filter box above a table: type to narrow the rows, once typing pauses.

Owns ``FilterField``; imports QtWidgets/QtCore only. Every tab's filter is one
of these, so Ctrl+F finds the current tab's filter the same way everywhere
and every filter waits the same short pause before re-filtering (a
100,000-row table is not re-filtered on every key press).
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLineEdit, QWidget

__all__ = ["FILTER_DELAY_MS", "FilterField"]

FILTER_DELAY_MS = 150  # re-filter once typing pauses, not on every key


class FilterField(QLineEdit):
    """A line edit with a clear button that emits ``filter_changed`` after a pause.

    Signals:
        filter_changed(str): the text to filter by, ``FILTER_DELAY_MS`` after
            the last key (at once through ``apply``).
    """

    filter_changed = Signal(str)

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(placeholder)
        self.setClearButtonEnabled(True)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FILTER_DELAY_MS)
        self._timer.timeout.connect(self.apply)
        self.textChanged.connect(self._timer.start)

    def apply(self) -> None:
        """Filter by the current text now (skips the pause)."""
        self._timer.stop()
        self.filter_changed.emit(self.text())

    def focus(self) -> None:
        """Ctrl+F: focus and select the whole text, ready to be typed over."""
        self.setFocus()
        self.selectAll()
