"""The main window: the sidebar, one page per open connection, menus and status bar.

Owns ``MainWindow`` (layout, the Server dock, what the shared actions act on,
status-bar facts, remembered geometry and open connections); imports
QtWidgets/QtGui/QtCore, ``qt`` adaptors and models, ``profiles`` values and
the panels in ``ui``. Its actions, menus and labels are ``WindowChrome``'s. Each connection's panels live on its ``ConnectionPage``;
the window shows the selected page and points the shared actions at it
(qtconsole's rebind-in-a-setter seam). Opening and closing connections is the
app's job: the window asks through ``open_requested`` / ``close_requested``.
The hosted server's panel lives in a dock of its own (``ui.server_dock``),
so it is there with no connection open, beside whichever page is shown;
Ctrl+5 shows or hides it. Profile dialogs are
``ui.profile_commands``'.

Attributes such as ``adaptor``, ``badge``, ``banner``, ``tabs`` or
``log_model`` are the current page's, so code written for one connection
keeps working on the selected one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.profiles import Profile
from ddp_monitor.qt.client_adaptor import ClientAdaptor
from ddp_monitor.qt.profile_model import ProfileListModel
from ddp_monitor.qt.recording_adaptor import RecordingAdaptor
from ddp_monitor.qt.server_adaptor import ServerAdaptor
from ddp_monitor.qt.status_look import look
from ddp_monitor.ui.connection_page import ConnectionPage, PageActions, PageSource
from ddp_monitor.ui.error_banner import ErrorBanner
from ddp_monitor.ui.filter_field import FilterField
from ddp_monitor.ui.profile_commands import ProfileCommands
from ddp_monitor.ui.recording_commands import RecordingCommands
from ddp_monitor.ui.resources import icon
from ddp_monitor.ui.server_dock import ServerDock
from ddp_monitor.ui.sidebar import Sidebar
from ddp_monitor.ui.theme import SETTING as THEME_SETTING
from ddp_monitor.ui.theme import Theme
from ddp_monitor.ui.timeline import SETTING as TIMELINE_SETTING
from ddp_monitor.ui.window_chrome import WindowChrome

if TYPE_CHECKING:
    from ddp_monitor.ui.agent_panel import AgentPanel
    from ddp_monitor.ui.proxy_panel import ProxyPanel
    from ddp_monitor.ui.server_panel import ServerPanel
    from ddp_monitor.ui.server_tab import ServerTab

__all__ = ["MainWindow"]

_SIDEBAR_WIDTH = 210
_PAGE_ATTRIBUTES = frozenset(
    {
        "adaptor", "badge", "bar", "countdown", "methods",
        "subscriptions", "collections", "log", "tabs", "log_model",
        "method_model", "subscription_model", "collection_model", "document_model",
        "timeline",
    }
)  # fmt: skip


class MainWindow(WindowChrome):
    """The window: sidebar, the selected connection's page, status bar.

    Args:
        adaptor: a first connection to show (optional; ``add_connection`` adds more).
        settings: where geometry, column widths and open connections live.
        method_names, publication_names: completions for the first connection.
        profiles: the saved profiles (an in-memory list when None).
        server: the hosted server's adaptor (the app's embedded demo); without
            one the Server dock starts with nothing hosted.

    Signals:
        open_requested(str): open a connection for this profile id.
        url_requested(str): open a connection to this URL (the hosted server's).
        close_requested(str): close the connection with this key.
        recording_requested(str): open this recording file as a page.
        theme_chosen(str): the View menu's theme (a ``Theme`` value), already
            remembered; the app applies it.
    """

    open_requested = Signal(str)
    url_requested = Signal(str)
    close_requested = Signal(str)
    recording_requested = Signal(str)
    theme_chosen = Signal(str)

    def __init__(
        self,
        adaptor: ClientAdaptor | None = None,
        settings: QSettings | None = None,
        *,
        method_names: Sequence[str] = (),
        publication_names: Sequence[str] = (),
        profiles: ProfileListModel | None = None,
        server: ServerAdaptor | None = None,
    ) -> None:
        super().__init__()  # the actions: WindowChrome
        self.settings = settings if settings is not None else QSettings()
        self.profiles = profiles if profiles is not None else ProfileListModel()
        self.profiles.setParent(self)
        self.pages: dict[str, ConnectionPage] = {}
        self._hooks: dict[str, list[tuple[Any, Callable[..., None]]]] = {}
        self.setWindowTitle("ddp-monitor")
        self.setWindowIcon(icon("app"))
        self.window_banner = ErrorBanner()
        self.profiles.problem.connect(self.window_banner.show_problem)
        self.stack = QStackedWidget()
        self.empty = QLabel(
            "No connection open.\n\nDouble-click a profile, or press Ctrl+N for a "
            "new one.\nThe server this window hosts stays in the Server panel "
            "(Ctrl+5)."
        )
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setObjectName("hintLabel")
        self.stack.addWidget(self.empty)
        self.sidebar = Sidebar(self.profiles, self.new_action)
        # The Server panel (issue 5): the embedded demo server, or one hosted
        # here; built when its dock is first shown.
        self.server_adaptor = server or ServerAdaptor(parent=self)
        self.commands = ProfileCommands(
            self,
            self.profiles,
            lambda: self.banner,
            self.server_adaptor,
            lambda: self._current.adaptor.url if self._current is not None else "",
        )
        self.recordings = RecordingCommands(
            self, lambda: self._current, lambda: self.banner
        )
        self._build_layout()
        self.server_dock = ServerDock(
            self.server_adaptor, self._build_server_panel, self.server_action, self
        )
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.server_dock)
        self._build_menus()
        self._build_status_bar()
        self.clock.timeout.connect(self._update_status_bar)
        self._bind()
        self._current: ConnectionPage | None = None
        self._restore()
        if adaptor is not None:
            self.add_connection(
                "main",
                adaptor,
                method_names=method_names,
                publication_names=publication_names,
            )

    # -- the current page's parts ----------------------------------------------------
    @property
    def current(self) -> ConnectionPage | None:
        return self._current

    @property
    def current_key(self) -> str | None:
        """The key of the page shown (None: no connection is open)."""
        return self._current.key if self._current is not None else None

    def __getattr__(self, name: str) -> Any:
        # Only reached for names the window does not have itself.
        if name in _PAGE_ATTRIBUTES and self.__dict__.get("_current") is not None:
            return getattr(self._current, name)
        raise AttributeError(name)

    @property
    def banner(self) -> ErrorBanner:
        """Where a problem shows: the current page's banner, else the window's."""
        return self._current.banner if self._current is not None else self.window_banner

    # -- connections -------------------------------------------------------------------
    def add_connection(
        self,
        key: str,
        adaptor: PageSource,
        *,
        method_names: Sequence[str] = (),
        publication_names: Sequence[str] = (),
    ) -> ConnectionPage:
        """Give ``adaptor`` its own page and sidebar row, and select it."""
        actions = PageActions(
            self.reconnect_action,
            self.battery_action,
            self.pause_action,
            self.clear_action,
            self.export_action,
        )
        page = ConnectionPage(
            key,
            adaptor,
            actions,
            method_names=method_names,
            publication_names=publication_names,
        )
        page.restore(self.settings)
        page.timeline.setVisible(self.timeline_action.isChecked())
        self.pages[key] = page
        self.stack.addWidget(page)
        self.sidebar.add_connection(key, adaptor.label, adaptor.url)

        def show_look(*_: object) -> None:
            shown = look(adaptor.status, battery_saving=adaptor.battery_saving)
            self.sidebar.show_look(key, shown.icon, f"{adaptor.url}\n{shown.words}")
            if page is self._current:
                self._sync_actions()

        def show_facts() -> None:
            if page is self._current:
                self._update_status_bar()

        # Undone in remove_connection: Qt holds these closures, and a closure
        # holding the adaptor that holds the closure is a cycle Python's
        # collector cannot see, so a closed connection's store never went.
        self._hooks[key] = [
            (adaptor.status_changed, show_look),
            (adaptor.battery_saving_changed, show_look),
            (page.facts_changed, show_facts),
        ]
        for signal, hook in self._hooks[key]:
            signal.connect(hook)
        show_look()
        self.select(key)
        return page

    def remove_connection(self, key: str) -> None:
        """Drop the page of a closed connection; select another one."""
        page = self.pages.pop(key, None)
        if page is None:
            return
        for signal, hook in self._hooks.pop(key, []):
            signal.disconnect(hook)
        page.save(self.settings)
        self.sidebar.remove_connection(key)
        self.stack.removeWidget(page)
        page.deleteLater()
        if page is self._current:
            self._current = None
            rest = list(self.pages)
            if rest:
                self.select(rest[-1])
            else:
                self.stack.setCurrentWidget(self.empty)
                self._update_status_bar()

    @Slot(str)
    def select(self, key: str) -> None:
        """Show that connection's page (the sidebar follows)."""
        page = self.pages.get(key)
        if page is None or page is self._current:
            return
        old, self._current = self._current, page
        self._rebind(old, page)
        self.stack.setCurrentWidget(page)
        self.sidebar.select_connection(key)
        self.setWindowTitle(f"ddp-monitor \u2014 {page.adaptor.label}")
        self._sync_actions()
        self._update_status_bar()

    def _rebind(self, old: ConnectionPage | None, new: ConnectionPage) -> None:
        pairs: list[tuple[Any, Any]] = [
            (self.reconnect_action.triggered, "reconnect"),
            (self.battery_action.toggled, "set_battery_saving"),
            (self.offline_action.toggled, "set_offline"),
        ]
        if old is not None:
            for signal, slot in pairs if not old.read_only else []:
                signal.disconnect(getattr(old.adaptor, slot))
            self.pause_action.toggled.disconnect(old.log_model.set_paused)
            self.clear_action.triggered.disconnect(old.log_model.clear)
            self.export_action.triggered.disconnect(old.log.ask_export)
        self._sync_actions()  # before connecting: the checked states are the new page's
        for signal, slot in pairs if not new.read_only else []:  # a recording: none
            signal.connect(getattr(new.adaptor, slot))
        self.pause_action.toggled.connect(new.log_model.set_paused)
        self.clear_action.triggered.connect(new.log_model.clear)
        self.export_action.triggered.connect(new.log.ask_export)

    def _sync_actions(self) -> None:
        page = self._current
        if page is None:
            return
        for action, on in (
            (self.battery_action, page.adaptor.battery_saving),
            (
                self.offline_action,
                page.adaptor.status.status is ConnectionStatus.OFFLINE,
            ),
            (self.pause_action, page.log_model.paused),
        ):
            if action.isChecked() != on:
                action.blockSignals(True)
                action.setChecked(on)
                action.blockSignals(False)
        self.reconnect_action.setEnabled(
            page.adaptor.status.status is not ConnectionStatus.CONNECTED
            and not page.read_only
        )
        self.battery_action.setEnabled(not page.read_only)
        self.offline_action.setEnabled(not page.read_only)

    # -- building --------------------------------------------------------------------
    def _build_layout(self) -> None:
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.window_banner)
        column.addWidget(self.stack, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([_SIDEBAR_WIDTH, 1280 - _SIDEBAR_WIDTH])
        self.setCentralWidget(self.splitter)

    @property
    def server_tab(self) -> ServerTab:
        """The Server dock's panel, both modes (built now if the dock was never shown)."""
        return self.server_dock.panel

    @property
    def server_panel(self) -> ServerPanel:
        """The hosted server's panel (the dock's first mode)."""
        return self.server_tab.host_panel

    @property
    def proxy_panel(self) -> ProxyPanel:
        """The proxy's panel (the dock's second mode, issue 14)."""
        return self.server_tab.proxy_panel

    @property
    def agent_panel(self) -> AgentPanel:
        """The attach-to-an-app panel (the dock's third mode, issue 17)."""
        return self.server_tab.agent_panel

    async def stop_proxy(self) -> None:
        """Stop a proxy started from the Server dock, and detach from apps (if the dock was ever built)."""
        if self.server_dock.built:
            await self.proxy_panel.adaptor.stop()
            await self.agent_panel.adaptor.stop()

    def _build_server_panel(self) -> ServerTab:
        # Imported here: their modules load only when the dock first shows.
        from ddp_monitor.qt.agent_adaptor import AgentAdaptor
        from ddp_monitor.qt.proxy_adaptor import ProxyAdaptor
        from ddp_monitor.ui.agent_panel import AgentPanel
        from ddp_monitor.ui.proxy_panel import ProxyPanel
        from ddp_monitor.ui.server_panel import ServerPanel
        from ddp_monitor.ui.server_tab import ServerTab

        panel = ServerPanel(self.server_adaptor)
        panel.hosting.connect_requested.connect(self.url_requested)
        self._restore_splitter(panel.splitter)
        panel.table.restore_state(self.settings)
        return ServerTab(
            panel,
            ProxyPanel(ProxyAdaptor(parent=self)),
            AgentPanel(AgentAdaptor(parent=self)),
        )

    def _restore_splitter(self, splitter: QSplitter) -> None:
        state = self.settings.value(f"splitters/{splitter.objectName()}")
        if isinstance(state, QByteArray):
            splitter.restoreState(state)

    def show_server(self, on: bool = True) -> None:
        """Show (and focus the filter of) or hide the Server dock."""
        self.server_dock.show_panel(on)

    def _bind(self) -> None:
        s = self.sidebar
        s.connection_selected.connect(self.select)
        s.close_requested.connect(self.close_requested)
        s.profile_activated.connect(self.open_requested)
        self.commands.bind(
            s, self.new_action, self.import_action, self.export_profiles_action
        )
        self.close_connection_action.triggered.connect(self._close_current)
        self.recordings.bind(
            self.save_recording_actions,
            self.save_span_action,
            self.open_recording_action,
        )
        self.recordings.open_requested.connect(self.recording_requested)
        self.replay_action.triggered.connect(self._replay_recording)
        self.find_action.triggered.connect(self._focus_filter)
        self.quit_action.triggered.connect(self.close)
        for at, item in enumerate(self.tab_actions):
            item.triggered.connect(lambda _=False, at=at: self._show_tab(at))
        for theme, item in self.theme_actions.items():
            item.triggered.connect(lambda _=False, t=theme: self.choose_theme(t))
        self.timeline_action.toggled.connect(self.show_timeline)

    def _replay_recording(self) -> None:
        # Loaded on first use: the window's first paint needs none of it.
        from ddp_monitor.ui.replay_dialog import choose_and_replay, open_for_replay

        page = self._current
        if page is not None and isinstance(page.adaptor, RecordingAdaptor):
            # On a recording's page: replay that recording, no file to pick.
            open_for_replay(page.adaptor.path, self, self.banner)
        else:
            choose_and_replay(self, self.banner)

    def _close_current(self) -> None:
        if self._current is not None:
            self.close_requested.emit(self._current.key)

    def _show_tab(self, at: int) -> None:
        if self._current is not None:
            self._current.tabs.setCurrentIndex(at)

    # -- profiles -----------------------------------------------------------------------
    def save_profile(self, profile: Profile, secret: str | None) -> bool:
        """Keep ``profile``; its secret goes to the keyring (or, with consent, a file)."""
        return self.commands.save(profile, secret)

    # -- reacting ------------------------------------------------------------------------
    @Slot()
    def _update_status_bar(self, *_: object) -> None:
        page = self._current
        facts = page.facts() if page is not None else ("",) * 5
        for label, text in zip(self.fact_labels, facts, strict=True):
            label.setText(text)

    def _focus_filter(self) -> None:
        """Ctrl+F: the filter of the tab in view, or the Server dock's when focus is there."""
        focus = QApplication.focusWidget()
        page = self._current
        in_dock = focus is not None and self.server_dock.isAncestorOf(focus)
        if page is None or (in_dock and self.server_dock.isVisible()):
            self.show_server(True)
            self.server_panel.filter.focus()
            return
        panel = page.tabs.currentWidget()
        field = getattr(panel, "filter", None)
        if isinstance(field, FilterField):
            field.focus()

    # -- View > Timeline --------------------------------------------------------------
    @Slot(bool)
    def show_timeline(self, on: bool) -> None:
        """Show or hide every page's timeline, and remember it."""
        if self.timeline_action.isChecked() != on:
            self.timeline_action.setChecked(on)  # comes back here through toggled
            return
        for page in self.pages.values():
            page.timeline.setVisible(on)
        self.settings.setValue(TIMELINE_SETTING, on)

    # -- the theme (View > Theme) ------------------------------------------------------
    def show_theme(self, theme: Theme) -> None:
        """Check the menu's entry for ``theme`` (the one in force)."""
        self.theme_actions[theme].setChecked(True)

    def choose_theme(self, theme: Theme) -> None:
        """Remember ``theme`` and ask for it (``theme_chosen``)."""
        self.show_theme(theme)
        self.settings.setValue(THEME_SETTING, str(theme))
        self.theme_chosen.emit(str(theme))

    # -- remembering -----------------------------------------------------------------
    def _restore(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray):
            if self.restoreState(state):  # the Server dock: where, how big, shown
                self.server_dock.restored()
        else:
            # First run: the dock waits for Ctrl+5 or the status bar's Server
            # button (at 1280x800 it would take half the connection's page).
            self.server_dock.hide()
        self._restore_splitter(self.splitter)
        timeline = self.settings.value(TIMELINE_SETTING, True)
        self.timeline_action.setChecked(str(timeline).lower() not in ("false", "0"))

    def remembered_connections(self) -> list[str]:
        """The keys that were open when the window last closed."""
        value = self.settings.value("connections/open", [])
        if isinstance(value, str):
            return [value]
        return [str(v) for v in value] if isinstance(value, list) else []

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        splitters = [self.splitter]
        if self.server_dock.built:  # else the saved state stays as it was
            splitters.append(self.server_panel.splitter)
            self.server_panel.table.save_state(s)
        for splitter in splitters:
            s.setValue(f"splitters/{splitter.objectName()}", splitter.saveState())
        s.setValue("connections/open", self.sidebar.connection_keys())
        # The current page last: its layout becomes the one new pages start from.
        for page in sorted(self.pages.values(), key=lambda p: p is self._current):
            page.save(s)
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        super().closeEvent(event)
