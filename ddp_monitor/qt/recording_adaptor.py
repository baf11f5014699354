"""The Qt face of a saved recording: the signals a live connection's page consumes, read-only.

Owns ``RecordingAdaptor``; imports QtCore, ``recording`` (the reader, the
writer) and ``qt.recording_state`` (the items, indexed, and the state at any
moment). A recording page is a ``ConnectionPage`` like any other: its
models and panels are rebuilt from the file by the same code that follows a
live client, fed by the same signals (``status_changed``,
``handshake_completed``, ``problem``...) and ``rewound`` with the state at
the cursor, shown in one go. Nothing here acts on a connection.

Loading never blocks the window for long: the file is parsed in slices of
``SLICE_SECONDS`` between Qt's events (``progress`` says how far), and the
page is shown the state at the end of what was read every ``SHOW_EVERY``
seconds (less often when showing it costs more than a tenth of that), then
once more when the whole file is in (``loaded``).
``seek(t)`` moves the cursor (a timeline's ``cursor_moved`` may drive it).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from io import BufferedReader, TextIOWrapper
from itertools import islice
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from ddp_monitor.ddp.client.events import Event
from ddp_monitor.ddp.client.status import Status
from ddp_monitor.ddp.client.store import Store
from ddp_monitor.qt.recording_state import RecordingState, Rewind
from ddp_monitor.recording.format import Recorded, RecordingError
from ddp_monitor.recording.recorder import Reader, read_header, save_items, spanned
from ddp_monitor.transport.wiretap import Frame

__all__ = ["SHOW_EVERY", "SLICE_SECONDS", "RecordingAdaptor"]

#: Parsing in slices this long keeps the window's events flowing.
SLICE_SECONDS = 0.04
_LINES_PER_STEP = 500  # lines parsed between two looks at the clock
#: While loading, the page shows the end of what was read this often (or
#: less often: each show takes at most a tenth of the time).
SHOW_EVERY = 1.5


class RecordingAdaptor(QObject):
    """A recording, loaded in slices and shown at any moment of it (``seek``).

    The signals a ``ConnectionPage`` binds are those of ``ClientAdaptor``
    (most stay silent: a recording has no meter, no battery saving, no
    probe); its own:

    Signals:
        rewound(Rewind): the state at the cursor, to show in one go.
        read(list): the ``Recorded`` items of a slice just read (a timeline
            and the figures take the whole file this way).
        progress(int, int): bytes read, of the file's size.
        loaded(): the whole file is in.
        seeked(float): the cursor moved (seconds since the start).
    """

    status_changed = Signal(object)
    handshake_completed = Signal(str, str)
    transport_lost = Signal(str)
    problem = Signal(str, str)
    events_flushed = Signal(list, list)
    frames_flushed = Signal(list)
    flushed = Signal(list, list, list)
    meter_changed = Signal(float, object, str)
    battery_saving_changed = Signal(bool)
    probing_changed = Signal(bool)
    url_changed = Signal(str)
    rewound = Signal(object)
    read = Signal(list)
    progress = Signal(int, int)
    loaded = Signal()
    seeked = Signal(float)

    read_only = True
    battery_saving = False
    probing = False

    def __init__(self, path: Path, parent: QObject | None = None) -> None:
        """Open ``path`` and read its header (the items follow after ``start``).

        Raises:
            RecordingError: the first line is no recording header.
            OSError: the file cannot be opened.
        """
        super().__init__(parent)
        self.path = path
        self.header = read_header(path)
        self.size = path.stat().st_size
        self.label = f"rec: {path.name}"
        # t = 0 on the monotonic clock, so that the models' monotonic -> wall
        # conversion lands on the recorded wall time.
        self.base = self.header.started.timestamp() - (time.time() - time.monotonic())
        self.state = RecordingState(self.base)
        self._reader = Reader()
        self._raw: BufferedReader | None = None  # its bytes, for the progress
        self._file: TextIOWrapper | None = None
        self._lines: Iterator[str] | None = None
        self._done = False
        self._followed = True  # the cursor follows the end while loading
        self._show_next = 0.0  # when the page next gets the end of what was read
        self.cursor = 0.0  # seconds since the start
        self._cursor_index = 0
        self.current: Rewind | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._read_slice)

    # -- what a page reads ------------------------------------------------------
    @property
    def url(self) -> str:
        return self.header.url

    @property
    def profile(self) -> str | None:
        return self.header.profile

    # A document's history reads the items as it reads a live recorder's
    # (``qt.history_model.HistorySource``).
    @property
    def origin(self) -> float:
        return self.base

    @property
    def dropped(self) -> int:
        return self.header.dropped

    @property
    def total(self) -> int:
        return self.header.dropped + len(self.state)

    def since(self, total: int) -> list[tuple[float, Frame | Event]]:
        """The items after the first ``total`` (counting those the ring let go)."""
        first = max(total - self.header.dropped, 0)
        return list(self.state.timed(first, len(self.state)))

    @property
    def started(self) -> datetime:
        return self.header.started

    @property
    def done(self) -> bool:
        return self._done

    @property
    def duration(self) -> float:
        """Seconds from the start to the last item read so far."""
        return self.state.duration

    @property
    def elapsed(self) -> float:
        """Seconds the recording spans (so far, while loading)."""
        return self.duration

    def __len__(self) -> int:
        return len(self.state)

    @property
    def store(self) -> Store:
        return self.current.store if self.current is not None else Store()

    @property
    def status(self) -> Status:
        return self.state.status(self._cursor_index)

    @property
    def session(self) -> str | None:
        done = self.state.handshake(self._cursor_index)
        return done.session if done is not None else None

    @property
    def version(self) -> str | None:
        done = self.state.handshake(self._cursor_index)
        return done.version if done is not None else None

    @property
    def connected_since(self) -> float | None:
        """When the connection up at the cursor came up (monotonic scale)."""
        return self.state.connected_since(self._cursor_index)

    def now(self) -> float:
        """The cursor on the monotonic scale: the page's clock."""
        return self.base + self.cursor

    def describe(self) -> str:
        """The bar's words: what this is, from when, how much."""
        started = self.started.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        count = f"{len(self.state):,} events"
        if not self._done:
            count += f" so far ({self._percent()} % read)"
        if (
            self.header.dropped
        ):  # the ring had let the oldest go: state before is unknown
            count += f" (the {self.header.dropped:,} before them not kept)"
        return f"Recording of {self.url} \u00b7 started {started} \u00b7 {count} (read-only)"

    def _percent(self) -> int:
        return int(100 * self._read_bytes() / self.size) if self.size else 100

    def _read_bytes(self) -> int:
        if self._raw is None:
            return 0  # not started
        return self.size if self._raw.closed else self._raw.tell()

    # -- loading ------------------------------------------------------------------
    def start(self) -> None:
        """Read the items, a slice at a time between the window's events."""
        if self._file is not None:
            return
        self._raw = self.path.open("rb")
        self._file = TextIOWrapper(self._raw, encoding="utf-8")
        self._lines = iter(self._file)
        self._show_next = time.monotonic() + SHOW_EVERY
        self._timer.start()

    def load_all(self) -> None:
        """Read every item now, not in slices (tests)."""
        self.start()
        while not self._done:
            self._read_slice()

    @Slot()
    def _read_slice(self) -> None:
        assert self._lines is not None
        deadline = time.monotonic() + SLICE_SECONDS
        while time.monotonic() < deadline:
            try:
                lines = list(islice(self._lines, _LINES_PER_STEP))
            except UnicodeDecodeError:
                line = self._reader.line + 1
                self._fail(RecordingError("the file is not UTF-8 text", line))
                return
            parsed: list[Recorded] = []
            try:
                self._reader.feed(lines, parsed)
            except RecordingError as exc:
                self._take(parsed)  # what came before the bad line is shown
                self._fail(exc)
                return
            self._take(parsed)
            if len(lines) < _LINES_PER_STEP:
                self._finish()
                return
        self.progress.emit(self._read_bytes(), self.size)
        began = time.monotonic()
        if self._followed and began >= self._show_next:
            self._show(len(self.state))
            # A show stalls the window while it lasts: at most a tenth of the time.
            ended = time.monotonic()
            self._show_next = ended + max(SHOW_EVERY, 10 * (ended - began))

    def _finish(self) -> None:
        self._done = True
        self._timer.stop()
        self._close_file()
        self.progress.emit(self.size, self.size)
        self._show_end()
        self.loaded.emit()

    def _fail(self, error: RecordingError) -> None:
        """A bad line: what was read stays shown, the page says where and why."""
        self._done = True
        self._timer.stop()
        self._close_file()
        self._show_end()
        self.problem.emit(
            "The recording is damaged",
            f"{self.path.name}: {error}. What comes before it is shown.",
        )
        self.loaded.emit()

    def _take(self, parsed: list[Recorded]) -> None:
        self.state.take(parsed)
        if parsed:
            self.read.emit(parsed)

    def _show_end(self) -> None:
        """The end of what was read, unless the cursor was put elsewhere (it stays)."""
        if self._followed:
            self._show(len(self.state))

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()

    def close(self) -> None:
        """Stop reading (the page is closing)."""
        self._timer.stop()
        self._close_file()
        self._done = True

    # -- seeking --------------------------------------------------------------------
    @Slot(float)
    def seek(self, t: float) -> None:
        """Show every panel as it stood ``t`` seconds after the start."""
        self._followed = False
        self._show(self.state.index_after(t), t)

    def _show(self, index: int, at: float | None = None) -> None:
        """Send the state after the first ``index`` items as one ``Rewind``."""
        state = self.state
        self._cursor_index = index
        self.cursor = at if at is not None else (state.t(index - 1) if index else 0.0)
        self.current = state.rewind(index, self.cursor)
        self.rewound.emit(self.current)
        self.status_changed.emit(self.current.status)
        self.seeked.emit(self.cursor)

    # -- saving -----------------------------------------------------------------------
    def save_recording(
        self, path: Path, start: float | None = None, end: float | None = None
    ) -> int:
        """Write the items read (or a span of them) to ``path``; returns how many."""
        state = self.state
        header = spanned(self.header, start, end, state.duration)
        first = 0 if start is None else state.index_after(start - 1e-9)
        last = len(state) if end is None else state.index_after(end)
        return save_items(path, header, self.base, state.timed(first, last))
