"""The main window: the sidebar, one page per open connection, menus and status bar.

Owns ``MainWindow`` (layout, actions and shortcuts, status bar, remembered
geometry and open connections, the profile commands); imports
QtWidgets/QtGui/QtCore, ``qt`` adaptors and models, ``profiles`` values and
the panels in ``ui``. Each connection's panels live on its ``ConnectionPage``;
the window shows the selected page and points the shared actions at it
(qtconsole's rebind-in-a-setter seam). Opening and closing connections is the
app's job: the window asks through ``open_requested`` / ``close_requested``.

Attributes such as ``adaptor``, ``badge``, ``banner``, ``tabs`` or
``log_model`` are the current page's, so code written for one connection
keeps working on the selected one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ddp_monitor.ddp.status import ConnectionStatus
from ddp_monitor.profiles import LoginKind, Profile, SecretStore, SecretsUnavailable
from ddp_monitor.qt.client_adaptor import ClientAdaptor
from ddp_monitor.qt.profile_model import ProfileListModel
from ddp_monitor.qt.server_adaptor import ServerAdaptor
from ddp_monitor.qt.status_look import look
from ddp_monitor.ui.connection_page import ConnectionPage, PageActions
from ddp_monitor.ui.error_banner import ErrorBanner
from ddp_monitor.ui.profiles_dialog import ProfileDialog
from ddp_monitor.ui.resources import icon
from ddp_monitor.ui.server_panel import ServerPanel
from ddp_monitor.ui.sidebar import Sidebar

__all__ = ["MainWindow"]

_SIDEBAR_WIDTH = 210
_PAGE_ATTRIBUTES = frozenset(
    {
        "adaptor", "badge", "bar", "countdown", "methods",
        "subscriptions", "collections", "log", "tabs", "log_model",
        "method_model", "subscription_model", "collection_model", "document_model",
    }
)  # fmt: skip


class MainWindow(QMainWindow):
    """The window: sidebar, the selected connection's page, status bar.

    Args:
        adaptor: a first connection to show (optional; ``add_connection`` adds more).
        settings: where geometry, column widths and open connections live.
        method_names, publication_names: completions for the first connection.
        profiles: the saved profiles (an in-memory list when None).
        server: the hosted server's adaptor (the app's embedded demo); without
            one the Server tab starts with nothing hosted. The Server tab is
            the window's, shown as the fifth tab of whichever page is selected.

    Signals:
        open_requested(str): open a connection for this profile id.
        close_requested(str): close the connection with this key.
    """

    open_requested = Signal(str)
    close_requested = Signal(str)

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
        super().__init__()
        self.settings = settings if settings is not None else QSettings()
        self.profiles = profiles if profiles is not None else ProfileListModel()
        self.profiles.setParent(self)
        self.pages: dict[str, ConnectionPage] = {}
        self.setWindowTitle("ddp-monitor")
        self.setWindowIcon(icon("app"))
        self._make_actions()
        self.window_banner = ErrorBanner()
        self.profiles.problem.connect(self.window_banner.show_problem)
        self.stack = QStackedWidget()
        self.empty = QLabel(
            "No connection open.\nDouble-click a profile, or press Ctrl+N for a new one."
        )
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setObjectName("hintLabel")
        self.stack.addWidget(self.empty)
        self.sidebar = Sidebar(self.profiles, self.new_action)
        # The Server tab (issue 5): the embedded demo server, or one hosted here.
        self.server_panel = ServerPanel(server or ServerAdaptor(parent=self))
        self.server_panel.title_changed.connect(self._server_title)
        self._build_layout()
        self._build_menus()
        self._build_status_bar()
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
        adaptor: ClientAdaptor,
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
        self.pages[key] = page
        self.stack.addWidget(page)
        self.sidebar.add_connection(key, adaptor.label, adaptor.url)

        def show_look(*_: object) -> None:
            shown = look(adaptor.status, battery_saving=adaptor.battery_saving)
            self.sidebar.show_look(key, shown.icon, f"{adaptor.url}\n{shown.words}")
            if page is self._current:
                self._sync_actions()

        adaptor.status_changed.connect(show_look)
        adaptor.battery_saving_changed.connect(show_look)
        page.facts_changed.connect(
            lambda: self._update_status_bar() if page is self._current else None
        )
        show_look()
        self.select(key)
        return page

    def remove_connection(self, key: str) -> None:
        """Drop the page of a closed connection; select another one."""
        page = self.pages.pop(key, None)
        if page is None:
            return
        if page is self._current:
            page.save(self.settings)
        self.sidebar.remove_connection(key)
        if page.tabs.indexOf(self.server_panel) >= 0:
            # The Server tab belongs to the window: it must not go with the page.
            page.tabs.removeTab(page.tabs.indexOf(self.server_panel))
            self.server_panel.setParent(self)
            self.server_panel.hide()
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
        self._move_server_tab(old, page)
        self.stack.setCurrentWidget(page)
        self.sidebar.select_connection(key)
        self.setWindowTitle(f"ddp-monitor \u2014 {page.adaptor.label}")
        self._sync_actions()
        self._update_status_bar()

    def _rebind(self, old: ConnectionPage | None, new: ConnectionPage) -> None:
        pairs: list[tuple[Any, Any]] = [
            (self.reconnect_action.triggered, "reconnect"),
            (self.battery_action.toggled, "set_battery_saving"),
        ]
        if old is not None:
            for signal, slot in pairs:
                signal.disconnect(getattr(old.adaptor, slot))
            self.pause_action.toggled.disconnect(old.log_model.set_paused)
            self.clear_action.triggered.disconnect(old.log_model.clear)
            self.export_action.triggered.disconnect(old.log.ask_export)
        self._sync_actions()  # before connecting: the checked states are the new page's
        for signal, slot in pairs:
            signal.connect(getattr(new.adaptor, slot))
        self.pause_action.toggled.connect(new.log_model.set_paused)
        self.clear_action.triggered.connect(new.log_model.clear)
        self.export_action.triggered.connect(new.log.ask_export)

    def _move_server_tab(self, old: ConnectionPage | None, new: ConnectionPage) -> None:
        # One Server tab for the window: it moves to the page in view, and
        # stays the tab in view if it was.
        showing = old is not None and old.tabs.currentWidget() is self.server_panel
        if old is not None and old.tabs.indexOf(self.server_panel) >= 0:
            old.tabs.removeTab(old.tabs.indexOf(self.server_panel))
        new.tabs.addTab(self.server_panel, self.server_panel.title())
        if showing:
            new.tabs.setCurrentWidget(self.server_panel)

    def _server_title(self, title: str) -> None:
        page = self._current
        if page is not None and page.tabs.indexOf(self.server_panel) >= 0:
            page.tabs.setTabText(page.tabs.indexOf(self.server_panel), title)

    def _sync_actions(self) -> None:
        page = self._current
        if page is None:
            return
        for action, on in (
            (self.battery_action, page.adaptor.battery_saving),
            (self.pause_action, page.log_model.paused),
        ):
            if action.isChecked() != on:
                action.blockSignals(True)
                action.setChecked(on)
                action.blockSignals(False)
        self.reconnect_action.setEnabled(
            page.adaptor.status.status is not ConnectionStatus.CONNECTED
        )

    # -- building --------------------------------------------------------------------
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
        self.new_action = action("+ New profile", "Ctrl+N")
        self.close_connection_action = action("Close connection", "Ctrl+W")
        self.import_action = action("Import profiles...", None)
        self.export_profiles_action = action("Export profiles...", None)
        self.tab_actions = [action(f"Tab {n}", f"Ctrl+{n}") for n in range(1, 6)]

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

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file = menus.addMenu("&File")
        for item in (self.new_action, self.import_action, self.export_profiles_action):
            file.addAction(item)
        file.addSeparator()
        file.addAction(self.export_action)
        file.addSeparator()
        file.addAction(self.quit_action)
        connection = menus.addMenu("&Connection")
        connection.addAction(self.reconnect_action)
        connection.addAction(self.battery_action)
        connection.addAction(self.close_connection_action)
        view = menus.addMenu("&View")
        view.addAction(self.find_action)
        view.addAction(self.pause_action)
        view.addAction(self.clear_action)
        view.addSeparator()
        for item in self.tab_actions:
            view.addAction(item)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.fact_labels = [QLabel() for _ in range(5)]
        (
            self.session_label,
            self.version_label,
            self.open_label,
            self.subs_label,
            self.login_label,
        ) = self.fact_labels
        for label in self.fact_labels:
            label.setObjectName("hintLabel")
            bar.addWidget(label)
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._update_status_bar)
        self._clock.start()

    def _bind(self) -> None:
        s = self.sidebar
        s.connection_selected.connect(self.select)
        s.close_requested.connect(self.close_requested)
        s.profile_activated.connect(self.open_requested)
        s.edit_requested.connect(self.ask_edit_profile)
        s.duplicate_requested.connect(self.profiles.duplicate)
        s.delete_requested.connect(self.ask_delete_profile)
        s.import_requested.connect(self.ask_import)
        s.export_requested.connect(self.ask_export_profiles)
        self.new_action.triggered.connect(lambda: self.ask_edit_profile(None))
        self.import_action.triggered.connect(self.ask_import)
        self.export_profiles_action.triggered.connect(self.ask_export_profiles)
        self.close_connection_action.triggered.connect(self._close_current)
        self.find_action.triggered.connect(self._focus_filter)
        self.quit_action.triggered.connect(self.close)
        for at, item in enumerate(self.tab_actions):
            item.triggered.connect(lambda _=False, at=at: self._show_tab(at))

    def _close_current(self) -> None:
        if self._current is not None:
            self.close_requested.emit(self._current.key)

    def _show_tab(self, at: int) -> None:
        if self._current is not None:
            self._current.tabs.setCurrentIndex(at)

    # -- profiles -----------------------------------------------------------------------
    def ask_edit_profile(self, profile_id: str | None) -> None:
        """The profile dialog for a new profile (None) or an existing one."""
        known = self.profiles.find(profile_id) if profile_id else None
        profile = known or Profile("", "")
        secrets = self.profiles.secrets
        has_secret = known is not None and _has_secret(secrets, known)
        dialog = ProfileDialog(profile, has_secret, self)
        if dialog.exec():
            self.save_profile(dialog.profile(), dialog.typed_secret())

    def save_profile(self, profile: Profile, secret: str | None) -> bool:
        """Keep ``profile``; its secret goes to the keyring (or, with consent, a file)."""
        self.profiles.replace(profile)
        if secret is None or profile.login.kind is LoginKind.NONE:
            return True
        secrets = self.profiles.secrets
        try:
            secrets.set(SecretStore.key(profile), secret)
        except SecretsUnavailable as exc:
            if not self._consent_to_plain_text(str(exc), secrets):
                self.banner.show_problem(
                    "The password was not stored",
                    f"{exc}. You will be asked for it when connecting.",
                )
                return False
            secrets.plain_text_allowed = True
            secrets.set(SecretStore.key(profile), secret)
        return True

    def _consent_to_plain_text(self, why: str, secrets: SecretStore) -> bool:
        answer = QMessageBox.question(
            self,
            "No keyring",
            f"ddp-monitor cannot store secrets safely: {why}.\n\n"
            f"Store this password in plain text in {secrets.plain_path} "
            "(readable only by your user account)?",
        )
        return answer == QMessageBox.StandardButton.Yes

    def ask_delete_profile(self, profile_id: str) -> None:
        profile = self.profiles.find(profile_id)
        if profile is None:
            return
        answer = QMessageBox.question(
            self, "Delete profile", f"Delete the profile \u201c{profile.name}\u201d?"
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.profiles.remove(profile_id)

    def ask_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import profiles", "", "Profiles (*.json)"
        )
        if path:
            added = self.profiles.import_from(Path(path))
            self.statusBar().showMessage(f"Imported {len(added)} profiles", 8000)

    def ask_export_profiles(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export profiles (no passwords)", "profiles.json", "Profiles (*.json)"
        )
        if path and self.profiles.export_to(Path(path)):
            self.statusBar().showMessage(f"Exported profiles to {path}", 8000)

    # -- reacting ------------------------------------------------------------------------
    @Slot()
    def _update_status_bar(self, *_: object) -> None:
        page = self._current
        facts = page.facts() if page is not None else ("",) * 5
        for label, text in zip(self.fact_labels, facts, strict=True):
            label.setText(text)

    def _focus_filter(self) -> None:
        page = self._current
        if page is not None:
            page.tabs.setCurrentWidget(page.log)
            page.log.filter.setFocus()
            page.log.filter.selectAll()

    # -- remembering -----------------------------------------------------------------
    def _restore(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        for splitter in (self.splitter, self.server_panel.splitter):
            state = self.settings.value(f"splitters/{splitter.objectName()}")
            if isinstance(state, QByteArray):
                splitter.restoreState(state)
        self.server_panel.table.restore_state(self.settings)

    def remembered_connections(self) -> list[str]:
        """The keys that were open when the window last closed."""
        value = self.settings.value("connections/open", [])
        if isinstance(value, str):
            return [value]
        return [str(v) for v in value] if isinstance(value, list) else []

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        for splitter in (self.splitter, self.server_panel.splitter):
            s.setValue(f"splitters/{splitter.objectName()}", splitter.saveState())
        self.server_panel.table.save_state(s)
        s.setValue("connections/open", self.sidebar.connection_keys())
        if self._current is not None:
            self._current.save(s)
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        super().closeEvent(event)


def _has_secret(secrets: SecretStore, profile: Profile) -> bool:
    try:
        return secrets.get(SecretStore.key(profile)) is not None
    except SecretsUnavailable:
        return False
