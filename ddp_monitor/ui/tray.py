"""The tray icon: the status of the connections that notify, and their notices.

Owns ``StatusTray`` and ``TrayMessage``; imports QtWidgets/QtGui/QtCore,
``qt.notices`` (the ``Notice`` value), ``qt.status_look`` and
``ui.resources`` (the status icons). Issue 13 item 16.

Why ``QSystemTrayIcon``: it is Qt's portable way to the system's
notification service (the freedesktop notification service through the
StatusNotifierItem tray on Linux, the notification centre on macOS, toasts
on Windows), and its icon shows the status between notices, so no second
mechanism (a D-Bus client of our own, a notifier library) is needed. Where
the system has no tray, a notice goes to the window's status bar instead.

The icon exists only while a connection that notifies is open (profiles
notify when asked to, off by default). It shows the worst status among
them (failed, waiting, connecting, offline, connected: the order of what
needs the user most), with each connection's words in its tooltip; a click
on it or on a notice brings the window forward on that connection.
``deliver`` is the one place a notice leaves the app: tests put a recorder
there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QMainWindow, QSystemTrayIcon

from ddp_monitor.ddp.client.status import ConnectionStatus, Status
from ddp_monitor.qt.notices import Notice
from ddp_monitor.qt.status_look import look
from ddp_monitor.ui.resources import icon

__all__ = ["StatusTray", "TrayMessage"]

#: How long a notice stays up where the system lets the app say (ms).
SHOWN_MS = 8000
_S = ConnectionStatus
#: Worst first: the tray shows the status that needs the user most.
_ORDER = (_S.FAILED, _S.WAITING, _S.CONNECTING, _S.OFFLINE, _S.CONNECTED)


@dataclass(frozen=True, slots=True)
class TrayMessage:
    """What is handed to the system: a title, a sentence, a status icon's name."""

    key: str
    title: str
    body: str
    icon: str


class StatusTray(QObject):
    """One tray icon for the window's notifying connections.

    Args:
        window: brought forward when the icon or a notice is clicked; its
            status bar shows notices where there is no tray.

    Signals:
        connection_chosen(str): the user clicked the icon or a notice of this
            connection.
    """

    connection_chosen = Signal(str)

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.icon: QSystemTrayIcon | None = None
        self._looks: dict[str, tuple[str, Status, bool]] = {}  # label, status, saving
        self._last: str | None = None  # the connection of the last notice
        #: Where each notice goes (the seam tests record through).
        self.deliver: Callable[[TrayMessage], None] = self._to_system

    @property
    def watched(self) -> list[str]:
        return list(self._looks)

    def watch(self, key: str, label: str, status: Status, saving: bool) -> None:
        """Show ``key`` in the tray (the icon appears with the first one)."""
        self._looks[key] = (label, status, saving)
        if self.icon is None:
            self.icon = QSystemTrayIcon(self)
            self.icon.activated.connect(self._activated)
            self.icon.messageClicked.connect(self._message_clicked)
        self._show()
        self.icon.show()

    def forget(self, key: str) -> None:
        """``key`` closed or stopped notifying; the icon goes with the last one."""
        if self._looks.pop(key, None) is None:
            return
        if self._looks:
            self._show()
        elif self.icon is not None:
            self.icon.hide()
            self.icon.deleteLater()
            self.icon = None

    @Slot(str, object, bool)
    def show_status(self, key: str, status: Status, saving: bool) -> None:
        known = self._looks.get(key)
        if known is not None:
            self._looks[key] = (known[0], status, saving)
            self._show()

    @Slot(str, object)
    def show_notice(self, key: str, notice: Notice) -> None:
        """Hand ``notice`` of connection ``key`` to the system (``deliver``)."""
        self._last = key
        name = f"status-{notice.status.value}"
        self.deliver(TrayMessage(key, notice.title, notice.body, name))

    def status_icon(self) -> str:
        """The icon's name now: the worst status among the watched connections."""
        statuses = {status.status for _, status, _ in self._looks.values()}
        worst = next((s for s in _ORDER if s in statuses), _S.CONNECTED)
        return f"status-{worst.value}"

    def tooltip(self) -> str:
        lines = [
            f"{label}: {look(status, battery_saving=saving).words}"
            for label, status, saving in self._looks.values()
        ]
        return "\n".join(["ddp-monitor", *lines])

    def _show(self) -> None:
        if self.icon is not None:
            self.icon.setIcon(icon(self.status_icon()))
            self.icon.setToolTip(self.tooltip())

    def _to_system(self, message: TrayMessage) -> None:
        tray = self.icon
        if (
            tray is not None
            and QSystemTrayIcon.isSystemTrayAvailable()
            and QSystemTrayIcon.supportsMessages()
        ):
            tray.showMessage(message.title, message.body, icon(message.icon), SHOWN_MS)
        else:
            self.window.statusBar().showMessage(
                f"{message.title} \N{EM DASH} {message.body}", SHOWN_MS
            )

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason is not QSystemTrayIcon.ActivationReason.Context:
            self._bring_forward(self._last)

    def _message_clicked(self) -> None:
        self._bring_forward(self._last)

    def _bring_forward(self, key: str | None) -> None:
        window = self.window
        if window.isMinimized():
            window.showNormal()
        else:
            window.show()
        window.raise_()
        window.activateWindow()
        if key is not None and key in self._looks:
            self.connection_chosen.emit(key)
