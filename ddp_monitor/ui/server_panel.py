"""The Server tab: host a DDP server, watch every inbound connection live, close any of them.

Owns ``ServerPanel`` and the painted Close button (``CloseButtonDelegate``: no
widget per row, so 1,000 rows cost one view); imports QtWidgets/QtGui/QtCore,
``qt.server_adaptor``, ``qt.server_model`` and the panel parts in ``ui``. It
talks to the server only through ``ServerAdaptor``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeySequence, QMouseEvent, QPainter, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionButton,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from ddp_monitor.ddp.server.forwarding import ForwardedRule
from ddp_monitor.qt.server_adaptor import (
    ServerAdaptor,
    forwarded_count_from_environment,
)
from ddp_monitor.qt.server_model import (
    CLOSE_COLUMN,
    ConnectionRecord,
    ServerConnectionModel,
)
from ddp_monitor.ui.filter_field import FilterField
from ddp_monitor.ui.server_controls import ForwardingBar, HostingBar, server_title
from ddp_monitor.ui.server_detail import ConnectionDetail
from ddp_monitor.ui.table_view import DenseTable

__all__ = ["CloseButtonDelegate", "ServerPanel"]

Index = QModelIndex | QPersistentModelIndex
_CHAIN_COLUMN = 3  # x-forwarded-for: takes what the other columns leave

_NOT_HOSTING = (
    "Not hosting. Choose a host and port above and press Start hosting: "
    "the demo app, or an empty server."
)
_NO_CONNECTIONS = "No connections yet: point a DDP client at {url}"


class CloseButtonDelegate(QStyledItemDelegate):
    """Paints a push button in the cell; a click on it emits ``clicked(row)``."""

    clicked = Signal(int)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: Index
    ) -> None:
        button = QStyleOptionButton()
        button.rect = option.rect.adjusted(4, 1, -4, -1)
        button.text = str(index.data() or "")
        button.state = QStyle.StateFlag.State_Enabled
        style = QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_PushButton, button, painter)

    def editorEvent(
        self,
        event: QEvent,
        model: QAbstractItemModel,
        option: QStyleOptionViewItem,
        index: Index,
    ) -> bool:
        if (
            event.type() == QEvent.Type.MouseButtonRelease
            and isinstance(event, QMouseEvent)
            and event.button() == Qt.MouseButton.LeftButton
        ):
            self.clicked.emit(index.row())
            return True
        return super().editorEvent(event, model, option, index)


class ServerPanel(QWidget):
    """Hosting bar, forwarding bar, the connections table and the detail pane.

    Signals:
        title_changed(str): the tab's title ("Server (12)", "Server (off)").
    """

    title_changed = Signal(str)

    def __init__(self, adaptor: ServerAdaptor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.adaptor = adaptor
        self.model = ServerConnectionModel(self)
        self.model.set_forwarding(adaptor.forwarded_count, adaptor.forwarded_rule)
        self._tasks: set[asyncio.Task[Any]] = set()
        self.hosting = HostingBar()
        self.forwarding = ForwardingBar(
            adaptor.forwarded_count,
            adaptor.forwarded_rule,
            from_environment=(
                forwarded_count_from_environment() == adaptor.forwarded_count != 0
            ),
        )
        self.filter = FilterField("Filter by id, address or forwarded chain (Ctrl+F)")
        self.close_button = QPushButton("Close selected")
        self.close_button.setToolTip("Close the selected connections (Delete)")
        self.close_button.setEnabled(False)
        self.table = DenseTable("serverConnectionTable", _NOT_HOSTING)
        self.table.show_sorted(self.model)
        self.table.set_column_widths(170, 120, 110, 220, 80, 48, 170, 52, 70, 70, 72)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.horizontalHeader().setSectionResizeMode(
            _CHAIN_COLUMN, QHeaderView.ResizeMode.Stretch
        )
        self.closer = CloseButtonDelegate(self.table)
        self.table.setItemDelegateForColumn(CLOSE_COLUMN, self.closer)
        self.detail = ConnectionDetail()
        self._build()
        self._bind()
        self._hosting_changed(adaptor.url)
        self.model.apply(adaptor.shown(), [], [])  # flushed before this panel existed

    def _build(self) -> None:
        # Two rows of controls, then the table: the panel often lives in a
        # dock under a connection's page, where every row of height counts.
        tools = QHBoxLayout()
        tools.addWidget(self.filter, 1)
        tools.addSpacing(12)
        tools.addWidget(self.forwarding)
        tools.addSpacing(12)
        tools.addWidget(self.close_button)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.table, 1)
        # Table above, detail below: both get the window's whole width (ten
        # columns; frames are long lines).
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("serverSplitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([380, 260])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.hosting)
        layout.addWidget(self.hosting.error)
        layout.addLayout(tools)
        layout.addWidget(self.splitter, 1)

    def _bind(self) -> None:
        a = self.adaptor
        a.connections_flushed.connect(self._flushed)
        a.frames_changed.connect(self._frames_changed)
        a.hosting_changed.connect(self._hosting_changed)
        a.hosting_failed.connect(self._hosting_failed)
        a.forwarding_changed.connect(self._forwarding_changed)
        self.hosting.start_requested.connect(self._start)
        self.hosting.stop_requested.connect(lambda: self._spawn(a.stop()))
        self.forwarding.forwarding_chosen.connect(a.set_forwarding)
        self.filter.filter_changed.connect(self.model.set_filter_text)
        self.close_button.clicked.connect(self.close_selected)
        self.closer.clicked.connect(self._close_row)
        delete = QShortcut(QKeySequence.StandardKey.Delete, self.table)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.close_selected)
        self.table.selectionModel().selectionChanged.connect(self._selection)
        self.model.rowsRemoved.connect(self._selection)
        # "connected ... ago" and a grace period's countdown move on their own.
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)
        self._ticker.start()

    def _tick(self) -> None:
        if self.detail.connection_id is not None and self.isVisible():
            self._show_detail()

    # -- actions -----------------------------------------------------------------
    def close_selected(self) -> None:
        for connection_id in self.selected_ids():
            self.adaptor.close_connection(connection_id)

    def selected_ids(self) -> list[str]:
        return self.table.selected_keys()

    def select(self, connection_id: str) -> bool:
        """Select the row of this connection (tests and the keyboard use it)."""
        return self.table.select_key(connection_id)

    def _close_row(self, row: int) -> None:
        self.adaptor.close_connection(self.model.key(row))

    def _start(self, host: str, port: int, demo: bool) -> None:
        self._spawn(self.adaptor.start(host, port, demo=demo))

    def _spawn(self, pending: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(pending)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        self.hosting.toggle.setEnabled(True)
        task.result()  # a bug, not a taken port: the app's error route shows it

    # -- reacting ------------------------------------------------------------------
    def _flushed(
        self, opened: list[Any], changed: list[Any], closed: list[str]
    ) -> None:
        self.model.apply(opened, changed, closed)
        shown = self.detail.connection_id
        if shown is not None and any(key == shown for key, _ in changed):
            self._show_detail()
        self._update_title()

    def _hosting_changed(self, url: str) -> None:
        a = self.adaptor
        self.hosting.show_hosting(url, a.host, a.port)
        self.table.empty_text = _NO_CONNECTIONS.format(url=url) if url else _NOT_HOSTING
        self.table.viewport().update()
        self._update_title()

    def _hosting_failed(self, why: str) -> None:
        self.hosting.show_error(why)

    def _forwarding_changed(self, count: int, rule: ForwardedRule) -> None:
        self.model.set_forwarding(count, rule)
        self._show_detail()

    def _selection(self, *_: object) -> None:
        self.close_button.setEnabled(bool(self.table.selectionModel().selectedRows()))
        self._show_detail()

    def _frames_changed(self, connection_id: str) -> None:
        self.model.set_frames(connection_id, self.adaptor.recent_frames(connection_id))
        if connection_id == self.detail.connection_id:
            self._show_detail()

    def _show_detail(self) -> None:
        rows = self.table.selected_rows()
        record: ConnectionRecord | None = (
            self.model.record(rows[0]) if len(rows) == 1 else None
        )
        watched = record.connection_id if record is not None else None
        if watched != self.detail.connection_id:
            self.adaptor.watch(watched)  # its last frames come with each batch
        self.detail.show_record(
            record, self.model.forwarded_count, self.model.forwarded_rule
        )

    def _update_title(self) -> None:
        self.title_changed.emit(self.title())

    def title(self) -> str:
        """The tab's title: how many connections, or that nothing is hosted."""
        return server_title(self.adaptor.url, self.model.total)
