"""The timeline's figures: traffic each way, round trips, status spans, markers.

Owns ``TimelineModel`` and its values (``Marker``, ``MarkerKind``,
``StatusSpan``, ``Moment``); imports QtCore, ``qt.timeline_bins``, the client
core's events and status, the wiretap's ``Frame`` and the ``recording``
values. One model per connection or recording, drawn by ``ui.timeline``.

Fed two ways through one ingest: live, from a ``ClientAdaptor``'s ``flushed``
batches (monotonic times moved to t = 0 of the adaptor's recorder, so a live
timeline and the recording saved from it share a clock), primed from the
recorder's ring so nothing before the page was built is missed; or from a
``Recording`` in one pass (``from_recording``).

Traffic and round trips go to bounded bins (``qt.timeline_bins``). Round
trips are the link's as the adaptor's meter takes them: a pong's (heartbeat
or probe) and a call's, from its ``method`` frame to its ``result``; a bin
keeps its fastest, as the meter does (a call's time includes the server's
work, so the fastest is the closest to the link's). Markers and status spans
are kept up to ``MAX_MARKERS`` and ``MAX_SPANS``, the oldest let go first
(and counted).
"""

from __future__ import annotations

import math
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from PySide6.QtCore import QObject, Signal, Slot

from ddp_monitor.ddp.client.events import (
    Event,
    HandshakeCompleted,
    MethodCalled,
    MethodResultReceived,
    MethodSent,
    PongReceived,
    StatusChanged,
    SubscriptionRequested,
    TransportLost,
)
from ddp_monitor.ddp.client.status import ConnectionStatus
from ddp_monitor.qt.timeline_bins import (
    MAX_BINS,
    Bins,
    Point,
    Series,
    byte_length,
    width_for,
)
from ddp_monitor.recording.format import Recorded, RecordedFrame
from ddp_monitor.recording.recorder import Recorder, Recording
from ddp_monitor.transport.wiretap import Direction, Frame

if TYPE_CHECKING:
    from ddp_monitor.qt.client_adaptor import ClientAdaptor

__all__ = [
    "MAX_MARKERS",
    "MAX_SPANS",
    "Marker",
    "MarkerKind",
    "Moment",
    "StatusSpan",
    "TimelineModel",
]

MAX_MARKERS: Final = 50_000
MAX_SPANS: Final = 10_000


class MarkerKind(StrEnum):
    DROP = "drop"  # a live link was lost
    RECONNECT = "reconnect"  # a handshake after a drop: resumed or new session
    CALL = "call"  # a method call was made
    SUBSCRIPTION = "subscription"  # a subscription was requested


@dataclass(frozen=True, slots=True)
class Marker:
    """Something that happened at ``t``: ``name`` is what a caller filters on
    (the method or publication; for drops and reconnects a word), ``label``
    what a person reads."""

    t: float
    kind: MarkerKind
    name: str
    label: str


@dataclass(frozen=True, slots=True)
class StatusSpan:
    """``status`` from ``start`` to ``end`` (None: still so)."""

    start: float
    end: float | None
    status: ConnectionStatus


@dataclass(frozen=True, slots=True)
class Moment:
    """What the timeline knows of the bin holding one moment (the hover's words)."""

    start: float
    width: float
    point: Point
    status: ConnectionStatus | None
    markers: tuple[Marker, ...]


class TimelineModel(QObject):
    """The figures of one connection or recording over time (seconds since t = 0).

    Signals:
        changed(): a live batch arrived.
    """

    changed = Signal()

    def __init__(
        self,
        origin: float = 0.0,
        *,
        width: float = 1.0,
        max_bins: int = MAX_BINS,
        clock: Callable[[], float] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        #: t = 0 on the monotonic clock (live items are moved by it).
        self.origin = origin
        self.bins = Bins(width, max_bins)
        self.spans: list[StatusSpan] = []
        self.markers: list[Marker] = []
        self._marker_times: list[float] = []
        self._span_starts: list[float] = []
        self.dropped_markers = 0
        self.dropped_spans = 0
        self.end = 0.0  # the latest t seen
        self._clock = clock  # live: what "now" is; None: a recording ends at end
        self._sent: dict[str, float] = {}  # method id -> t of its method frame
        self._connected = False
        self._skip_until = -math.inf  # live items already taken from the ring
        self._handlers: dict[type, Callable[[float, Any], None]] = {
            StatusChanged: self._status,
            TransportLost: self._lost,
            HandshakeCompleted: self._handshake,
            PongReceived: self._pong,
            MethodCalled: self._called,
            MethodSent: self._method_sent,
            MethodResultReceived: self._result,
            SubscriptionRequested: self._subscribed,
        }

    @property
    def live(self) -> bool:
        """True while fed by a connection (the right end is the clock's now)."""
        return self._clock is not None

    # -- building ------------------------------------------------------------------
    @classmethod
    def from_recording(
        cls, recording: Recording, *, max_bins: int = MAX_BINS
    ) -> TimelineModel:
        """A recording's timeline, in one pass, at the bin width its duration needs."""
        model = cls(width=width_for(recording.duration, max_bins), max_bins=max_bins)
        model.take_recorded(recording.items)
        model.end = max(model.end, recording.duration)
        return model

    @classmethod
    def following(
        cls, adaptor: ClientAdaptor, *, max_bins: int = MAX_BINS
    ) -> TimelineModel:
        """A live connection's timeline: what its recorder kept so far, then every batch."""
        model = cls.from_recorder(adaptor.recorder, max_bins=max_bins)
        if not model.spans:
            # A client starts out connecting without a status change to say
            # so: the band shows it from t = 0, as the badge does.
            model._status(0.0, StatusChanged(adaptor.status))
        adaptor.flushed.connect(model.add_batch)
        return model

    @classmethod
    def from_recorder(
        cls, recorder: Recorder, *, max_bins: int = MAX_BINS
    ) -> TimelineModel:
        """Primed from a recorder's ring; ``add_batch`` then skips what the ring had."""
        model = cls(recorder.origin, max_bins=max_bins, clock=time.monotonic)
        last = -math.inf
        for when, item in recorder.items():
            t = when - recorder.origin
            if isinstance(item, Frame):
                model._frame(t, item.direction is Direction.IN, item.data)
            elif isinstance(item, RecordedFrame):
                model._frame(t, item.inbound, item.data)
            else:
                model._event(t, item)
            last = max(last, when)  # frames carry the loop's time, events the clock's
        model._skip_until = last
        if last > -math.inf:
            model.end = last - recorder.origin
        return model

    def take_recorded(self, items: Iterable[Recorded]) -> None:
        """Recorded items in order: the fast path (a million in well under a second).

        The frame case is inlined (it is nearly every line); the bins' lists
        are fetched again whenever the bins may have merged.
        """
        bins = self.bins
        width = bins.width
        counts_in, counts_out = bins.msgs_in, bins.msgs_out
        sizes_in, sizes_out = bins.bytes_in, bins.bytes_out
        handlers = self._handlers
        t = self.end
        for recorded in items:
            t = recorded.t
            item = recorded.item
            if type(item) is RecordedFrame:
                at = int(t / width) if t > 0 else 0
                if at >= len(counts_in):
                    at = bins.index(t)
                    width = bins.width
                    counts_in, counts_out = bins.msgs_in, bins.msgs_out
                    sizes_in, sizes_out = bins.bytes_in, bins.bytes_out
                data = item.data
                size = (
                    len(data)
                    if isinstance(data, bytes) or data.isascii()
                    else len(data.encode("utf-8"))
                )
                if item.inbound:
                    counts_in[at] += 1
                    sizes_in[at] += size
                else:
                    counts_out[at] += 1
                    sizes_out[at] += size
            else:
                handler = handlers.get(type(item))
                if handler is not None:
                    handler(t, item)
                    width = bins.width
                    counts_in, counts_out = bins.msgs_in, bins.msgs_out
                    sizes_in, sizes_out = bins.bytes_in, bins.bytes_out
        self.end = max(self.end, t)

    @Slot(list, list, list)
    def add_batch(
        self, frames: Sequence[Frame], events: Sequence[Event], times: Sequence[float]
    ) -> None:
        """One batch of the adaptor (``flushed``): frames, events and the events' times."""
        skip = self._skip_until
        origin = self.origin
        count = self.bins.frame
        inbound = Direction.IN
        for frame in frames:
            when = frame.time
            if when > skip:
                count(
                    when - origin, frame.direction is inbound, byte_length(frame.data)
                )
        for event, when in zip(events, times, strict=True):
            if when > skip:
                self._event(when - origin, event)
        if frames:
            self.end = max(self.end, frames[-1].time - origin)
        if times:
            self.end = max(self.end, times[-1] - origin)
        self.changed.emit()

    def _frame(self, t: float, inbound: bool, data: str | bytes) -> None:
        self.bins.frame(t, inbound, byte_length(data))

    def _event(self, t: float, event: Event) -> None:
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(t, event)

    # -- events ------------------------------------------------------------------------
    def _status(self, t: float, event: StatusChanged) -> None:
        status = event.status.status
        self._connected = status is ConnectionStatus.CONNECTED
        if not self._connected:
            self._sent.clear()  # re-sent calls are timed from their re-send
        spans = self.spans
        if spans and spans[-1].status is status:
            return  # waiting -> waiting (another retry): one span
        if spans:
            last = spans[-1]
            spans[-1] = StatusSpan(last.start, t, last.status)
        spans.append(StatusSpan(t, None, status))
        self._span_starts.append(t)
        if len(spans) > MAX_SPANS:
            cut = MAX_SPANS // 4
            del spans[:cut]
            del self._span_starts[:cut]
            self.dropped_spans += cut

    def _lost(self, t: float, event: TransportLost) -> None:
        # Only a link that was up is a drop: a failed attempt while waiting
        # shows in the status band, not as a marker at every retry.
        if not self._connected or (event.local and event.reason is None):
            return  # nor is closing it here (close(), a move to another URL)
        if event.local:
            label = f"dropped here: {event.reason}"
        else:
            label = f"dropped: {event.reason or 'the server closed the connection'}"
        self._mark(t, MarkerKind.DROP, "drop", label)

    def _handshake(self, t: float, event: HandshakeCompleted) -> None:
        if event.previous_session is None:
            return  # the connection's first session: no reconnect
        words = "session resumed" if event.resumed else "new session"
        self._mark(t, MarkerKind.RECONNECT, words, f"reconnected: {words}")

    def _pong(self, t: float, event: PongReceived) -> None:
        self.bins.round_trip(t, event.round_trip)

    def _called(self, t: float, event: MethodCalled) -> None:
        label = f"call {event.name} (id {event.method_id})"
        self._mark(t, MarkerKind.CALL, event.name, label)

    def _method_sent(self, t: float, event: MethodSent) -> None:
        self._sent[event.method_id] = t

    def _result(self, t: float, event: MethodResultReceived) -> None:
        sent = self._sent.pop(event.method_id, None)
        if sent is not None:
            self.bins.round_trip(t, t - sent)

    def _subscribed(self, t: float, event: SubscriptionRequested) -> None:
        label = f"subscribe {event.name} (id {event.sub_id})"
        self._mark(t, MarkerKind.SUBSCRIPTION, event.name, label)

    def _mark(self, t: float, kind: MarkerKind, name: str, label: str) -> None:
        self.markers.append(Marker(t, kind, name, label))
        self._marker_times.append(t)
        # Trimmed a quarter at a time: one slice now and then, not a shift per item.
        if len(self.markers) > MAX_MARKERS:
            cut = MAX_MARKERS // 4
            del self.markers[:cut]
            del self._marker_times[:cut]
            self.dropped_markers += cut

    # -- reading -----------------------------------------------------------------------
    def now(self) -> float:
        """The right end: the clock's now (live), else the last item's t."""
        if self._clock is None:
            return self.end
        return max(self.end, self._clock() - self.origin)

    @property
    def width(self) -> float:
        """Seconds per bin."""
        return self.bins.width

    def complete(self) -> int:
        """Bins that are over (live, the current one still fills up)."""
        if self._clock is None:
            return len(self.bins)
        return min(len(self.bins), int(self.now() / self.bins.width))

    def series(self, start: float, end: float, most: int) -> Series:
        """The charts' points from ``start`` to ``end``, at most ``most`` (``Bins.series``)."""
        return self.bins.series(start, end, most, self.complete())

    def status_at(self, t: float) -> ConnectionStatus | None:
        """The status at ``t`` (None before the first one known)."""
        at = bisect_right(self._span_starts, t) - 1
        return self.spans[at].status if at >= 0 else None

    def markers_between(self, start: float, end: float) -> list[Marker]:
        """The markers with ``start <= t <= end``, in order."""
        times = self._marker_times
        return self.markers[bisect_left(times, start) : bisect_right(times, end)]

    def moment(self, t: float) -> Moment | None:
        """What the bin holding ``t`` says (None: outside the timeline)."""
        width = self.bins.width
        at = math.floor(t / width)
        if at < 0 or at >= len(self.bins):
            return None
        start = at * width
        return Moment(
            start,
            width,
            self.bins.point(at),
            self.status_at(t),
            tuple(self.markers_between(start, start + width)),
        )
