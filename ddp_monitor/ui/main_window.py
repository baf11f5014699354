"""The main window: the only widget that knows every panel.

Owns ``MainWindow`` (layout, actions and shortcuts, status bar, remembered
geometry); imports QtWidgets/QtGui/QtCore, ``qt`` adaptors and models, the
``ddp.status`` values and the panels in ``ui``. It binds the adaptor's signals
to the models and panels and nothing else: no client calls happen here except
through the adaptor.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ddp_monitor.ddp.events import BadMessageReceived
from ddp_monitor.ddp.status import ConnectionStatus, Status
from ddp_monitor.qt.client_adaptor import ClientAdaptor
from ddp_monitor.qt.collection_model import CollectionListModel, DocumentTableModel
from ddp_monitor.qt.countdown import RetryCountdown
from ddp_monitor.qt.message_log_model import MessageLogModel
from ddp_monitor.qt.method_model import MethodQueueModel
from ddp_monitor.qt.server_adaptor import ServerAdaptor
from ddp_monitor.qt.status_look import look
from ddp_monitor.qt.subscription_model import SubscriptionModel
from ddp_monitor.ui.collections_view import CollectionsPanel
from ddp_monitor.ui.connection_bar import ConnectionBar
from ddp_monitor.ui.error_banner import ErrorBanner
from ddp_monitor.ui.message_log import MessageLogPanel
from ddp_monitor.ui.method_queue import MethodQueuePanel
from ddp_monitor.ui.resources import icon
from ddp_monitor.ui.server_panel import ServerPanel
from ddp_monitor.ui.subscriptions import SubscriptionsPanel

__all__ = ["MainWindow"]

_SIDEBAR_WIDTH = 210


class MainWindow(QMainWindow):
    """One connection's window: bar, banner, four tabs, status bar.

    Args:
        adaptor: the connection (its client already started).
        settings: where geometry and column widths live (tests pass a temp file).
        method_names, publication_names: completions for the console and form.
        server: the hosted server's adaptor (the app's embedded demo); without
            one the Server tab starts with nothing hosted.
    """

    def __init__(
        self,
        adaptor: ClientAdaptor,
        settings: QSettings | None = None,
        *,
        method_names: Sequence[str] = (),
        publication_names: Sequence[str] = (),
        server: ServerAdaptor | None = None,
    ) -> None:
        super().__init__()
        self.adaptor = adaptor
        self.settings = settings if settings is not None else QSettings()
        self.setWindowTitle(f"ddp-monitor \u2014 {adaptor.label}")
        self.setWindowIcon(icon("app"))
        self._make_actions()
        self.log_model = MessageLogModel(parent=self)
        self.method_model = MethodQueueModel(self)
        self.subscription_model = SubscriptionModel(self)
        self.collection_model = CollectionListModel(adaptor.store, self)
        self.document_model = DocumentTableModel(adaptor.store, parent=self)
        self.countdown = RetryCountdown(parent=self)

        self.bar = ConnectionBar(self.reconnect_action, self.battery_action)
        self.badge = self.bar.badge
        self.banner = ErrorBanner()
        self.methods = MethodQueuePanel(self.method_model, adaptor.call, method_names)
        self.subscriptions = SubscriptionsPanel(
            self.subscription_model, adaptor.subscribe, adaptor.stop, publication_names
        )
        self.collections = CollectionsPanel(self.collection_model, self.document_model)
        self.log = MessageLogPanel(
            self.log_model, self.pause_action, self.clear_action, self.export_action
        )
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for panel in (self.methods, self.subscriptions, self.collections, self.log):
            self.tabs.addTab(panel, "")
        # The Server tab (issue 5): the embedded demo server, or one hosted here.
        self.server_panel = ServerPanel(server or ServerAdaptor(parent=self))
        self.tabs.addTab(self.server_panel, self.server_panel.title())
        self.server_panel.title_changed.connect(
            lambda title: self.tabs.setTabText(
                self.tabs.indexOf(self.server_panel), title
            )
        )
        self._build_layout()
        self._build_menus()
        self._build_status_bar()
        self._bind()
        self._restore()
        self._show_status(adaptor.status)
        self._update_titles()

    # -- building ----------------------------------------------------------------
    def _make_actions(self) -> None:
        def action(text: str, keys: str | None, name: str | None = None) -> QAction:
            made = QAction(text, self)
            if keys:
                made.setShortcut(QKeySequence(keys))
                made.setToolTip(f"{text} ({keys})")
            if name:
                made.setIcon(icon(name))
            self.addAction(made)
            return made

        self.reconnect_action = action("Reconnect now", "Ctrl+R", "reconnect")
        self.battery_action = action("Battery saving", "Ctrl+D", "battery")
        self.battery_action.setCheckable(True)
        self.battery_action.setToolTip(
            "Battery saving (Ctrl+D): disconnect as a phone would; calls queue "
            "until you switch it off"
        )
        self.pause_action = action("Pause", None, "pause")
        self.pause_action.setCheckable(True)
        self.clear_action = action("Clear", "Ctrl+L", "clear")
        self.export_action = action("Export...", "Ctrl+E", "export")
        self.find_action = action("Find in log", "Ctrl+F")
        self.quit_action = action("Quit", "Ctrl+Q")
        self.tab_actions = [action(f"Tab {n}", f"Ctrl+{n}") for n in range(1, 6)]

    def _build_layout(self) -> None:
        self.sidebar = QFrame()
        self.sidebar.setObjectName("sidebar")
        title = QLabel("CONNECTIONS")
        title.setObjectName("sidebarTitle")
        self.connection_list = QListWidget()
        self.connection_list.setObjectName("connectionList")
        self.connection_list.setIconSize(QSize(14, 14))
        self.connection_list.setHorizontalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )
        self.connection_list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.connection_item = QListWidgetItem(self.adaptor.label)
        self.connection_item.setToolTip(self.adaptor.url)
        self.connection_list.addItem(self.connection_item)
        self.connection_list.setCurrentRow(0)
        url = QLabel(self.adaptor.url)
        url.setObjectName("hintLabel")
        url.setWordWrap(True)
        url.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        side = QVBoxLayout(self.sidebar)
        side.setContentsMargins(6, 4, 6, 8)
        side.addWidget(title)
        side.addWidget(self.connection_list, 1)
        side.addWidget(url)
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.bar)
        banner_box = QVBoxLayout()
        banner_box.setContentsMargins(8, 6, 8, 0)
        banner_box.addWidget(self.banner)
        column.addLayout(banner_box)
        column.addWidget(self.tabs, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([_SIDEBAR_WIDTH, 1280 - _SIDEBAR_WIDTH])
        self.setCentralWidget(self.splitter)

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file = menus.addMenu("&File")
        file.addAction(self.export_action)
        file.addSeparator()
        file.addAction(self.quit_action)
        connection = menus.addMenu("&Connection")
        connection.addAction(self.reconnect_action)
        connection.addAction(self.battery_action)
        view = menus.addMenu("&View")
        view.addAction(self.find_action)
        view.addAction(self.pause_action)
        view.addAction(self.clear_action)
        view.addSeparator()
        for action in self.tab_actions:
            view.addAction(action)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.session_label = QLabel()
        self.version_label = QLabel()
        self.open_label = QLabel()
        self.subs_label = QLabel()
        for label in (
            self.session_label,
            self.version_label,
            self.open_label,
            self.subs_label,
        ):
            label.setObjectName("hintLabel")
            bar.addWidget(label)
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._update_status_bar)
        self._clock.start()
        self._update_status_bar()

    def _bind(self) -> None:
        a = self.adaptor
        a.status_changed.connect(self._show_status)
        a.status_changed.connect(self.countdown.follow)
        self.countdown.ticked.connect(self.badge.show_remaining)
        a.battery_saving_changed.connect(self.badge.show_battery_saving)
        a.battery_saving_changed.connect(self.battery_action.setChecked)
        a.events_flushed.connect(self._apply_events)
        a.frames_flushed.connect(self.log_model.append)
        a.meter_changed.connect(self.bar.show_meter)
        a.handshake_completed.connect(self._update_status_bar)
        a.transport_lost.connect(self._transport_lost)
        a.problem.connect(self.banner.show_problem)
        self.reconnect_action.triggered.connect(a.reconnect)
        self.battery_action.toggled.connect(a.set_battery_saving)
        self.pause_action.toggled.connect(self.log_model.set_paused)
        self.clear_action.triggered.connect(self.log_model.clear)
        self.export_action.triggered.connect(self.log.ask_export)
        self.find_action.triggered.connect(self._focus_filter)
        self.quit_action.triggered.connect(self.close)
        for at, action in enumerate(self.tab_actions):
            action.triggered.connect(
                lambda _=False, at=at: self.tabs.setCurrentIndex(at)
            )
        self.log.exported.connect(
            lambda path, n: self.statusBar().showMessage(
                f"Exported {n:,} frames to {path}", 8000
            )
        )
        self.log.export_failed.connect(
            lambda why: self.banner.show_problem("Export failed", why)
        )
        for model in (
            self.method_model,
            self.subscription_model,
            self.collection_model,
            self.log_model,
        ):
            model.counts_changed.connect(self._update_titles)

    # -- reacting ------------------------------------------------------------------
    @Slot(list, list)
    def _apply_events(self, events: list[Any], times: list[float]) -> None:
        self.method_model.apply_events(events, times)
        self.subscription_model.apply_events(events, times)
        self.collection_model.apply_events(events)
        self.document_model.apply_events(events)
        for event in events:
            if isinstance(event, BadMessageReceived) and event.text:
                self.log_model.mark_bad(event.text)

    @Slot(object)
    def _show_status(self, status: Status) -> None:
        self.badge.show_status(status)
        shown = look(status, battery_saving=self.adaptor.battery_saving)
        self.connection_item.setIcon(icon(shown.icon))
        self.connection_item.setToolTip(f"{self.adaptor.url}\n{shown.words}")
        self.reconnect_action.setEnabled(
            status.status is not ConnectionStatus.CONNECTED
        )
        if status.status is ConnectionStatus.CONNECTED and self._connection_problem:
            self._connection_problem = False
            self.banner.dismiss()
        if status.status is ConnectionStatus.FAILED and status.reason:
            self._connection_problem = True
            self.banner.show_problem(
                "The connection failed for good",
                f"{status.reason}. Ctrl+R tries again.",
            )
        self._update_status_bar()

    _connection_problem = False

    @Slot(str)
    def _transport_lost(self, reason: str) -> None:
        if self.adaptor.battery_saving:
            return
        self._connection_problem = True
        self.banner.show_problem(
            "Cannot reach the server"
            if not self._ever_connected()
            else "The connection dropped",
            f"{self.adaptor.url}: {reason}. ddp-monitor retries on its own; "
            "Reconnect now (Ctrl+R) tries at once.",
        )

    def _ever_connected(self) -> bool:
        return self.adaptor.session is not None

    def _update_titles(self) -> None:
        queued = self.method_model.queued
        calls = f"{queued} queued" if queued else f"{self.method_model.rowCount()}"
        titles = (
            f"Methods ({calls})",
            f"Subscriptions ({self.subscription_model.live})",
            f"Collections ({self.collection_model.rowCount()})",
            f"Messages ({self.log_model.total:,})",
        )
        for at, title in enumerate(titles):
            if self.tabs.tabText(at) != title:
                self.tabs.setTabText(at, title)

    @Slot()
    def _update_status_bar(self, *_: object) -> None:
        a = self.adaptor
        self.session_label.setText(f"session {a.session or '-'}")
        self.version_label.setText(f"DDP {a.version or '-'}")
        since = a.connected_since
        if since is None:
            self.open_label.setText("transport closed")
        else:
            seconds = int(time.monotonic() - since)
            hours, rest = divmod(seconds, 3600)
            self.open_label.setText(
                f"transport open {hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
            )
        self.subs_label.setText(f"{self.subscription_model.ready} subs ready")

    def _focus_filter(self) -> None:
        self.tabs.setCurrentWidget(self.log)
        self.log.filter.setFocus()
        self.log.filter.selectAll()

    # -- remembering -----------------------------------------------------------------
    def _splitters(self) -> list[QSplitter]:
        return [
            self.splitter,
            self.methods.splitter,
            self.collections.splitter,
            self.log.splitter,
            self.server_panel.splitter,
        ]

    def _tables(self) -> list[Any]:
        return [
            self.methods.table,
            self.subscriptions.table,
            self.collections.collection_table,
            self.log.table,
            self.server_panel.table,
        ]

    def _restore(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        for splitter in self._splitters():
            state = s.value(f"splitters/{splitter.objectName()}")
            if isinstance(state, QByteArray):
                splitter.restoreState(state)
        for table in self._tables():
            table.restore_state(s)
        tab = s.value("window/tab")
        if tab is not None:
            self.tabs.setCurrentIndex(int(str(tab)))

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/tab", self.tabs.currentIndex())
        for splitter in self._splitters():
            s.setValue(f"splitters/{splitter.objectName()}", splitter.saveState())
        for table in self._tables():
            table.save_state(s)
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        super().closeEvent(event)
