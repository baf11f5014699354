"""The sidebar: open connections (each with its status dot) above the saved profiles.

Owns ``Sidebar``; imports QtWidgets, ``qt.profile_model``, ``ui.hint_views`` and
``ui.resources``.
It knows connections only by a key and a look (icon name, words): the window
decides what a key means. Profiles are rows of ``ProfileListModel``;
double-click or Enter connects, the context menu edits (docs/ux.md).
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, QSize, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QToolButton,
    QVBoxLayout,
)

from ddp_monitor.qt.profile_model import PROFILE_ROLE, ProfileListModel
from ddp_monitor.ui.hint_views import HintListView
from ddp_monitor.ui.resources import icon

__all__ = ["Sidebar"]

_KEY = Qt.ItemDataRole.UserRole


class Sidebar(QFrame):
    """CONNECTIONS (open, with status dots) and PROFILES (saved), one column.

    Signals:
        connection_selected(str): a connection's key was selected.
        close_requested(str): close that connection.
        profile_activated(str): open a connection for that profile id.
        edit_requested(str), duplicate_requested(str), delete_requested(str)
        import_requested(), export_requested()
    """

    connection_selected = Signal(str)
    close_requested = Signal(str)
    profile_activated = Signal(str)
    edit_requested = Signal(str)
    duplicate_requested = Signal(str)
    delete_requested = Signal(str)
    import_requested = Signal()
    export_requested = Signal()

    def __init__(self, profiles: ProfileListModel, new_action: QAction) -> None:
        super().__init__()
        self.setObjectName("sidebar")
        self.profiles = profiles
        self.connection_list = QListWidget()
        self.connection_list.setObjectName("connectionList")
        self.connection_list.setIconSize(QSize(14, 14))
        self.connection_list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.connection_list.setHorizontalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )
        self.connection_list.currentItemChanged.connect(self._selected)
        self.profile_list = HintListView(
            "No saved profiles: press Ctrl+N to keep a server's URL, login "
            "and subscriptions as one."
        )
        self.profile_list.setObjectName("connectionList")
        self.profile_list.setModel(profiles)
        # `activated` alone: a double-click also emits it (and on platforms
        # with single-click activation, a click), so both would open twice.
        self.profile_list.activated.connect(self._activated)
        for view in (self.connection_list, self.profile_list):
            view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.connection_list.customContextMenuRequested.connect(self._connection_menu)
        self.profile_list.customContextMenuRequested.connect(self._profile_menu)
        new = QToolButton()
        new.setDefaultAction(new_action)
        new.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.hint = QLabel("Double-click a profile to connect; right-click for more.")
        self.hint.setObjectName("hintLabel")
        self.hint.setWordWrap(True)
        column = QVBoxLayout(self)
        column.setContentsMargins(6, 4, 6, 8)
        column.addWidget(_title("CONNECTIONS"))
        column.addWidget(self.connection_list, 2)
        column.addWidget(_title("PROFILES"))
        column.addWidget(self.profile_list, 3)
        column.addWidget(new, 0, Qt.AlignmentFlag.AlignLeft)
        column.addWidget(self.hint)

    # -- connections --------------------------------------------------------------
    def add_connection(self, key: str, label: str, tooltip: str) -> None:
        item = QListWidgetItem(label)
        item.setData(_KEY, key)
        item.setToolTip(tooltip)
        self.connection_list.addItem(item)

    def remove_connection(self, key: str) -> None:
        item = self._item(key)
        if item is not None:
            self.connection_list.takeItem(self.connection_list.row(item))

    def select_connection(self, key: str) -> None:
        item = self._item(key)
        if item is not None:
            self.connection_list.setCurrentItem(item)

    def show_look(self, key: str, icon_name: str, tooltip: str) -> None:
        """The connection's status dot (icon) and its words as tooltip."""
        item = self._item(key)
        if item is not None:
            item.setIcon(icon(icon_name))
            item.setToolTip(tooltip)
            item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, tooltip)

    def connection_keys(self) -> list[str]:
        return [
            str(self.connection_list.item(row).data(_KEY))
            for row in range(self.connection_list.count())
        ]

    def _item(self, key: str) -> QListWidgetItem | None:
        for row in range(self.connection_list.count()):
            item = self.connection_list.item(row)
            if item.data(_KEY) == key:
                return item
        return None

    def _selected(self, item: QListWidgetItem | None, _: object = None) -> None:
        if item is not None:
            self.connection_selected.emit(str(item.data(_KEY)))

    def _connection_menu(self, at: QPoint) -> None:
        item = self.connection_list.itemAt(at)
        if item is None:
            return
        menu = QMenu(self)
        key = str(item.data(_KEY))
        menu.addAction("Close connection", lambda: self.close_requested.emit(key))
        menu.exec(self.connection_list.viewport().mapToGlobal(at))

    # -- profiles -------------------------------------------------------------------
    def _activated(self, index: QModelIndex) -> None:
        profile = index.data(PROFILE_ROLE)
        if profile is not None:
            self.profile_activated.emit(profile.id)

    def _profile_menu(self, at: QPoint) -> None:
        menu = QMenu(self)
        profile = self.profile_list.indexAt(at).data(PROFILE_ROLE)
        if profile is not None:
            pid = profile.id
            menu.addAction("Connect", lambda: self.profile_activated.emit(pid))
            menu.addAction("Edit...", lambda: self.edit_requested.emit(pid))
            menu.addAction("Duplicate", lambda: self.duplicate_requested.emit(pid))
            menu.addAction("Delete", lambda: self.delete_requested.emit(pid))
            menu.addSeparator()
        menu.addAction("Import profiles...", self.import_requested.emit)
        menu.addAction("Export profiles...", self.export_requested.emit)
        menu.exec(self.profile_list.viewport().mapToGlobal(at))


def _title(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("sidebarTitle")
    return label
