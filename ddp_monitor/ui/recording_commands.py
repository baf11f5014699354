"""File > Save recording and File > Open recording (issue 16): the dialogs and their words.

Owns ``RecordingCommands`` and ``suggested_name``; imports QtWidgets/QtCore
and ``ui.connection_page``. Saving writes the selected page's recording (a
live connection's ring, or a recording's items) through
``ConnectionPage.save_recording``, all of it, its last minutes or the span
selected on its timeline; a failure shows in the page's banner and loses
nothing. Opening asks for a file and
hands its path on (``open_requested``): the app makes the page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMainWindow

from ddp_monitor.ui.connection_page import ConnectionPage, PageSource
from ddp_monitor.ui.error_banner import ErrorBanner

__all__ = ["FILE_FILTER", "SUFFIX", "RecordingCommands", "suggested_name"]

SUFFIX = ".ddprec"
FILE_FILTER = f"ddp-monitor recordings (*{SUFFIX});;All files (*)"


def suggested_name(adaptor: PageSource, now: datetime) -> str:
    """``<profile or host>-<YYYYmmdd-HHMMSS>.ddprec``, safe on every file system."""
    host = adaptor.url.split("://", 1)[-1].split("/", 1)[0]
    stem = re.sub(r"[^\w.-]+", "-", adaptor.profile or host).strip("-.")
    stem = stem or "connection"
    return f"{stem}-{now:%Y%m%d-%H%M%S}{SUFFIX}"


class RecordingCommands(QObject):
    """The window's recording commands, acting on the page in view.

    Signals:
        open_requested(str): open this recording file as a page.
    """

    open_requested = Signal(str)

    def __init__(
        self,
        window: QMainWindow,
        current: Callable[[], ConnectionPage | None],
        banner: Callable[[], ErrorBanner],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._current = current
        self._banner = banner
        self.folder = Path.home()  # where the last dialog ended

    def bind(
        self, save: dict[int | None, QAction], span: QAction, open_: QAction
    ) -> None:
        for minutes, action in save.items():
            action.triggered.connect(lambda _=False, m=minutes: self.ask_save(m))
        span.triggered.connect(lambda: self.ask_save(span=True))
        open_.triggered.connect(self.ask_open)

    def ask_save(self, minutes: int | None = None, *, span: bool = False) -> None:
        """Ask where, then save the page's recording.

        ``minutes``: only the last ones; ``span``: only the span selected on
        the page's timeline (shift-drag).
        """
        page = self._current()
        if page is None:
            self._banner().show_problem(
                "Nothing to save",
                "Recordings are of connections: open one (double-click a profile) "
                "and save it once it has done something.",
            )
            return
        selected = page.timeline.selected_span() if span else None
        if span and selected is None:
            page.banner.show_problem(
                "No span is selected",
                "Shift-drag on the timeline over the part to save, then save again.",
            )
            return
        if selected is not None:
            what = f"{selected[0]:.1f} s to {selected[1]:.1f} s"
        else:
            what = "all" if minutes is None else f"the last {minutes} min"
        name, _ = QFileDialog.getSaveFileName(
            self._window,
            f"Save recording ({what})",
            str(self.folder / suggested_name(page.adaptor, datetime.now())),
            FILE_FILTER,
        )
        if name:
            self.save(page, Path(name), minutes, selected)

    def save(
        self,
        page: ConnectionPage,
        path: Path,
        minutes: int | None = None,
        span: tuple[float, float] | None = None,
    ) -> int | None:
        """Save ``page``'s recording (its last ``minutes``, or a ``span`` of it) to ``path``.

        The status bar says how much was saved; a failure is the page's banner's.
        """
        if not path.suffix:
            path = path.with_suffix(SUFFIX)
        self.folder = path.parent
        start = end = None
        if span is not None:
            start, end = span
        elif minutes is not None:
            start = max(page.adaptor.elapsed - minutes * 60, 0.0)
        count = page.save_recording(path, start, end)
        if count is not None:
            self._window.statusBar().showMessage(
                f"Saved {count:,} frames and events to {path}", 8000
            )
        return count

    def ask_open(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self._window, "Open recording", str(self.folder), FILE_FILTER
        )
        if name:
            self.folder = Path(name).parent
            self.open_requested.emit(name)
