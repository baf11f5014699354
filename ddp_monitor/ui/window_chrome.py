"""The window's chrome: its actions and shortcuts, menus and status-bar labels.

Owns ``WindowChrome``, the ``QMainWindow`` base of ``MainWindow``; imports
QtWidgets/QtGui/QtCore, ``ui.resources`` and ``ui.theme`` (the theme names). Split out of ``main_window``
(past 500 lines once the Server dock came): everything here is built once
and holds no connection; ``MainWindow`` points the actions at the selected
page and fills the labels. Shortcuts follow docs/ux.md (Ctrl+R, Ctrl+D,
Ctrl+L, Ctrl+F, Ctrl+E, Ctrl+N, Ctrl+1..4 and Ctrl+6 tabs, Ctrl+5 Server; Ctrl+O
opens a recording, Ctrl+Shift+S saves one), and work
from every field: a text field claims some of them for itself (on X11 a line
edit takes Ctrl+E as "end of line"), so the window keeps its own keys.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QAction, QActionGroup, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QTextEdit,
    QToolButton,
    QWidget,
)

from ddp_monitor.ui.resources import icon
from ddp_monitor.ui.theme import Theme

__all__ = ["TAB_KEYS", "TAB_NAMES", "WindowChrome"]

_TEXT_FIELDS = (QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox)

#: The page's tabs in order, and the keys that reach them (Ctrl+5 is the Server dock's).
TAB_NAMES = ("Methods", "Subscriptions", "Collections", "Messages", "Figures")
TAB_KEYS = ("Ctrl+1", "Ctrl+2", "Ctrl+3", "Ctrl+4", "Ctrl+6")


class WindowChrome(QMainWindow):
    """Actions, menus and the status bar's fact labels; no behaviour of its own."""

    def __init__(self) -> None:
        super().__init__()
        self._make_actions()
        self._window_keys = {
            action.shortcut().toString()
            for action in self.actions()
            if not action.shortcut().isEmpty()
        }
        # Only the focused text field of this window is watched: a filter on
        # the whole application would run Python for every event there is.
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._watch_field)

    def _watch_field(self, old: QWidget | None, new: QWidget | None) -> None:
        if isinstance(old, _TEXT_FIELDS):
            old.removeEventFilter(self)
        if isinstance(new, _TEXT_FIELDS) and new.window() is self:
            new.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # A field's claim on one of the window's keys (ShortcutOverride) is
        # refused here, so the window's action runs instead.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and QKeySequence(event.keyCombination()).toString() in self._window_keys
        ):
            event.ignore()
            return True
        return super().eventFilter(watched, event)

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
        # Meteor's own Meteor.disconnect(): offline, no retries, calls queue;
        # battery saving (above) is a dead link the client keeps retrying.
        self.offline_action = action("Go offline", "Ctrl+Shift+D")
        self.offline_action.setCheckable(True)
        self.offline_action.setToolTip(
            "Go offline (Ctrl+Shift+D): Meteor.disconnect(); no retries, calls "
            "queue until you switch it off or press Reconnect now "
            "(Meteor.reconnect())"
        )
        self.pause_action = action("Pause", None, "pause")
        self.pause_action.setCheckable(True)
        self.clear_action = action("Clear", "Ctrl+L", "clear")
        self.export_action = action("Export...", "Ctrl+E", "export")
        self.find_action = action("Find (filter this tab)", "Ctrl+F")
        self.quit_action = action("Quit", "Ctrl+Q")
        self.new_action = action("+ New profile", "Ctrl+N")
        self.close_connection_action = action("Close connection", "Ctrl+W")
        # Recordings (issue 16): the selected page's connection, all of it or
        # its last minutes; a saved one opens as a read-only page.
        self.open_recording_action = action("Open recording...", "Ctrl+O")
        self.save_recording_actions = {
            None: action("All...", "Ctrl+Shift+S"),
            1: action("Last minute...", None),
            5: action("Last 5 minutes...", None),
            15: action("Last 15 minutes...", None),
        }
        self.save_recording_actions[None].setToolTip(
            "Save everything this connection did, as a recording (Ctrl+Shift+S)"
        )
        self.save_span_action = action("The timeline's selected span...", None)
        self.save_span_action.setToolTip(
            "Save the part shift-dragged on the timeline, as a recording"
        )
        self.import_action = action("Import profiles...", None)
        self.export_profiles_action = action("Export profiles...", None)
        self.replay_action = action("Replay a recording...", None)
        self.replay_action.setToolTip(
            "Send a recording's calls and subscriptions to a server and compare "
            "the answers with the recorded ones"
        )
        self.tab_actions = [
            action(name, key) for name, key in zip(TAB_NAMES, TAB_KEYS, strict=True)
        ]
        # View > Theme: one of three, checked as the window remembers it.
        self.theme_group = QActionGroup(self)
        self.theme_actions: dict[Theme, QAction] = {}
        for theme, words in (
            (Theme.SYSTEM, "Follow the system"),
            (Theme.LIGHT, "Light"),
            (Theme.DARK, "Dark"),
        ):
            made = self.theme_group.addAction(words)
            made.setCheckable(True)
            self.theme_actions[theme] = made
        self.timeline_action = action("Timeline", None)
        self.timeline_action.setCheckable(True)
        self.timeline_action.setChecked(True)
        self.timeline_action.setToolTip(
            "Show or hide the timeline: the connection's status, traffic and "
            "round trips over time"
        )
        self.server_action = action("Server", "Ctrl+5")
        self.server_action.setCheckable(True)
        self.server_action.setToolTip(
            "Show or hide the Server panel: the server this window hosts (Ctrl+5)"
        )

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file = menus.addMenu("&File")
        for item in (self.new_action, self.import_action, self.export_profiles_action):
            file.addAction(item)
        file.addSeparator()
        file.addAction(self.open_recording_action)
        save = file.addMenu("&Save recording")
        save.addActions(list(self.save_recording_actions.values()))
        save.addAction(self.save_span_action)
        file.addSeparator()
        file.addAction(self.export_action)
        file.addAction(self.replay_action)
        file.addSeparator()
        file.addAction(self.quit_action)
        connection = menus.addMenu("&Connection")
        connection.addAction(self.reconnect_action)
        connection.addAction(self.battery_action)
        connection.addAction(self.offline_action)
        connection.addAction(self.close_connection_action)
        view = menus.addMenu("&View")
        view.addAction(self.find_action)
        view.addAction(self.pause_action)
        view.addAction(self.clear_action)
        view.addSeparator()
        for item in self.tab_actions:
            view.addAction(item)
        view.addAction(self.server_action)
        view.addAction(self.timeline_action)
        view.addSeparator()
        themes = view.addMenu("&Theme")
        themes.addActions(list(self.theme_actions.values()))

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
            label.setObjectName("factLabel")
            bar.addWidget(label)
        server = QToolButton()
        server.setObjectName("serverToggle")
        server.setDefaultAction(self.server_action)
        server.setAutoRaise(True)
        bar.addPermanentWidget(server)
        # Once a second: the transport's open time ticks.
        self.clock = QTimer(self)
        self.clock.setInterval(1000)
        self.clock.start()
