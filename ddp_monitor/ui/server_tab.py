"""The Server panel's two modes: host a server, or proxy an app.

Owns ``ServerTab``: the mode switch and a stack of the two panels; imports
QtWidgets/QtCore and ``ui.server_panel``/``ui.proxy_panel``. It offers what
the dock reads of a panel (``title()``, ``title_changed``, ``filter``) for
whichever mode is shown, so the dock does not know there are two.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ddp_monitor.ui.filter_field import FilterField
from ddp_monitor.ui.proxy_panel import ProxyPanel
from ddp_monitor.ui.server_panel import ServerPanel

__all__ = ["ServerTab"]


class _ShownSized(QStackedWidget):
    """A stack as small as the page it shows (Qt's takes the largest page's
    minimum): the proxy mode's fault bar must not make the hosting mode, and
    so the window, taller than a 640-pixel screen."""

    def __init__(self) -> None:
        super().__init__()
        self.currentChanged.connect(lambda _: self.updateGeometry())

    def minimumSizeHint(self) -> QSize:
        shown = self.currentWidget()
        return shown.minimumSizeHint() if shown is not None else QSize()

    def sizeHint(self) -> QSize:
        shown = self.currentWidget()
        return shown.sizeHint() if shown is not None else QSize()


class ServerTab(QWidget):
    """ "Host a server" or "Proxy an app", the same rows either way.

    Signals:
        title_changed(str): the shown mode's title.
    """

    title_changed = Signal(str)

    def __init__(
        self, host: ServerPanel, proxy: ProxyPanel, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.host_panel = host
        self.proxy_panel = proxy
        self.host_mode = QRadioButton("Host a server")
        self.proxy_mode = QRadioButton("Proxy an app")
        self.host_mode.setChecked(True)
        modes = QButtonGroup(self)
        modes.addButton(self.host_mode)
        modes.addButton(self.proxy_mode)
        self.stack = _ShownSized()
        self.stack.addWidget(host)
        self.stack.addWidget(proxy)
        switch = QHBoxLayout()
        switch.setContentsMargins(6, 6, 6, 0)
        switch.addWidget(self.host_mode)
        switch.addWidget(self.proxy_mode)
        switch.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(switch)
        layout.addWidget(self.stack, 1)
        self.proxy_mode.toggled.connect(self.show_proxy)
        host.title_changed.connect(lambda _: self.title_changed.emit(self.title()))
        proxy.title_changed.connect(lambda _: self.title_changed.emit(self.title()))

    def show_proxy(self, on: bool = True) -> None:
        """Show the proxy mode (or the hosting one)."""
        self.proxy_mode.setChecked(on)
        self.host_mode.setChecked(not on)
        self.stack.setCurrentWidget(self.proxy_panel if on else self.host_panel)
        self.title_changed.emit(self.title())

    @property
    def filter(self) -> FilterField:
        """The shown mode's filter field (the dock focuses it)."""
        return self.current.filter

    @property
    def current(self) -> ServerPanel | ProxyPanel:
        return self.proxy_panel if self.proxy_mode.isChecked() else self.host_panel

    def title(self) -> str:
        return self.current.title()
