"""The Qt face of a saved recording: the signals a live connection's page consumes, read-only.

Owns ``RecordingAdaptor`` and ``Rewind``; imports QtCore, ``recording``
(the reader), ``ddp.client`` values and the store, and the wiretap's
``Frame``. A recording page is a ``ConnectionPage`` like any other: its
models and panels are rebuilt from the file by the same code that follows a
live client, fed by the same signals (``events_flushed``, ``flushed``,
``status_changed``...). Nothing here acts on a connection.

Times: a file's ``t`` (seconds since its start) becomes ``base + t`` on the
monotonic clock, where ``base`` is chosen so that the models' one
monotonic-to-wall conversion (``time.time() - time.monotonic()``) shows the
recorded wall time. Frames are kept as wiretap ``Frame`` values on that scale.

Loading never blocks the window for long: the file is parsed in slices of
``SLICE_SECONDS`` between Qt's events (``progress`` says how far), and the
page is shown the state at the end of what was read every ``SHOW_EVERY``
seconds, then once more when the whole file is in (``loaded``).

Seeking (``seek(t)``): the state at ``t`` is sent as one ``Rewind`` for the
page to show in one go, made from the nearest checkpoint before ``t`` and
the items from there: every ``CHECKPOINT`` items the loader keeps a copy of
the store (one dict per collection, the documents shared) and of the calls'
and subscriptions' tables (their own models, fed as the file is read, give
``state()``); the page's models replay the events since the checkpoint from
its tables. A seek so costs at most ``CHECKPOINT`` items wherever it lands;
the log gets the last frames up to ``t``.
"""

from __future__ import annotations

import time
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from io import BufferedReader, TextIOWrapper
from itertools import islice
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from ddp_monitor.ddp.client.events import (
    DocumentAdded,
    DocumentChanged,
    DocumentMoved,
    DocumentRemoved,
    Event,
    HandshakeCompleted,
    StatusChanged,
    TransportLost,
)
from ddp_monitor.ddp.client.status import ConnectionStatus, Status
from ddp_monitor.ddp.client.store import Store
from ddp_monitor.qt.message_log_model import DEFAULT_LIMIT as LOG_LIMIT
from ddp_monitor.qt.method_model import MethodQueueModel, MethodRecord
from ddp_monitor.qt.subscription_model import SubscriptionModel, SubscriptionRecord
from ddp_monitor.qt.table_model import TableState
from ddp_monitor.recording.format import (
    Recorded,
    RecordedFrame,
    RecordingError,
)
from ddp_monitor.recording.recorder import Reader, RecordingWriter, read_header
from ddp_monitor.transport.wiretap import Direction, Frame

__all__ = [
    "CHECKPOINT",
    "SHOW_EVERY",
    "SLICE_SECONDS",
    "LogTail",
    "RecordingAdaptor",
    "Rewind",
]

#: Items between two copies of the store: a seek applies at most this many.
CHECKPOINT = 20_000
#: Parsing in slices this long keeps the window's events flowing.
SLICE_SECONDS = 0.04
_LINES_PER_STEP = 500  # lines parsed between two looks at the clock
#: While loading, the page shows the end of what was read this often.
SHOW_EVERY = 1.5

_DOCUMENT_EVENTS = (DocumentAdded, DocumentChanged, DocumentRemoved, DocumentMoved)
_NOT_YET = Status(ConnectionStatus.CONNECTING, False, 0)


@dataclass(frozen=True, slots=True)
class Rewind:
    """The state at one moment of a recording, for a page to show in one go.

    ``methods``/``subscriptions``: those tables at the last checkpoint
    before ``at``, and ``events``/``times`` every event from there to
    ``at``, for the models to replay; ``log()``: the last of the frames and
    events up to ``at`` (``log_rows`` of them, as many as the log keeps),
    made when asked for (a page builds its log when it is in view);
    ``store``: the documents at ``at``; ``handshake``: the session's, if one
    is up.
    """

    at: float  # seconds since the recording's start
    store: Store
    methods: TableState[MethodRecord]
    subscriptions: TableState[SubscriptionRecord]
    events: list[Event]
    times: list[float]
    log_rows: int
    log: Callable[[], LogTail]
    status: Status
    handshake: HandshakeCompleted | None


@dataclass(frozen=True, slots=True)
class LogTail:
    """The frames and the connection's events a log holds at one moment, in order."""

    frames: list[Frame]
    events: list[Event]  # status changes, drops, handshakes (their notes)
    times: list[float]  # of the events, on the monotonic scale


@dataclass(frozen=True, slots=True)
class _Checkpoint:
    index: int  # items before it
    events: int  # events before it
    store: Store
    methods: TableState[MethodRecord]
    subscriptions: TableState[SubscriptionRecord]


def _is_log_row(event: Event) -> bool:
    """A row of the page's log (``ConnectionPage._log_batch``): a status, a drop not ours."""
    if isinstance(event, TransportLost):
        return not event.local
    return isinstance(event, StatusChanged)


class RecordingAdaptor(QObject):
    """A recording, loaded in slices and shown at any moment of it (``seek``).

    The signals a ``ConnectionPage`` binds are those of ``ClientAdaptor``
    (most stay silent: a recording has no meter, no battery saving, no
    probe); its own:

    Signals:
        rewound(Rewind): the state at the cursor, to show in one go.
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
        self._times = array("d")  # t of each item
        self._items: list[Frame | Event] = []
        self._events: list[Event] = []
        self._event_times: list[float] = []  # on the monotonic scale
        self._events_before = array("q")  # per item: events before it
        self._log_rows_before = array("q")  # per item: log rows before it
        self._log_rows = 0
        self._statuses: list[tuple[int, Status]] = []  # (item index, status)
        self._handshakes: list[tuple[int, HandshakeCompleted | None]] = []
        # The running state while loading, copied at each checkpoint: the
        # store, and the calls and subscriptions as their own models follow
        # them (models of our own, never shown: the same code as the page's).
        self._store = Store()
        self._methods = MethodQueueModel(self)
        self._subscriptions = SubscriptionModel(self)
        self._checkpoints = [self._checkpoint(0)]
        self._reader = Reader()
        self._raw: BufferedReader | None = None  # its bytes, for the progress
        self._file: TextIOWrapper | None = None
        self._lines: Iterator[str] | None = None
        self._done = False
        self._followed = True  # the cursor follows the end while loading
        self._shown_at = 0.0
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

    @property
    def started(self) -> datetime:
        return self.header.started

    @property
    def done(self) -> bool:
        return self._done

    @property
    def duration(self) -> float:
        """Seconds from the start to the last item read so far."""
        return self._times[-1] if self._times else 0.0

    @property
    def elapsed(self) -> float:
        """Seconds the recording spans (so far, while loading)."""
        return self.duration

    def __len__(self) -> int:
        return len(self._items)

    @property
    def store(self) -> Store:
        return self.current.store if self.current is not None else Store()

    @property
    def status(self) -> Status:
        at = bisect_left(self._statuses, self._cursor_index, key=lambda s: s[0])
        return self._statuses[at - 1][1] if at else _NOT_YET

    def _handshake(self) -> HandshakeCompleted | None:
        at = bisect_left(self._handshakes, self._cursor_index, key=lambda s: s[0])
        return self._handshakes[at - 1][1] if at else None

    @property
    def session(self) -> str | None:
        done = self._handshake()
        return done.session if done is not None else None

    @property
    def version(self) -> str | None:
        done = self._handshake()
        return done.version if done is not None else None

    @property
    def connected_since(self) -> float | None:
        """When the connection that is up at the cursor came up (monotonic scale)."""
        at = bisect_left(self._statuses, self._cursor_index, key=lambda s: s[0])
        if not at or self._statuses[at - 1][1].status is not ConnectionStatus.CONNECTED:
            return None
        return self.base + self._times[self._statuses[at - 1][0]]

    def now(self) -> float:
        """The cursor on the monotonic scale: the page's clock."""
        return self.base + self.cursor

    def describe(self) -> str:
        """The bar's words: what this is, from when, how much."""
        started = self.started.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        count = f"{len(self._items):,} events"
        if not self._done:
            count += f" so far ({self._percent()} % read)"
        return f"Recording of {self.url} \u00b7 started {started} \u00b7 {count} (read-only)"

    def _percent(self) -> int:
        return int(100 * self._read_bytes() / self.size) if self.size else 100

    def _read_bytes(self) -> int:
        if self._file is None or self._file.closed:
            return self.size
        return self._raw.tell() if self._raw is not None else self.size

    # -- loading ------------------------------------------------------------------
    def start(self) -> None:
        """Read the items, a slice at a time between the window's events."""
        if self._file is not None:
            return
        self._raw = self.path.open("rb")
        self._file = TextIOWrapper(self._raw, encoding="utf-8")
        self._lines = iter(self._file)
        self._shown_at = time.monotonic()
        self._timer.start()

    def load_all(self) -> None:
        """Read every item now (tests and the command line's checks)."""
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
        if self._followed and time.monotonic() - self._shown_at >= SHOW_EVERY:
            self._shown_at = time.monotonic()
            self._show(len(self._items))

    def _take(self, recorded: list[Recorded]) -> None:
        base = self.base
        items, times = self._items, self._times
        events, event_times = self._events, self._event_times
        before, store = self._events_before, self._store
        rows_before = self._log_rows_before
        for r in recorded:
            item, t = r.item, r.t
            index = len(items)
            if index % CHECKPOINT == 0 and index:
                self._checkpoints.append(self._checkpoint(index))
            before.append(len(events))
            rows_before.append(self._log_rows)
            times.append(t)
            if isinstance(item, RecordedFrame):
                direction = Direction.IN if item.inbound else Direction.OUT
                items.append(Frame(direction, base + t, item.data))
                self._log_rows += 1
                continue
            if _is_log_row(item):
                self._log_rows += 1
            if isinstance(item, StatusChanged):
                status = item.status
                if status.retry_time is not None:  # the file's t scale -> ours
                    status = replace(status, retry_time=base + status.retry_time)
                    item = StatusChanged(status)
                self._statuses.append((index, status))
            elif isinstance(item, HandshakeCompleted):
                self._handshakes.append((index, item))
            elif isinstance(item, TransportLost):
                self._handshakes.append((index, None))
            elif isinstance(item, _DOCUMENT_EVENTS):
                store.apply(item)
            items.append(item)
            events.append(item)
            event_times.append(base + t)

    def _checkpoint(self, index: int) -> _Checkpoint:
        """The state after the first ``index`` items (all of them taken)."""
        last = self._checkpoints[-1].events if index else 0
        count = len(self._events)
        if count > last:
            events, times = self._events[last:count], self._event_times[last:count]
            self._methods.apply_events(events, times)
            self._subscriptions.apply_events(events, times)
        return _Checkpoint(
            index,
            count,
            self._store.copy(),
            self._methods.state(),
            self._subscriptions.state(),
        )

    def _finish(self) -> None:
        self._done = True
        self._timer.stop()
        self._close_file()
        self.progress.emit(self.size, self.size)
        self._show(len(self._items) if self._followed else self._cursor_index)
        self.loaded.emit()

    def _fail(self, error: RecordingError) -> None:
        """A bad line: what was read stays shown, the page says where and why."""
        self._done = True
        self._timer.stop()
        self._close_file()
        self._show(len(self._items) if self._followed else self._cursor_index)
        self.problem.emit(
            "The recording is damaged",
            f"{self.path.name}: {error}. What comes before it is shown.",
        )
        self.loaded.emit()

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
        self._show(bisect_right(self._times, t), t)

    def _show(self, index: int, at: float | None = None) -> None:
        """Send the state after the first ``index`` items as one ``Rewind``."""
        self._cursor_index = index
        self.cursor = (
            at if at is not None else (self._times[index - 1] if index else 0.0)
        )
        checkpoint = self._checkpoints[
            bisect_right(self._checkpoints, index, key=lambda c: c.index) - 1
        ]
        store = checkpoint.store.copy()
        apply = store.apply
        for item in islice(self._items, checkpoint.index, index):
            if type(item) is not Frame:
                apply(item)  # type: ignore[arg-type]
        count = (
            self._events_before[index]
            if index < len(self._items)
            else len(self._events)
        )
        rows = self._rows_before(index)
        first = bisect_left(self._log_rows_before, rows - LOG_LIMIT)
        self.current = Rewind(
            self.cursor,
            store,
            checkpoint.methods,
            checkpoint.subscriptions,
            self._events[checkpoint.events : count],
            self._event_times[checkpoint.events : count],
            rows - self._rows_before(first),
            lambda: self._log_tail(first, index),
            self.status,
            self._handshake(),
        )
        self.rewound.emit(self.current)
        self.status_changed.emit(self.current.status)
        self.seeked.emit(self.cursor)

    def _rows_before(self, index: int) -> int:
        rows = self._log_rows_before
        return rows[index] if index < len(rows) else self._log_rows

    def _log_tail(self, first: int, end: int) -> LogTail:
        """Items ``first`` to ``end`` as a log has them: frames, and the connection's events."""
        tail = LogTail([], [], [])
        base, times = self.base, self._times
        for at in range(first, end):
            item = self._items[at]
            if type(item) is Frame:
                tail.frames.append(item)
            elif isinstance(item, StatusChanged | TransportLost | HandshakeCompleted):
                tail.events.append(item)
                tail.times.append(base + times[at])
        return tail

    # -- saving -----------------------------------------------------------------------
    def save_recording(
        self, path: Path, start: float | None = None, end: float | None = None
    ) -> int:
        """Write the items read (or a span of them) to ``path``; returns how many."""
        header = self.header
        if start is not None or end is not None:
            header = replace(
                header, span=(start or 0.0, end if end is not None else self.duration)
            )
        lo = 0 if start is None else bisect_right(self._times, start - 1e-9)
        hi = len(self._items) if end is None else bisect_right(self._times, end)
        part = path.with_name(path.name + ".part")
        with part.open("w", encoding="utf-8") as out:
            writer = RecordingWriter(out, header, self.base, flush_every=1 << 30)
            for at in range(lo, hi):
                item = self._items[at]
                when = item.time if type(item) is Frame else self.base + self._times[at]
                writer.write(when, item)
            count = writer.written
        part.replace(path)
        return count
