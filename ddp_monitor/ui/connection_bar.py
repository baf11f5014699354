"""The connection bar: badge, Reconnect now, the server's URL, battery saving, the RTT probe, RTT and msg/s.

Owns ``ConnectionBar``; imports QtWidgets/QtGui/QtCore, ``ui.status_badge`` and
``ui.elided_label``.
The buttons show actions the window owns (shortcuts live on the actions, so
the menu, the bar and the keyboard do the same thing). A recording's page
keeps the badge and shows what the recording is where the URL was.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ddp_monitor.ui.elided_label import ElidedLabel
from ddp_monitor.ui.status_badge import StatusBadge

__all__ = ["ConnectionBar"]


class ConnectionBar(QFrame):
    """One row under the menu: the connection's state and its two main actions."""

    def __init__(
        self,
        reconnect: QAction,
        battery_saving: QAction,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("connectionBar")
        self.badge = StatusBadge()
        self.reconnect_button = _button(reconnect, "reconnectButton")
        self.battery_button = _button(battery_saving, "batteryToggle")
        self.url = QLineEdit()
        self.url.setObjectName("urlField")
        self.url.setPlaceholderText("server URL, e.g. localhost:3000")
        self.url.setToolTip(
            "The server this page talks to. Type another and press Enter to "
            "connect there (Meteor's reconnect({url}))."
        )
        self.url.setMinimumWidth(90)
        self.url.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.rtt = QLabel("RTT -")
        self.rtt.setObjectName("meterLabel")
        self.rtt.setToolTip(_RTT_NONE)
        self.rtt.setMinimumWidth(
            self.rtt.fontMetrics().horizontalAdvance("RTT 888.8 ms")
        )
        self.rtt.setAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )
        self.probe = QToolButton()
        self.probe.setObjectName("probeToggle")
        self.probe.setText("Probe")
        self.probe.setCheckable(True)
        self.probe.setToolTip(
            "Send a DDP ping every 2 s to measure the round trip. Off by default: "
            "it changes the traffic you watch (the server never sees 15 s of "
            "silence). The log marks these frames as ddp-monitor's own."
        )
        self.rate = QLabel("0 msg/s")
        self.rate.setObjectName("meterLabel")
        self.rate.setToolTip("Frames per second, both directions, over the last second")
        self.rate.setMinimumWidth(
            self.rate.fontMetrics().horizontalAdvance("8,888 msg/s")
        )
        self.rate.setAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )
        layout = QHBoxLayout(self)
        # Tight: with the sidebar it must fit 1024 px in DejaVu Sans at 10 pt
        # (X11's usual font), wider than the offscreen tests' font.
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(6)
        layout.addWidget(self.badge)
        layout.addWidget(self.reconnect_button)
        layout.addWidget(self.url, 1)
        self.recording = ElidedLabel()
        self.recording.setObjectName("recordingLabel")
        self.recording.hide()
        layout.addWidget(self.recording, 1)
        layout.addWidget(self.battery_button)
        layout.addSpacing(4)
        layout.addWidget(self.probe)
        # The two figures stacked: side by side they took the 80 px the bar
        # lacked at 1024 px with the countdown's words whole.
        meters = QVBoxLayout()
        meters.setContentsMargins(0, 0, 0, 0)
        meters.setSpacing(0)
        meters.addWidget(self.rtt)
        meters.addWidget(self.rate)
        layout.addLayout(meters)

    def show_recording(self, words: str) -> None:
        """A recording's page: what it is in the URL's place; no live controls.

        Elided in the middle when narrow: what it is of and that it is
        read-only stay in view; the tooltip has the words whole.
        """
        if self.recording.isHidden():
            for live in (
                self.url,
                self.reconnect_button,
                self.battery_button,
                self.probe,
                self.rtt,
                self.rate,
            ):
                live.hide()
            self.recording.show()
        self.recording.setText(words)

    @Slot(str)
    def show_url(self, url: str) -> None:
        """The server's URL, shown from its start (the host matters most)."""
        self.url.setText(url)
        self.url.setCursorPosition(0)

    @Slot(float, object, str)
    def show_meter(self, per_second: float, rtt: float | None, source: str) -> None:
        """Messages per second and the last round trip (seconds, or None) with its source."""
        self.rate.setText(f"{per_second:,.0f} msg/s")
        self.rtt.setText("RTT -" if rtt is None else f"RTT {rtt * 1000:.1f} ms")
        self.rtt.setToolTip(
            _RTT_NONE if rtt is None else f"Round trip, measured on: {source}"
        )


_RTT_NONE = (
    "The last round trip, from what the connection does anyway: the "
    "heartbeat's ping (after 17.5 s without a message) or a method call. "
    "None while not connected; Probe measures it every 2 s."
)


def _button(action: QAction, name: str) -> QToolButton:
    button = QToolButton()
    button.setObjectName(name)
    button.setDefaultAction(action)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setAutoRaise(False)
    return button
