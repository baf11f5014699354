"""The Server panel's proxy mode: a Meteor app's clients, one row each, with faults.

Owns ``ProxyPanel`` (the proxy bar, the fault bar, the rows with Close and
Close upstream, the detail pane with the row and its frames) and
``FaultBar``; imports QtWidgets/QtGui/QtCore, ``qt.proxy_adaptor``,
``qt.proxy_model`` and the panel parts in ``ui``. It talks to the proxy only
through ``ProxyAdaptor``, whose actions are the control endpoint's methods,
so a local proxy and one attached over DDP work the same.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ddp_monitor.qt.message_log_model import MessageLogModel
from ddp_monitor.qt.proxy_adaptor import PROXY_RING, ProxyAdaptor
from ddp_monitor.qt.proxy_model import (
    CLOSE_COLUMN,
    CLOSE_UPSTREAM_COLUMN,
    ProxyConnectionModel,
)
from ddp_monitor.ui.filter_field import FilterField
from ddp_monitor.ui.json_view import JsonView
from ddp_monitor.ui.message_log import MessageLogPanel
from ddp_monitor.ui.server_panel import CloseButtonDelegate
from ddp_monitor.ui.table_view import DenseTable

__all__ = ["FaultBar", "ProxyPanel"]

_NOT_PROXYING = (
    "Not proxying. Give the app's URL and a port above and press Start proxying; "
    "then run the app with DDP_DEFAULT_CONNECTION_URL=http://localhost:<port>, "
    "or open http://localhost:<port> (everything else passes through to the app)."
)
_NO_CLIENTS = "No clients yet: {what}"


def _spin(
    suffix: str, maximum: float, step: float = 10, prefix: str = ""
) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setPrefix(prefix)
    box.setRange(0, maximum)
    box.setDecimals(0)
    box.setSingleStep(step)
    box.setSuffix(suffix)
    return box


class FaultBar(QWidget):
    """Faults to apply: latency each way, bandwidth, dead link, hold data, battery saving.

    Signals:
        apply_requested(dict, bool): the faults (control endpoint's form) and
            True for all connections, False for the selected ones.
        clear_requested(bool): clear for all (True) or the selected ones.
    """

    apply_requested = Signal(dict, bool)
    clear_requested = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.latency_down = _spin(" ms", 60_000, prefix="latency ↓ ")
        self.latency_up = _spin(" ms", 60_000, prefix="↑ ")
        self.bandwidth = _spin(" KB/s", 1_000_000, 10, prefix="bandwidth ↓ ")
        self.bandwidth.setSpecialValueText("bandwidth ↓ no limit")
        self.dead_link = QCheckBox("Dead link")
        self.hold = _spin(" s", 3600, 1, prefix="hold data ")
        self.battery = _spin(" s", 3600, 5, prefix="battery saving ")
        self.latency_down.setToolTip("latency added to every frame to the client")
        self.latency_up.setToolTip("latency added to every frame to the app")
        self.hold.setToolTip("hold every data message this long, from now")
        self.battery.setToolTip(
            "close the client's socket and refuse its reconnects this long"
        )
        self.to_all = QCheckBox("All connections")
        self.to_all.setToolTip(
            "Apply to every connection and to new ones (else: the selected)"
        )
        self.apply = QPushButton("Apply faults")
        self.clear = QPushButton("Clear")
        # Two rows: in one, the bar alone made the window 1,200 px wide.
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Faults:"), 0, 0)
        first = QHBoxLayout()
        for widget in (self.latency_down, self.latency_up, self.bandwidth):
            first.addWidget(widget)
        first.addWidget(self.dead_link)
        first.addStretch(1)
        second = QHBoxLayout()
        for widget in (self.hold, self.battery):
            second.addWidget(widget)
        second.addStretch(1)
        second.addWidget(self.to_all)
        second.addWidget(self.apply)
        second.addWidget(self.clear)
        layout.addLayout(first, 0, 1)
        layout.addLayout(second, 1, 1)
        self.apply.clicked.connect(
            lambda: self.apply_requested.emit(self.faults(), self.to_all.isChecked())
        )
        self.clear.clicked.connect(
            lambda: self.clear_requested.emit(self.to_all.isChecked())
        )

    def faults(self) -> dict[str, Any]:
        """The bar's settings in the control endpoint's form (every key, so they replace)."""
        down: dict[str, Any] = {"latencyMs": self.latency_down.value()}
        down["bandwidth"] = self.bandwidth.value() * 1024
        return {
            "toClient": down,
            "toServer": {"latencyMs": self.latency_up.value()},
            "deadLink": self.dead_link.isChecked(),
            "holdDataMs": self.hold.value() * 1000,
            "batterySavingMs": self.battery.value() * 1000,
        }


class ProxyPanel(QWidget):
    """Proxy bar, fault bar, the proxied connections and the detail pane.

    Signals:
        title_changed(str): the tab's title ("Proxy (3)", "Proxy (off)").
    """

    title_changed = Signal(str)

    def __init__(self, adaptor: ProxyAdaptor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.adaptor = adaptor
        self.model = ProxyConnectionModel(self)
        self._tasks: set[asyncio.Task[Any]] = set()
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
        self.state = QLabel("")
        self.state.setObjectName("hintLabel")
        self.state.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.faults = FaultBar()
        self.filter = FilterField("Filter by session, address or browser (Ctrl+F)")
        self.record = QCheckBox("Record")
        self.record.setToolTip(
            "Keep a recording of each client connection opened from now on "
            f"(its last {PROXY_RING:,} frames and events), to save for the "
            "selected row (docs/recording-format.md)"
        )
        self.save_recording = QPushButton("Save recording...")
        self.save_recording.setEnabled(False)
        self.table = DenseTable("proxyConnectionTable", _NOT_PROXYING)
        self.table.show_sorted(self.model)
        self.table.set_column_widths(
            150, 90, 90, 100, 90, 40, 40, 70, 70, 80, 80, 160, 70, 110
        )
        self.table.horizontalHeader().setStretchLastSection(False)
        self.closer = CloseButtonDelegate(self.table)
        self.upstream_closer = CloseButtonDelegate(self.table)
        self.table.setItemDelegateForColumn(CLOSE_COLUMN, self.closer)
        self.table.setItemDelegateForColumn(CLOSE_UPSTREAM_COLUMN, self.upstream_closer)
        self.detail = JsonView("Select a row: its headers, subscriptions and faults")
        # The per-connection log: the same view as a page's message log.
        self.log_model = MessageLogModel(parent=self)
        pause = QAction("Pause", self, checkable=True)
        pause.toggled.connect(self.log_model.set_paused)
        clear = QAction("Clear", self)
        clear.triggered.connect(self.log_model.clear)
        export = QAction("Export", self)
        export.setVisible(False)  # proxy.frames over the control endpoint does that
        self.frames = MessageLogPanel(self.log_model, pause, clear, export)
        self._log_of: str | None = None  # whose frames the log shows
        self._log_until = float("-inf")  # the newest frame time shown
        self._build()
        self._bind()
        self._proxying_changed("")

    def _build(self) -> None:
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Proxy an app:"))
        bar.addWidget(self.upstream, 2)
        bar.addWidget(self.port)
        bar.addWidget(self.toggle)
        bar.addSpacing(12)
        bar.addWidget(self.control_url, 1)
        bar.addWidget(self.attach)
        tools = QHBoxLayout()
        tools.addWidget(self.filter, 1)
        tools.addWidget(self.record)
        tools.addWidget(self.save_recording)
        panes = QSplitter(Qt.Orientation.Horizontal)
        panes.addWidget(self.detail)
        panes.addWidget(self.frames)
        # Small minimums: with the page above it the dock must fit a
        # 640-pixel-high screen; the splitter gives them room when there is.
        self.table.setMinimumHeight(50)
        self.frames.setMinimumHeight(70)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("proxySplitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(panes)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(self.state)
        layout.addWidget(self.faults)
        layout.addLayout(tools)
        layout.addWidget(self.splitter, 1)

    def _bind(self) -> None:
        a = self.adaptor
        a.rows_flushed.connect(self._flushed)
        a.proxying_changed.connect(self._proxying_changed)
        a.proxying_failed.connect(lambda why: self.state.setText(why))
        self.toggle.clicked.connect(self._toggle)
        self.attach.clicked.connect(
            lambda: self._spawn(a.attach(self.control_url.text().strip()))
        )
        self.filter.filter_changed.connect(self.model.set_filter_text)
        self.closer.clicked.connect(lambda row: self._act_on_row("proxy.close", row))
        self.upstream_closer.clicked.connect(
            lambda row: self._act_on_row("proxy.closeUpstream", row)
        )
        self.record.toggled.connect(a.set_recording)
        self.save_recording.clicked.connect(self._ask_save_recording)
        self.faults.apply_requested.connect(self._apply_faults)
        self.faults.clear_requested.connect(self._clear_faults)
        self.table.selectionModel().selectionChanged.connect(
            lambda *_: self._show_detail()
        )

    # -- actions ---------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        return self.table.selected_keys()

    def select(self, connection_id: str) -> bool:
        return self.table.select_key(connection_id)

    def _act_on_row(self, method: str, row: int) -> None:
        self.adaptor.act(method, self.model.key(row))

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

    def _apply_faults(self, faults: dict[str, Any], to_all: bool) -> None:
        for target in [None] if to_all else self.selected_ids():
            self.adaptor.act("proxy.setFaults", target, faults)

    def _clear_faults(self, to_all: bool) -> None:
        for target in [None] if to_all else self.selected_ids():
            self.adaptor.act("proxy.clearFaults", target)

    def _toggle(self) -> None:
        a = self.adaptor
        if a.active:
            self._spawn(a.stop())
        else:
            upstream = self.upstream.text().strip() or "http://localhost:3000"
            self._spawn(a.start(upstream, self.port.value()))

    def _spawn(self, pending: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(pending)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- reacting ------------------------------------------------------------------------
    def _flushed(self, changed: list[dict[str, Any]], gone: list[str]) -> None:
        self.model.apply(changed, gone)
        selected = self.selected_ids()
        if selected and any(r["_id"] in selected for r in changed):
            self._show_detail()
        self.title_changed.emit(self.title())

    def _proxying_changed(self, text: str) -> None:
        self.state.setText(text)
        self.toggle.setText("Stop" if self.adaptor.active else "Start proxying")
        where = self.adaptor.url
        self.table.empty_text = (
            _NO_CLIENTS.format(what=f"point a Meteor client at {where}")
            if where
            else _NO_CLIENTS.format(what="the proxy has none")
            if self.adaptor.active
            else _NOT_PROXYING
        )
        self.table.viewport().update()
        self.title_changed.emit(self.title())

    def _show_detail(self) -> None:
        ids = self.selected_ids()
        self.save_recording.setEnabled(len(ids) == 1 and self.adaptor.proxy is not None)
        shown = ids[0] if len(ids) == 1 else None
        if shown != self._log_of:
            self._log_of, self._log_until = shown, float("-inf")
            self.log_model.clear()
        if shown is None:
            self.detail.show_text("")
            return
        record = self.model.row(shown) or {}
        self.detail.show_text(json.dumps(record, indent=2, default=str))
        self._spawn(self._show_frames(shown))

    async def _show_frames(self, connection_id: str) -> None:
        try:
            found = await self.adaptor.log(connection_id)
        except Exception:
            return  # the connection went meanwhile
        if connection_id != self._log_of:
            return  # another row was selected meanwhile
        fresh = [f for f in found if f.time > self._log_until]
        if fresh:
            self._log_until = fresh[-1].time
            self.log_model.append(fresh)

    def title(self) -> str:
        count = self.model.rowCount()
        return f"Proxy ({count:,})" if self.adaptor.active else "Proxy (off)"
