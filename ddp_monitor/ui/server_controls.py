"""The Server tab's two bars: where to host (and the URL to copy), and ``HTTP_FORWARDED_COUNT``.

Owns ``HostingBar``, ``ForwardingBar`` and ``server_title`` (the panel's
title, also the dock's and its button's); imports QtWidgets/QtGui/QtCore and
the ``ddp.server.forwarding`` rule values. They hold no server: they emit what the
user asked for, and show what the ``ServerAdaptor`` reports back.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ddp_monitor.ddp.server.forwarding import ForwardedRule

__all__ = ["ForwardingBar", "HostingBar", "server_title"]


def server_title(url: str, connections: int) -> str:
    """The Server panel's title: how many connections, or that nothing is hosted."""
    return f"Server ({connections:,})" if url else "Server (off)"


#: What the rule box offers (forwarding.py's docstring tells them apart).
RULE_NAMES = {
    ForwardedRule.CURRENT: "current (ddp-server \u2265 3.1.1)",
    ForwardedRule.LEGACY: "legacy (Meteor 1.x / 2.x)",
}


class HostingBar(QWidget):
    """Host, port, demo or empty, Start/Stop; the URL clients should use, copyable.

    Signals:
        start_requested(str, int, bool): host, port (0: any free one), demo app.
        stop_requested()
        connect_requested(str): open a page connected to the hosted server's URL.
    """

    start_requested = Signal(str, int, bool)
    stop_requested = Signal()
    connect_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = QLineEdit("127.0.0.1")
        self.host.setToolTip("Address to listen on (127.0.0.1: this machine only)")
        self.host.setMaximumWidth(140)
        self.port = QSpinBox()
        self.port.setRange(0, 65535)
        self.port.setSpecialValueText("any free")
        self.port.setToolTip("TCP port; 0 picks a free one")
        self.port.setMinimumWidth(90)
        self.demo = QCheckBox("Demo app")
        self.demo.setChecked(True)
        self.demo.setToolTip(
            "Serve the demo's methods and publications, or an empty server"
        )
        self.toggle = QPushButton("Start hosting")
        self.toggle.clicked.connect(self._toggle)
        self.url = QLineEdit()
        self.url.setReadOnly(True)
        self.url.setPlaceholderText("not hosting")
        self.url.setToolTip("The URL other DDP clients should connect to")
        self.copy = QPushButton("Copy")
        self.copy.setToolTip("Copy the URL for another client")
        self.copy.clicked.connect(self.copy_url)
        self.connect_here = QPushButton("Connect")
        self.connect_here.setToolTip(
            "Connect to this server: a page of this window, talking to it"
        )
        self.connect_here.clicked.connect(
            lambda: self.connect_requested.emit(self.url.text())
        )
        self.error = QLabel()
        self.error.setObjectName("validBad")
        self.error.setWordWrap(True)
        self.error.hide()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for label, field in (("Host", self.host), ("Port", self.port)):
            row.addWidget(QLabel(label))
            row.addWidget(field)
        row.addWidget(self.demo)
        row.addWidget(self.toggle)
        row.addSpacing(12)
        row.addWidget(QLabel("URL"))
        row.addWidget(self.url, 1)
        row.addWidget(self.copy)
        row.addWidget(self.connect_here)
        self.show_hosting("")

    @property
    def hosting(self) -> bool:
        return bool(self.url.text())

    def show_hosting(self, url: str, host: str = "", port: int = 0) -> None:
        """Reflect the adaptor: ``url`` is "" when nothing is hosted."""
        self.url.setText(url)
        self.copy.setEnabled(bool(url))
        self.connect_here.setEnabled(bool(url))
        self.toggle.setText("Stop hosting" if url else "Start hosting")
        self.toggle.setEnabled(True)
        for field in (self.host, self.port, self.demo):
            field.setEnabled(not url)
        if url:
            self.host.setText(host)
            self.port.setValue(port)
            self.show_error("")

    def show_error(self, why: str) -> None:
        self.error.setText(f"\u2717 {why}" if why else "")
        self.error.setVisible(bool(why))
        self.toggle.setEnabled(True)

    def copy_url(self) -> None:
        if self.url.text():
            QGuiApplication.clipboard().setText(self.url.text())

    def _toggle(self) -> None:
        self.toggle.setEnabled(False)  # until the adaptor answers
        if self.hosting:
            self.stop_requested.emit()
        else:
            self.show_error("")
            self.start_requested.emit(
                self.host.text().strip(), self.port.value(), self.demo.isChecked()
            )


class ForwardingBar(QWidget):
    """``HTTP_FORWARDED_COUNT`` and the ``client_address`` rule, as Meteor would apply them.

    Signals:
        forwarding_chosen(int, object): count and ``ForwardedRule``.
    """

    forwarding_chosen = Signal(int, object)

    def __init__(
        self,
        count: int,
        rule: ForwardedRule,
        from_environment: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.count = QSpinBox()
        self.count.setRange(0, 20)
        self.count.setValue(count)
        self.count.setToolTip(
            "Proxies in front of the server: Meteor takes the client's address "
            "from X-Forwarded-For when this is above 0"
        )
        self.rule = QComboBox()
        for value, name in RULE_NAMES.items():
            self.rule.addItem(name, value)
        self.rule.setCurrentIndex(self.rule.findData(rule))
        self.rule.setToolTip(
            "current: the header must hold exactly N entries; legacy: the N-th "
            "entry from the end"
        )
        self._name_unit(self.count.value())
        self.count.valueChanged.connect(self._name_unit)
        label = QLabel("HTTP_FORWARDED_COUNT")
        # What the count means, where the eye is (a hint line cost a whole row).
        label.setToolTip(
            "client address = what the server reports behind that many proxies"
            + (" (set from the environment)" if from_environment else "")
            + ". New connections get this clientAddress from the server too."
        )
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(label)
        row.addWidget(self.count)
        if from_environment:
            source = QLabel("(from the environment)")
            source.setObjectName("hintLabel")
            row.addWidget(source)
        row.addWidget(QLabel("rule"))
        row.addWidget(self.rule)
        self.count.valueChanged.connect(self._chosen)
        self.rule.currentIndexChanged.connect(self._chosen)

    def _chosen(self, *_: object) -> None:
        self.forwarding_chosen.emit(
            self.count.value(), ForwardedRule(self.rule.currentData())
        )

    def _name_unit(self, count: int) -> None:
        self.count.setSuffix(" proxy" if count == 1 else " proxies")
