"""The Server panel's three modes: host a server, proxy an app, or attach to an app.

Owns ``ServerTab``: the mode switch and a stack of the three panels; imports
QtWidgets/QtCore and ``ui.server_panel``/``ui.proxy_panel``/``ui.agent_panel``.
It offers what the dock reads of a panel (``title()``, ``title_changed``,
``filter``) for whichever mode is shown, so the dock does not know there are
three.
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

from ddp_monitor.ui.agent_panel import AgentPanel
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
    """ "Host a server", "Proxy an app" or "Attach to an app", the same rows each way.

    Signals:
        title_changed(str): the shown mode's title.
    """

    title_changed = Signal(str)

    def __init__(
        self,
        host: ServerPanel,
        proxy: ProxyPanel,
        agent: AgentPanel,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.host_panel = host
        self.proxy_panel = proxy
        self.agent_panel = agent
        self.host_mode = QRadioButton("Host a server")
        self.proxy_mode = QRadioButton("Proxy an app")
        self.agent_mode = QRadioButton("Attach to an app")
        self.agent_mode.setToolTip(
            "a deployed app's servers, through ddp-monitor's Meteor agent package"
        )
        self.host_mode.setChecked(True)
        modes = QButtonGroup(self)
        self.stack = _ShownSized()
        switch = QHBoxLayout()
        switch.setContentsMargins(6, 6, 6, 0)
        self._panels: dict[QRadioButton, ServerPanel | ProxyPanel | AgentPanel] = {
            self.host_mode: host,
            self.proxy_mode: proxy,
            self.agent_mode: agent,
        }
        for button, panel in self._panels.items():
            modes.addButton(button)
            self.stack.addWidget(panel)
            switch.addWidget(button)
            button.toggled.connect(self._mode_toggled)
            panel.title_changed.connect(lambda _: self.title_changed.emit(self.title()))
        switch.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(switch)
        layout.addWidget(self.stack, 1)

    def _mode_toggled(self, on: bool) -> None:
        if on:
            self.stack.setCurrentWidget(self.current)
            self.title_changed.emit(self.title())

    def show_proxy(self, on: bool = True) -> None:
        """Show the proxy mode (or the hosting one)."""
        (self.proxy_mode if on else self.host_mode).setChecked(True)

    def show_agent(self) -> None:
        """Show the attach-to-an-app mode."""
        self.agent_mode.setChecked(True)

    @property
    def filter(self) -> FilterField:
        """The shown mode's filter field (the dock focuses it)."""
        return self.current.filter

    @property
    def current(self) -> ServerPanel | ProxyPanel | AgentPanel:
        return next(
            panel for button, panel in self._panels.items() if button.isChecked()
        )

    def title(self) -> str:
        return self.current.title()
