"""The composition root: QApplication, the qasync loop, the client, the demo server, the window.

Owns start-up and shut-down of the desktop app and the one catch-all error
route (``sys.excepthook`` and the loop's exception handler -> the window's
banner); imports Qt, qasync, ``transport``, ``qt``, ``ui``, ``profiles``,
``app.workspace``, ``app.collector`` and ``demo.names``; the embedded demo
server runs in the hosted server's own process (``qt.server_adaptor``).
qasync runs asyncio on Qt's loop, so the client lives on the GUI thread
(docs/architecture.md section 3, "Qt adaptor").
"""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import qasync  # type: ignore[import-untyped]  # qasync ships no type information
from PySide6.QtCore import QSettings, Qt, qVersion
from PySide6.QtWidgets import QApplication, QMessageBox

from ddp_monitor.app.collector import CollectorPlan
from ddp_monitor.app.workspace import Workspace
from ddp_monitor.demo import names as demo_names
from ddp_monitor.profiles import ProfileStore
from ddp_monitor.qt.client_adaptor import ClientAdaptor
from ddp_monitor.qt.profile_model import ProfileListModel
from ddp_monitor.qt.server_adaptor import ServerAdaptor
from ddp_monitor.transport.client.urls import InvalidURL
from ddp_monitor.ui.main_window import MainWindow
from ddp_monitor.ui.resources import app_icon
from ddp_monitor.ui.theme import ThemeSwitch, saved_theme

__all__ = [
    "Session",
    "bind_theme",
    "open_session",
    "run",
    "start_demo_traffic",
]

log = logging.getLogger(__name__)


@dataclass
class Session:
    """One open window, its connections (``adaptor``: the first) and the demo server.

    ``adaptor`` is None when the window opened on a recording file.
    """

    window: MainWindow
    adaptor: ClientAdaptor | None
    closers: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)
    workspace: Workspace | None = None
    collector: CollectorPlan | None = None

    async def open_saved(self) -> None:
        """Open the profiles that were open last time, and the auto-connect ones.

        The page asked for at launch (the URL on the command line, or the
        demo) stays the one shown: each page opened here would select itself.
        """
        assert self.workspace is not None
        asked = self.window.current_key
        wanted = set(self.window.remembered_connections())
        for profile in self.window.profiles.profiles:
            if profile.auto_connect or profile.id in wanted:
                await self.workspace.open_profile(profile)
        if asked is not None:
            self.window.select(asked)

    async def close(self) -> None:
        """Close the client, then stop the demo server (in that order)."""
        if self.collector is not None:
            self.collector.stop()
        for close in self.closers:
            await close()


async def open_session(
    url: str | None,
    settings: QSettings | None = None,
    store: ProfileStore | None = None,
    *,
    recording: Path | None = None,
) -> Session:
    """Start the demo server when ``url`` is None, connect, build the window.

    ``store``: the saved profiles (None: an in-memory list, as tests want).
    ``recording``: open this recording file instead (no demo, no connection).

    Raises:
        InvalidURL: ``url`` cannot lead to a DDP server.
    """
    closers: list[Callable[[], Awaitable[Any]]] = []
    label = ""
    methods: tuple[str, ...] = ()
    publications: tuple[str, ...] = ()
    hosted = ServerAdaptor()  # the Server tab shows it, close() stops it
    if recording is not None:
        return _recording_session(recording, settings, store, hosted)
    if url is None:
        # The demo runs in the hosted server's own process (qt.server_adaptor):
        # its port is bound here, so the client may connect at once.
        if not hosted.host_now("127.0.0.1", 0, demo=True):
            raise OSError("cannot host the embedded demo server on 127.0.0.1")
        url, label = hosted.url, "local demo"
        methods, publications = demo_names.METHODS, demo_names.PUBLICATIONS
    closers.append(hosted.close)
    profiles = ProfileListModel(store)
    window = MainWindow(None, settings, profiles=profiles, server=hosted)
    closers.append(window.stop_proxy)  # a proxy started in the window
    profiles.load()
    collector = CollectorPlan(window)
    workspace = Workspace(window, collector.released)
    try:
        first = await workspace.open_url(
            url,
            "demo" if methods else url,
            label,
            method_names=methods,
            publication_names=publications,
            follows_hosted=bool(methods),  # the demo, as the Server panel moves it
        )
    except InvalidURL:
        for close in closers:
            await close()
        window.deleteLater()
        raise
    adaptor = first.adaptor
    closers.insert(0, workspace.close)
    if methods:
        start_demo_traffic(adaptor)
    # Everything made so far (Qt wrappers, modules, the window) lives for the
    # whole run; what comes later is frozen as it settles (app.collector).
    collector.start()
    return Session(window, adaptor, closers, workspace, collector)


def _recording_session(
    path: Path,
    settings: QSettings | None,
    store: ProfileStore | None,
    hosted: ServerAdaptor,
) -> Session:
    """The window on a recording file: its page, and no connection."""
    profiles = ProfileListModel(store)
    window = MainWindow(None, settings, profiles=profiles, server=hosted)
    profiles.load()
    collector = CollectorPlan(window)
    workspace = Workspace(window, collector.released)
    workspace.open_recording(path)
    collector.start()
    closers: list[Callable[[], Awaitable[Any]]] = [
        workspace.close,
        hosted.close,
        window.stop_proxy,
    ]
    return Session(window, None, closers, workspace, collector)


def start_demo_traffic(adaptor: ClientAdaptor) -> None:
    """Give every panel something moving on the demo (docs/ux.md, first run)."""
    for name, params in demo_names.FIRST_SUBSCRIPTIONS:
        adaptor.subscribe(name, params)
    adaptor.call("tasks.add", ["Try the method console below"])


def bind_theme(window: MainWindow, switch: ThemeSwitch) -> None:
    """The View menu shows the theme in force and applies each new choice live."""
    window.show_theme(switch.theme)
    window.theme_chosen.connect(switch.set_theme)


def install_error_route(window: MainWindow, loop: asyncio.AbstractEventLoop) -> None:
    """Every unexpected error: printed for the record, shown in the window in words."""

    def hook(
        kind: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
    ) -> None:
        text = "".join(traceback.format_exception(kind, exc, tb))
        sys.stderr.write(text)
        window.banner.show_problem(
            "Something went wrong inside ddp-monitor",
            f"{kind.__name__}: {exc}. The connection keeps running; details below.",
            text,
        )

    def on_loop_error(
        _loop: asyncio.AbstractEventLoop, context: dict[str, Any]
    ) -> None:
        exc = context.get("exception")
        if isinstance(exc, BaseException):
            hook(type(exc), exc, exc.__traceback__)
        else:
            window.banner.show_problem(
                "Something went wrong", str(context.get("message"))
            )

    sys.excepthook = hook
    loop.set_exception_handler(on_loop_error)


def run(
    url: str | None = None,
    *,
    quit_after: float | None = None,
    qt_args: Sequence[str] = (),
    recording: Path | None = None,
) -> int:
    """Open the window (on the demo server when ``url`` is None) until it is closed.

    ``quit_after``: close the window that many seconds after it is shown (the
    packaging smoke check: a frozen build must start, show it and quit).
    ``qt_args``: Qt's own options (``-style Fusion``, ``-platform xcb``...),
    for the ``QApplication``. ``recording``: open this recording file instead
    of a connection.
    """
    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    assert isinstance(app, QApplication)
    log.info(
        "Qt %s, platform %s, style %s",
        qVersion(),
        app.platformName(),
        app.style().name(),
    )
    unused = app.arguments()[1:]  # what Qt did not take (-title off X11...)
    if unused:
        log.warning("Qt did not use %s on this platform", " ".join(unused))
    app.setOrganizationName("ddp-monitor")
    app.setApplicationName("ddp-monitor")
    app.setWindowIcon(app_icon())
    # Wayland and docks match the window to packaging/io.github.ddp_monitor.desktop.
    app.setDesktopFileName("io.github.ddp_monitor")
    app.setQuitOnLastWindowClosed(False)
    # Before the window is built, so it is polished once (the window's
    # settings are the default QSettings, which it reads the same way).
    theme = ThemeSwitch(app, saved_theme(QSettings()))
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        code: int = loop.run_until_complete(
            _main(app, url, loop, quit_after, theme, recording)
        )
        return code
    finally:
        loop.close()
        asyncio.set_event_loop(None)


async def _main(
    app: QApplication,
    url: str | None,
    loop: asyncio.AbstractEventLoop,
    quit_after: float | None,
    theme: ThemeSwitch,
    recording: Path | None = None,
) -> int:
    try:
        session = await open_session(url, store=ProfileStore(), recording=recording)
    except InvalidURL as exc:
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            "ddp-monitor",
            f"ddp-monitor cannot connect to {exc.url!r}:\n{exc.reason}.",
        )
        box.setInformativeText(
            "Give a server URL such as http://localhost:3000 or "
            "ws://localhost:3000/websocket, or no URL to open the demo."
        )
        box.exec()
        return 2
    closed = asyncio.Event()
    app.lastWindowClosed.connect(closed.set)
    install_error_route(session.window, loop)
    bind_theme(session.window, theme)
    session.window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
    session.window.show()
    await session.open_saved()
    log.info("window shown")
    if quit_after is not None:
        loop.call_later(quit_after, session.window.close)
    await closed.wait()
    await session.close()
    return 0
