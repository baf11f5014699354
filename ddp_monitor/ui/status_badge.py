"""The status badge: the one thing visible from across the room.

Owns ``StatusBadge``; imports QtWidgets/QtGui/QtCore, ``qt.status_look`` and
``ddp.client.status`` values. Colour, icon and words always together (never colour
alone); while waiting the words carry the live countdown in tenths; the
tooltip shows ``Meteor.status()`` exactly as a Meteor app would read it.
After a reconnect the words say what it came back to (session resumed or new)
and the tooltip explains it, until the connection goes again.
While connecting, the tint breathes (docs/ux.md: "subtle pulse"): one
``QVariantAnimation`` on the fill's alpha, running only in that status. The
badge paints its own rounded box, so a pulse frame is one small repaint, not
a stylesheet re-polish.
"""

from __future__ import annotations

import json
import time

from PySide6.QtCore import QEasingCurve, QRectF, QSize, Qt, QVariantAnimation, Slot
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from ddp_monitor.ddp.client.status import ConnectionStatus, Status, meteor_status
from ddp_monitor.qt.status_look import SessionOutcome, look
from ddp_monitor.ui.resources import icon

__all__ = ["StatusBadge"]

_ICON = QSize(22, 22)
_TINT = 0.16  # the fill's alpha at rest
_PULSE = (0.06, 0.34)  # the fill's alpha at the ends of a breath while connecting
_PULSE_MS = 1400  # one breath: slow enough to stay calm


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
        self._outcome: SessionOutcome | None = None
        self._last_failure = ""
        self._shown_icon = ""
        self._full_words = ""
        self._colour = QColor()
        self._alpha = _TINT
        self._pulse = QVariantAnimation(self)
        self._pulse.setDuration(_PULSE_MS)
        self._pulse.setKeyValueAt(0.0, _PULSE[0])
        self._pulse.setKeyValueAt(0.5, _PULSE[1])
        self._pulse.setKeyValueAt(1.0, _PULSE[0])
        self._pulse.setEasingCurve(QEasingCurve.Type.InOutSine)
        self._pulse.setLoopCount(-1)
        self._pulse.valueChanged.connect(self._breathe)
        # One width whatever the words, so the countdown's digits never move
        # the buttons beside it; what does not fit (the why after the
        # countdown) ends in an ellipsis, whole in the tooltip.
        self._words_width = 0
        self._render()

    @property
    def status(self) -> Status:
        return self._status

    @property
    def words(self) -> str:
        """The whole words (the label may show them cut short with an ellipsis)."""
        return self._full_words

    @property
    def icon_name(self) -> str:
        return look(self._status).icon

    @property
    def pulsing(self) -> bool:
        """The connecting pulse is running (and only then)."""
        return self._pulse.state() is QVariantAnimation.State.Running

    @property
    def outcome(self) -> SessionOutcome | None:
        return self._outcome

    @Slot(object)
    def show_status(self, status: Status) -> None:
        self._status = status
        if status.status is not ConnectionStatus.WAITING:
            self._remaining = None
        if status.status is not ConnectionStatus.CONNECTED:
            self._outcome = None  # the next `connected` says anew
        if status.status in (ConnectionStatus.CONNECTED, ConnectionStatus.OFFLINE):
            self._last_failure = ""
        self._render()

    def show_last_failure(self, reason: str) -> None:
        """Why the last attempt or link failed; the waiting words say it."""
        self._last_failure = reason
        self._render()

    def show_session_outcome(self, outcome: SessionOutcome | None) -> None:
        """What the last reconnect came back to (None: the first session)."""
        self._outcome = outcome
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

    def _fit_words(self) -> bool:
        """Size the words for the longest connected words and a countdown, in
        the font the style sheet gives them (known only once polished, and
        again after a theme change); True when the width changed."""
        self._words.ensurePolished()
        metrics = self._words.fontMetrics()
        width = 6 + max(
            metrics.horizontalAdvance(words)
            for words in ("Connected · session resumed", "Waiting - retry 88 in 88.8 s")
        )
        if width == self._words_width:
            return False
        self._words_width = width
        self._words.setFixedWidth(width)
        return True

    def _render(self) -> None:
        if self._fit_words():
            self._full_words = ""  # elide again for the new width
        outcome = self._outcome
        shown = look(
            self._status,
            self._remaining,
            battery_saving=self._battery_saving,
            outcome=outcome.words if outcome else "",
            last_failure=self._last_failure,
        )
        if self._full_words != shown.words:
            self._full_words = shown.words
            # A long failure reason is cut with an ellipsis: the banner and
            # the tooltip carry it whole, and the bar keeps its buttons.
            metrics = self._words.fontMetrics()
            self._words.setText(
                metrics.elidedText(
                    shown.words, Qt.TextElideMode.ElideRight, self._words_width
                )
            )
        meteor = meteor_status(self._status, time.monotonic(), time.time() * 1000)
        tip = shown.words + "\n\nMeteor.status():\n" + json.dumps(meteor, indent=2)
        self.setToolTip(f"{outcome.detail}\n\n{tip}" if outcome else tip)
        if shown.icon == self._shown_icon:
            return
        # Redraw the box only when the status kind changes: not on every tick.
        self._shown_icon = shown.icon
        self._icon.setPixmap(icon(shown.icon).pixmap(_ICON))
        self._colour = QColor(shown.colour)
        if self._status.status is ConnectionStatus.CONNECTING:
            self._pulse.start()
        else:
            self._pulse.stop()
            self._alpha = _TINT
        self.update()

    def _breathe(self, alpha: object) -> None:
        self._alpha = float(alpha)  # type: ignore[arg-type]  # a float key value
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        fill = QColor(self._colour)
        fill.setAlphaF(self._alpha)
        painter.setPen(QPen(self._colour, 2))
        painter.setBrush(fill)
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(1, 1, -1, -1), 8, 8)
        painter.end()
