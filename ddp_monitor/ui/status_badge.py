"""The status badge: the one thing visible from across the room.

Owns ``StatusBadge``; imports QtWidgets/QtGui/QtCore, ``qt.status_look`` and
``ddp.status`` values. Colour, icon and words always together (never colour
alone); while waiting the words carry the live countdown in tenths; the
tooltip shows ``Meteor.status()`` exactly as a Meteor app would read it.
"""

from __future__ import annotations

import json
import time

from PySide6.QtCore import QSize, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from ddp_monitor.ddp.status import ConnectionStatus, Status, meteor_status
from ddp_monitor.qt.status_look import look
from ddp_monitor.ui.resources import icon

__all__ = ["StatusBadge"]

_ICON = QSize(22, 22)


class StatusBadge(QFrame):
    """Icon + words on a tinted background in the status colour."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBadge")
        self._icon = QLabel()
        self._icon.setFixedSize(_ICON)
        self._words = QLabel()
        self._words.setObjectName("statusWords")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 12, 4)
        layout.setSpacing(8)
        layout.addWidget(self._icon)
        layout.addWidget(self._words)
        self._status = Status(ConnectionStatus.CONNECTING, connected=False)
        self._battery_saving = False
        self._remaining: float | None = None
        self._shown_icon = ""
        # Room for the longest waiting text, so the bar does not jump each tick.
        self._words.setMinimumWidth(
            self._words.fontMetrics().horizontalAdvance("Waiting - retry 10 in 300.0 s")
            + 24
        )
        self._render()

    @property
    def status(self) -> Status:
        return self._status

    @property
    def words(self) -> str:
        return self._words.text()

    @property
    def icon_name(self) -> str:
        return look(self._status).icon

    @Slot(object)
    def show_status(self, status: Status) -> None:
        self._status = status
        if status.status is not ConnectionStatus.WAITING:
            self._remaining = None
        self._render()

    @Slot(bool)
    def show_battery_saving(self, on: bool) -> None:
        self._battery_saving = on
        self._render()

    @Slot(float)
    def show_remaining(self, seconds: float) -> None:
        """The countdown's tick: seconds until the next retry."""
        self._remaining = seconds
        self._render()

    def _render(self) -> None:
        shown = look(self._status, self._remaining, battery_saving=self._battery_saving)
        if self._words.text() != shown.words:
            self._words.setText(shown.words)
        meteor = meteor_status(self._status, time.monotonic(), time.time() * 1000)
        self.setToolTip("Meteor.status():\n" + json.dumps(meteor, indent=2))
        if shown.icon == self._shown_icon:
            return
        # Restyle only when the status kind changes: not on every countdown tick.
        self._shown_icon = shown.icon
        self._icon.setPixmap(icon(shown.icon).pixmap(_ICON))
        tint = QColor(shown.colour)
        tint.setAlphaF(0.16)
        self.setStyleSheet(
            "#statusBadge {"
            f" background: rgba({tint.red()},{tint.green()},{tint.blue()},{tint.alphaF():.2f});"
            f" border: 2px solid {shown.colour.name()}; border-radius: 8px; }}"
        )
