"""A recording read so far, indexed for the state at any moment (``RecordingState``).

Owns ``RecordingState``, ``Rewind``, ``LogTail`` and ``CHECKPOINT``; imports
the ``ddp.client`` values and store, the wiretap's ``Frame``, ``recording``'s
values and the calls' and subscriptions' models of ``qt``. What
``qt.recording_adaptor`` shows: it feeds the items in as they are parsed
(``take``) and asks for the state after any number of them (``rewind``).

Times: a file's ``t`` (seconds since its start) becomes ``base + t`` on the
monotonic clock, ``base`` chosen by the adaptor so that the models' one
monotonic-to-wall conversion shows the recorded wall time. Frames are kept
as wiretap ``Frame`` values on that scale, status retry times too.

The state at a moment is made from the nearest checkpoint before it and the
items from there: every ``CHECKPOINT`` items a copy of the store (one dict
per collection, the documents shared: they are copy on write) and of the
calls' and subscriptions' tables (models of its own, never shown, fed as
the items come: the same code as a page's, whose ``state()`` is a copy of
the records). A ``Rewind`` so costs at most ``CHECKPOINT`` items wherever it
lands; the log's tail (up to the log's 50,000 rows) is made when asked for.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from itertools import islice
from operator import itemgetter

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
from ddp_monitor.recording.format import Recorded, RecordedFrame
from ddp_monitor.transport.wiretap import Direction, Frame

__all__ = ["CHECKPOINT", "LogTail", "RecordingState", "Rewind"]

#: Items between two checkpoints: a rewind applies at most this many.
CHECKPOINT = 20_000

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


class RecordingState:
    """The items of a recording taken so far, and the state after any number of them."""

    def __init__(self, base: float) -> None:
        self.base = base  # t = 0 on the monotonic clock
        self._times = array("d")  # t of each item
        self._items: list[Frame | Event] = []
        self._events: list[Event] = []
        self._event_times: list[float] = []  # on the monotonic scale
        self._events_before = array("q")  # per item: events before it
        self._log_rows_before = array("q")  # per item: log rows before it
        self._log_rows = 0
        # What a log shows, apart: a log's tail is then two slices, not a
        # walk through 100,000 items (a third of a seek's time on the log).
        self._frames: list[Frame] = []
        self._frames_before = array("q")  # per item: frames before it
        self._log_events: list[tuple[int, Event, float]] = []  # index, event, time
        self._statuses: list[tuple[int, Status]] = []  # (item index, status)
        self._handshakes: list[tuple[int, HandshakeCompleted | None]] = []
        # The running state, copied at each checkpoint.
        self._store = Store()
        self._methods = MethodQueueModel()
        self._subscriptions = SubscriptionModel()
        self._checkpoints = [self._checkpoint(0)]

    def __len__(self) -> int:
        return len(self._items)

    @property
    def duration(self) -> float:
        """Seconds from the start to the last item taken."""
        return self._times[-1] if self._times else 0.0

    def t(self, index: int) -> float:
        """Seconds from the start to item ``index``."""
        return self._times[index]

    def index_after(self, t: float) -> int:
        """How many items happened at or before ``t``."""
        return bisect_right(self._times, t)

    def timed(self, first: int, end: int) -> Iterator[tuple[float, Frame | Event]]:
        """Items ``first`` to ``end`` with their time on the monotonic scale."""
        base, times = self.base, self._times
        for at in range(first, end):
            item = self._items[at]
            yield (item.time if type(item) is Frame else base + times[at]), item

    # -- at a moment: after the first ``index`` items ---------------------------
    def status(self, index: int) -> Status:
        at = bisect_left(self._statuses, index, key=lambda s: s[0])
        return self._statuses[at - 1][1] if at else _NOT_YET

    def handshake(self, index: int) -> HandshakeCompleted | None:
        """The session's handshake, if one is up."""
        at = bisect_left(self._handshakes, index, key=lambda s: s[0])
        return self._handshakes[at - 1][1] if at else None

    def connected_since(self, index: int) -> float | None:
        """When the connection up then came up (monotonic scale); None: not up."""
        at = bisect_left(self._statuses, index, key=lambda s: s[0])
        if not at or self._statuses[at - 1][1].status is not ConnectionStatus.CONNECTED:
            return None
        return self.base + self._times[self._statuses[at - 1][0]]

    def rewind(self, index: int, at: float) -> Rewind:
        """The state after the first ``index`` items, ``at`` seconds from the start."""
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
        return Rewind(
            at,
            store,
            checkpoint.methods,
            checkpoint.subscriptions,
            self._events[checkpoint.events : count],
            self._event_times[checkpoint.events : count],
            rows - self._rows_before(first),
            lambda: self._log_tail(first, index),
            self.status(index),
            self.handshake(index),
        )

    def _rows_before(self, index: int) -> int:
        rows = self._log_rows_before
        return rows[index] if index < len(rows) else self._log_rows

    def _log_tail(self, first: int, end: int) -> LogTail:
        """Items ``first`` to ``end`` as a log has them: frames, and the connection's events."""
        frames = self._frames[self._frames_upto(first) : self._frames_upto(end)]
        events = self._log_events
        lo = bisect_left(events, first, key=itemgetter(0))
        hi = bisect_left(events, end, key=itemgetter(0))
        happened = events[lo:hi]
        return LogTail(frames, [e for _, e, _ in happened], [t for _, _, t in happened])

    def _frames_upto(self, index: int) -> int:
        before = self._frames_before
        return before[index] if index < len(before) else len(self._frames)

    # -- taking items ----------------------------------------------------------------
    def take(self, recorded: list[Recorded]) -> None:
        """The next items, as parsed."""
        base = self.base
        items, times = self._items, self._times
        events, event_times = self._events, self._event_times
        before, store = self._events_before, self._store
        rows_before = self._log_rows_before
        frames, frames_before = self._frames, self._frames_before
        for r in recorded:
            item, t = r.item, r.t
            index = len(items)
            if index % CHECKPOINT == 0 and index:
                self._checkpoints.append(self._checkpoint(index))
            before.append(len(events))
            rows_before.append(self._log_rows)
            frames_before.append(len(frames))
            times.append(t)
            if isinstance(item, RecordedFrame):
                direction = Direction.IN if item.inbound else Direction.OUT
                frame = Frame(direction, base + t, item.data)
                items.append(frame)
                frames.append(frame)
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
                self._log_events.append((index, item, base + t))
            elif isinstance(item, HandshakeCompleted):
                self._handshakes.append((index, item))
                self._log_events.append((index, item, base + t))
            elif isinstance(item, TransportLost):
                self._handshakes.append((index, None))
                self._log_events.append((index, item, base + t))
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
