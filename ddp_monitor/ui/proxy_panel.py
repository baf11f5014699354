"""The Server panel's proxy mode: a Meteor app's clients, one row each, with faults.

Owns ``ProxyPanel``: the proxy bar (the app's URL and a port, Start
proxying; or a headless proxy's control URL, Attach) on top of the shared
``ui.connections_panel`` (rows with Close and Close upstream, the fault bar,
the detail pane with the row and its frames); imports QtWidgets/QtCore,
``qt.proxy_adaptor``, ``qt.proxy_model`` and the panel parts in ``ui``. It
talks to the proxy only through ``ProxyAdaptor``, whose actions are the
control endpoint's methods, so a local proxy and one attached over DDP work
the same.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ddp_monitor.qt.proxy_adaptor import PROXY_RING, ProxyAdaptor
from ddp_monitor.qt.proxy_model import (
    CLOSE_COLUMN,
    CLOSE_UPSTREAM_COLUMN,
    ProxyConnectionModel,
)
from ddp_monitor.ui.connections_panel import ConnectionsPanel
from ddp_monitor.ui.fault_bar import FaultBar

__all__ = ["FaultBar", "ProxyPanel"]

_NOT_PROXYING = (
    "Not proxying. Give the app's URL and a port above and press Start proxying; "
    "then run the app with DDP_DEFAULT_CONNECTION_URL=http://localhost:<port>, "
    "or open http://localhost:<port> (everything else passes through to the app)."
)
_NO_CLIENTS = "No clients yet: {what}"


class ProxyPanel(ConnectionsPanel):
    """Proxy bar over the proxied connections, the fault bar and the detail pane.

    Signals:
        title_changed(str): the tab's title ("Proxy (3)", "Proxy (off)").
    """

    adaptor: ProxyAdaptor

    def __init__(self, adaptor: ProxyAdaptor, parent: QWidget | None = None) -> None:
        super().__init__(
            adaptor,
            ProxyConnectionModel(),
            table_name="proxyConnectionTable",
            empty_text=_NOT_PROXYING,
            closers={
                CLOSE_COLUMN: "proxy.close",
                CLOSE_UPSTREAM_COLUMN: "proxy.closeUpstream",
            },
            widths=(150, 90, 90, 100, 90, 40, 40, 70, 70, 80, 80, 160, 70, 110),
            parent=parent,
        )
        self.upstream = QLineEdit()
        self.upstream.setPlaceholderText("the app: http://localhost:3000")
        self.port = QSpinBox()
        self.port.setRange(0, 65535)
        self.port.setValue(3100)
        self.port.setPrefix("port ")
        self.toggle = QPushButton("Start proxying")
        self.control_url = QLineEdit()
        self.control_url.setPlaceholderText("or a headless proxy's control URL")
        self.attach = QPushButton("Attach")
        self.record = QCheckBox("Record")
        self.record.setToolTip(
            "Keep a recording of each client connection opened from now on "
            f"(its last {PROXY_RING:,} frames and events), to save for the "
            "selected row (docs/recording-format.md)"
        )
        self.save_recording = QPushButton("Save recording...")
        self.save_recording.setEnabled(False)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Proxy an app:"))
        bar.addWidget(self.upstream, 2)
        bar.addWidget(self.port)
        bar.addWidget(self.toggle)
        bar.addSpacing(12)
        bar.addWidget(self.control_url, 1)
        bar.addWidget(self.attach)
        self._lay_out(bar, "proxySplitter", (self.record, self.save_recording))
        self.toggle.clicked.connect(self._toggle)
        self.record.toggled.connect(adaptor.set_recording)
        self.save_recording.clicked.connect(self._ask_save_recording)
        self.attach.clicked.connect(
            lambda: self._spawn(adaptor.attach(self.control_url.text().strip()))
        )
        self._source_changed("")

    def _toggle(self) -> None:
        a = self.adaptor
        if a.active:
            self._spawn(a.stop())
        else:
            upstream = self.upstream.text().strip() or "http://localhost:3000"
            self._spawn(a.start(upstream, self.port.value()))

    def _ask_save_recording(self) -> None:
        ids = self.selected_ids()
        if len(ids) != 1:
            return
        name = f"proxied-{ids[0]}-{time.strftime('%Y%m%d-%H%M%S')}.ddprec"
        path, _ = QFileDialog.getSaveFileName(
            self, "Save recording", name, "ddp-monitor recordings (*.ddprec)"
        )
        if path:
            self.save_recording_to(ids[0], Path(path))

    def save_recording_to(self, connection_id: str, path: Path) -> bool:
        """Write the connection's recording; the state line says what happened."""
        try:
            count = self.adaptor.save_recording(connection_id, path)
        except (LookupError, OSError) as exc:
            self.state.setText(f"Cannot save the recording: {exc}")
            return False
        self.state.setText(f"Saved {count:,} frames and events to {path}")
        return True

    def _show_detail(self) -> None:
        ids = self.selected_ids()
        self.save_recording.setEnabled(len(ids) == 1 and self.adaptor.proxy is not None)
        super()._show_detail()

    def _source_changed(self, text: str) -> None:
        self.toggle.setText("Stop" if self.adaptor.active else "Start proxying")
        where = self.adaptor.url
        self.table.empty_text = (
            _NO_CLIENTS.format(what=f"point a Meteor client at {where}")
            if where
            else _NO_CLIENTS.format(what="the proxy has none")
            if self.adaptor.active
            else _NOT_PROXYING
        )
        super()._source_changed(text)

    def title(self) -> str:
        count = self.model.rowCount()
        return f"Proxy ({count:,})" if self.adaptor.active else "Proxy (off)"
