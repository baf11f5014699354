"""The part of the Server panel's proxy and agent modes they share: rows, faults, detail, log.

Owns ``ConnectionsPanel``: the state line, the fault bar, the filter, the
connection table with its Close cells, the detail pane (the row as JSON)
and the row's own message log; imports QtWidgets/QtGui/QtCore,
``qt.row_source`` (what the rows come from), ``qt.proxy_model``, the
message log's model and the panel parts in ``ui``. A mode adds its own bar
above (``ui.proxy_panel``, ``ui.agent_panel``); every action goes through
the ``RowSource``, so the panel never knows where the rows come from.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLayout,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ddp_monitor.qt.message_log_model import MessageLogModel
from ddp_monitor.qt.proxy_model import ProxyConnectionModel
from ddp_monitor.qt.row_source import RowSource
from ddp_monitor.ui.fault_bar import FaultBar
from ddp_monitor.ui.filter_field import FilterField
from ddp_monitor.ui.json_view import JsonView
from ddp_monitor.ui.message_log import MessageLogPanel
from ddp_monitor.ui.server_panel import CloseButtonDelegate
from ddp_monitor.ui.table_view import DenseTable

__all__ = ["ConnectionsPanel"]


class ConnectionsPanel(QWidget):
    """A mode's bar (the subclass's), then the state line, faults, rows and detail.

    Args:
        adaptor: where the rows come from and the actions go.
        model: the table's model (its columns).
        table_name: the table's object name (its settings key).
        empty_text: what the table says before there is a source.
        closers: column -> control method its painted button runs on the row.
        widths: the columns' first widths.

    Signals:
        title_changed(str): the tab's title.
    """

    title_changed = Signal(str)

    def __init__(
        self,
        adaptor: RowSource,
        model: ProxyConnectionModel,
        *,
        table_name: str,
        empty_text: str,
        closers: Mapping[int, str],
        widths: Sequence[int],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.adaptor = adaptor
        self.model = model
        model.setParent(self)
        self._tasks: set[asyncio.Task[Any]] = set()
        self.state = QLabel("")
        self.state.setObjectName("hintLabel")
        self.state.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.faults = FaultBar()
        self.filter = FilterField("Filter by session, address or browser (Ctrl+F)")
        self.table = DenseTable(table_name, empty_text)
        self.table.show_sorted(self.model)
        self.table.set_column_widths(*widths)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.closers: dict[int, CloseButtonDelegate] = {}
        for column, method in closers.items():
            delegate = CloseButtonDelegate(self.table)
            self.table.setItemDelegateForColumn(column, delegate)
            delegate.clicked.connect(
                lambda row, method=method: self._act_on_row(method, row)
            )
            self.closers[column] = delegate
        self.detail = JsonView("Select a row: its headers, subscriptions and faults")
        # The per-connection log: the same view as a page's message log.
        self.log_model = MessageLogModel(parent=self)
        pause = QAction("Pause", self, checkable=True)
        pause.toggled.connect(self.log_model.set_paused)
        clear = QAction("Clear", self)
        clear.triggered.connect(self.log_model.clear)
        export = QAction("Export", self)
        export.setVisible(False)  # the source's frames method does that
        self.frames = MessageLogPanel(self.log_model, pause, clear, export)
        self._log_of: str | None = None  # whose frames the log shows
        self._log_until = float("-inf")  # the newest frame time shown
        self._bind()

    def _lay_out(
        self, bar: QLayout, splitter_name: str, tools_after: Sequence[QWidget] = ()
    ) -> None:
        """Everything under the mode's ``bar`` (called once by the subclass);
        ``tools_after`` go beside the filter."""
        tools = QHBoxLayout()
        tools.addWidget(self.filter, 1)
        for widget in tools_after:
            tools.addWidget(widget)
        panes = QSplitter(Qt.Orientation.Horizontal)
        panes.addWidget(self.detail)
        panes.addWidget(self.frames)
        # Small minimums: with the page above it the dock must fit a
        # 640-pixel-high screen; the splitter gives them room when there is.
        self.table.setMinimumHeight(50)
        self.frames.setMinimumHeight(70)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName(splitter_name)
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
        a.proxying_changed.connect(self._source_changed)
        a.proxying_failed.connect(lambda why: self.state.setText(why))
        self.filter.filter_changed.connect(self.model.set_filter_text)
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

    def _apply_faults(self, faults: dict[str, Any], to_all: bool) -> None:
        for target in [None] if to_all else self.selected_ids():
            self.adaptor.act("proxy.setFaults", target, faults)

    def _clear_faults(self, to_all: bool) -> None:
        for target in [None] if to_all else self.selected_ids():
            self.adaptor.act("proxy.clearFaults", target)

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

    def _source_changed(self, text: str) -> None:
        """The source started, stopped or moved: the state line and the title follow."""
        self.state.setText(text)
        self.table.viewport().update()
        self.title_changed.emit(self.title())

    def _show_detail(self) -> None:
        ids = self.selected_ids()
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
        raise NotImplementedError
