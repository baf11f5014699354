"""The Server dock: the hosted server's panel and the proxy's, a window-level place of its own.

Owns ``ServerDock``; imports QtWidgets/QtGui/QtCore, ``qt.server_adaptor``
and ``ui.server_controls`` (the title until the panel exists); the panel (a
``ui.server_tab.ServerTab``: host a server, or proxy an app) comes from a
factory the first time the dock is shown: at first run the dock is hidden,
and building the panel (and importing its modules) cost the first paint
~75 ms for nothing (issue 12); until then its table is not fed either.
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

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction, QShowEvent
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from ddp_monitor.qt.server_adaptor import ServerAdaptor
from ddp_monitor.ui.server_controls import server_title

if TYPE_CHECKING:
    from ddp_monitor.ui.server_tab import ServerTab

__all__ = ["ServerDock"]

_Feature = QDockWidget.DockWidgetFeature
_SHARE = 0.5  # of the window's height, the first time the dock is shown


class ServerDock(QDockWidget):
    """Holds the panel ``build`` makes when first shown; ``action`` (checkable) shows and hides it."""

    def __init__(
        self,
        adaptor: ServerAdaptor,
        build: Callable[[], ServerTab],
        action: QAction,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("", parent)
        self.setObjectName("serverDock")  # saveState/restoreState find it by name
        self.adaptor = adaptor
        self.action = action
        self._build = build
        self._panel: ServerTab | None = None
        self._sized = False  # given a height yet (restoreState gives one too)
        self.setWidget(QWidget())  # until the panel is built
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
        adaptor.hosting_changed.connect(self._retitle)
        adaptor.connections_flushed.connect(self._retitle)
        action.toggled.connect(self.show_panel)
        self._retitle()

    @property
    def panel(self) -> ServerTab:
        """The Server panel (built now if it was not yet)."""
        if self._panel is None:
            panel = self._panel = self._build()
            self.setWidget(panel)
            panel.title_changed.connect(self._retitle)
            self._retitle()
        return self._panel

    @property
    def built(self) -> bool:
        return self._panel is not None

    def showEvent(self, event: QShowEvent) -> None:
        self.panel  # noqa: B018  (shown: the panel must be there)
        super().showEvent(event)

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

    def _retitle(self, *_: Any) -> None:
        if self._panel is not None:  # either mode's own title
            title = self._panel.title()
        else:
            title = server_title(self.adaptor.url, self.adaptor.count)
        self.setWindowTitle(title)
        self.action.setText(title)
