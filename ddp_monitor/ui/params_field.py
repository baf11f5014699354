"""An editor for EJSON parameters that says, as you type, whether they can be sent.

Owns ``ParamsField``; imports QtWidgets/QtGui/QtCore and ``qt.params``. The
method console and the subscribe form both use it; Ctrl+Enter submits.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QKeyEvent
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QWidget

from ddp_monitor.qt.params import ParamsError, describe_params, parse_params

__all__ = ["ParamsField"]


class ParamsField(QPlainTextEdit):
    """A short monospace editor; ``status_label`` shows the verdict.

    Signals:
        validity_changed(bool): the text became valid or invalid.
        submitted(): Ctrl+Enter (or Enter on one line; Shift+Enter for a new
            line) was pressed while valid.
    """

    validity_changed = Signal(bool)
    submitted = Signal()

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("paramsEdit")
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setPlaceholderText(placeholder)
        self.setTabChangesFocus(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        lines = 2
        self.setFixedHeight(self.fontMetrics().lineSpacing() * lines + 14)
        self.status_label = QLabel()
        self.status_label.setObjectName("validOk")
        self._params: list[Any] = []
        self._error: str | None = None
        self.textChanged.connect(self._validate)
        self._validate()

    @property
    def valid(self) -> bool:
        return self._error is None

    @property
    def params(self) -> list[Any]:
        """The parsed parameters (only meaningful while ``valid``)."""
        return self._params

    @property
    def error(self) -> str | None:
        return self._error

    def _validate(self) -> None:
        was = self.valid
        try:
            self._params = parse_params(self.toPlainText())
        except ParamsError as exc:
            self._error = exc.message
            self.status_label.setText("\u2717 " + exc.message)
            self.status_label.setObjectName("validBad")
        else:
            self._error = None
            self.status_label.setText("\u2713 " + describe_params(self._params))
            self.status_label.setObjectName("validOk")
        # Object-name selectors only re-apply after a re-polish.
        style = self.status_label.style()
        style.unpolish(self.status_label)
        style.polish(self.status_label)
        if was != self.valid:
            self.validity_changed.emit(self.valid)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        mods = event.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        if enter and not shift and (ctrl or self.document().blockCount() == 1):
            if self.valid:
                self.submitted.emit()
            return
        super().keyPressEvent(event)
