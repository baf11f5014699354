"""The window remembers each connection's layout on its own, and Ctrl+F finds the tab's filter.

Pages are built for clients pointed at a closed port on 127.0.0.1 (they
keep retrying in the background): only the window's layout is under test.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from ddp_monitor.qt.client_adaptor import ClientAdaptor
from ddp_monitor.transport.client.ddp_client import DDPClient
from ddp_monitor.ui.main_window import MainWindow
from ddp_monitor.ui.theme import Theme, ThemeSwitch
from ddp_monitor.ui.window_chrome import TAB_KEYS, TAB_NAMES
from tests.qt.harness import run


def _settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def _window(qtbot: Any, tmp_path: Path) -> MainWindow:
    window = MainWindow(None, _settings(tmp_path))
    qtbot.addWidget(window)
    window.show()
    return window


async def _open(window: MainWindow, key: str) -> Any:
    adaptor = ClientAdaptor(DDPClient("ws://127.0.0.1:9/websocket"), key)
    await adaptor.start()
    _adaptors.append(adaptor)
    return window.add_connection(key, adaptor)


_adaptors: list[ClientAdaptor] = []


def _share(sizes: list[int]) -> float:
    return sizes[0] / sum(sizes)


async def _close_all() -> None:
    while _adaptors:
        await _adaptors.pop().close()


def test_each_connection_keeps_its_own_tab_and_splitter(
    qtbot: Any, qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """Two connections with different tabs and splitters come back each as it was left."""

    async def scenario() -> tuple[Any, ...]:
        window = _window(qtbot, tmp_path)
        local = await _open(window, "local")
        local.tabs.setCurrentIndex(3)
        local.methods.splitter.setSizes([900, 100])
        staging = await _open(window, "ws://staging.example.com/websocket")
        staging.tabs.setCurrentIndex(2)
        staging.methods.splitter.setSizes([300, 700])
        window.save_settings()
        sizes = (local.methods.splitter.sizes(), staging.methods.splitter.sizes())
        window.close()
        await _close_all()
        again = _window(qtbot, tmp_path)
        pages = [
            await _open(again, key)
            for key in ("local", "ws://staging.example.com/websocket", "never seen")
        ]
        await _close_all()
        return sizes, pages

    (local_sizes, staging_sizes), pages = run(qloop, scenario())
    new_local, new_staging, fresh = pages
    assert new_local.tabs.currentIndex() == 3
    assert new_staging.tabs.currentIndex() == 2
    # Sizes scale with the page's width; the share of the table is what returns.
    assert _share(local_sizes) > 0.8
    assert _share(new_local.methods.splitter.sizes()) > 0.8
    assert _share(staging_sizes) < 0.4
    assert _share(new_staging.methods.splitter.sizes()) < 0.4
    # A connection opened for the first time starts from the last layout saved.
    assert fresh.tabs.currentIndex() in (2, 3)


def test_ctrl_f_focuses_the_filter_of_the_tab_in_view(
    qtbot: Any, qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """Ctrl+F lands in the current tab's filter; with no connection, in the Server panel's."""
    window = _window(qtbot, tmp_path)
    window.activateWindow()
    ctrl = Qt.KeyboardModifier.ControlModifier

    async def scenario() -> list[bool]:
        focused = []
        for name, key in zip(TAB_NAMES, TAB_KEYS, strict=True):
            page = await _open(window, name)
            QTest.keyClick(window, Qt.Key(Qt.Key.Key_0 + int(key[-1])), ctrl)
            QTest.keyClick(window, Qt.Key.Key_F, ctrl)
            shown = page.tabs.currentWidget()
            focused.append(QApplication.focusWidget() is shown.filter)
            window.remove_connection(name)
        await _close_all()
        return focused

    focused = run(qloop, scenario())
    QTest.keyClick(window, Qt.Key.Key_F, ctrl)
    server_filter = QApplication.focusWidget() is window.server_panel.filter
    assert focused == [True] * len(TAB_NAMES)
    assert server_filter
    assert window.server_dock.isVisible()


def test_the_window_fits_a_1024_by_640_screen_with_the_server_dock_open(
    qloop: asyncio.AbstractEventLoop, qtbot: Any, tmp_path: Path, switch: ThemeSwitch
) -> None:
    """The smallest screen the window is made for holds it whole, dock and all, in every Server mode.

    With the app's style sheet: its 16 px bold badge words made the bar 65 px
    wider than the window without it (seen under X11, not offscreen)."""
    switch.set_theme(Theme.LIGHT)

    async def scenario() -> list[tuple[int, int]]:
        window = _window(qtbot, tmp_path)
        await _open(window, "one")
        sizes = []
        window.show_server(True)
        for proxy in (False, True):
            window.server_tab.show_proxy(proxy)
            hint = window.minimumSizeHint()
            sizes.append((hint.width(), hint.height()))
        window.server_tab.show_agent()
        hint = window.minimumSizeHint()
        sizes.append((hint.width(), hint.height()))
        await _close_all()
        return sizes

    for width, height in run(qloop, scenario()):
        assert width <= 1024
        assert height <= 640
