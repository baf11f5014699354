"""The Server dock: the hosted server's panel, a window-level place of its own.

Owns ``ServerDock``; imports QtWidgets/QtGui/QtCore and ``ui.server_tab`` (the
panel's two modes: host a server, proxy an app).
The panel used to ride in the selected connection page's tabs, so with no
connection open it had nowhere to show while a server was still hosted
(docs/ux.md: "Server tab (or a dock when hosting)"). As a dock it sits
beside whichever page is shown (closing a client's connection here and
watching that client reconnect there is the point of issue 5 item 4), can
float to a second screen, and its place and size are saved with the window's
state. One checkable action (Ctrl+5, the View menu, the status bar) shows
and hides it, and follows it when its own title bar closes it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from ddp_monitor.ui.server_tab import ServerTab

__all__ = ["ServerDock"]

_Feature = QDockWidget.DockWidgetFeature
_SHARE = 0.5  # of the window's height, the first time the dock is shown


class ServerDock(QDockWidget):
    """Holds ``panel``; ``action`` (checkable) shows and hides it."""

    def __init__(
        self, panel: ServerTab, action: QAction, parent: QWidget | None = None
    ) -> None:
        super().__init__(panel.title(), parent)
        self.setObjectName("serverDock")  # saveState/restoreState find it by name
        self.panel = panel
        self.action = action
        self._sized = False  # given a height yet (restoreState gives one too)
        self.setWidget(panel)
        self.setFeatures(
            _Feature.DockWidgetClosable
            | _Feature.DockWidgetMovable
            | _Feature.DockWidgetFloatable
        )
        self.setAllowedAreas(
            Qt.DockWidgetArea.BottomDockWidgetArea
            | Qt.DockWidgetArea.RightDockWidgetArea
            | Qt.DockWidgetArea.TopDockWidgetArea
        )
        self.visibilityChanged.connect(self._follow)
        panel.title_changed.connect(self._show_title)
        action.toggled.connect(self.show_panel)
        self._show_title(panel.title())

    @Slot(bool)
    def show_panel(self, on: bool = True) -> None:
        """Show (raised, its filter focused) or hide the dock."""
        first = on and not self._sized
        self.setVisible(on)
        if on:
            window = self.parentWidget()
            if first and isinstance(window, QMainWindow) and not self.isFloating():
                # Shown for the first time: room for a dozen rows and the detail.
                height = int(window.height() * _SHARE)
                window.resizeDocks([self], [height], Qt.Orientation.Vertical)
            self._sized = self._sized or on
            self.raise_()
            self.panel.filter.setFocus()

    def restored(self) -> None:
        """The window restored the dock's saved place and size: keep them."""
        self._sized = True

    def _follow(self, _: bool) -> None:
        # Shown, floated or closed from its own title bar: the action follows.
        shown = not self.isHidden()
        if self.action.isChecked() != shown:
            self.action.blockSignals(True)
            self.action.setChecked(shown)
            self.action.blockSignals(False)

    def _show_title(self, title: str) -> None:
        self.setWindowTitle(title)
        self.action.setText(title)
