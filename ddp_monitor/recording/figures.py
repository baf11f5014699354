"""Per-method and per-subscription figures from the client's events and their times.

Owns ``Figures`` (fed events with times, live or from a recording: one code
path), ``MethodFigures``, ``SubscriptionFigures`` and ``Samples``; imports
the standard library, ``ddp.client.events`` and ``recording.subscriptions``
(each subscription's life and what can be known of its documents, the same
rule the Subscriptions table shows). Issue 16.

How each figure is measured:

- A call is timed from its ``MethodSent``, the moment its frame went out (a
  call queued offline, or re-sent after a reconnect, is timed from its last
  send, as the method table's "took" is): to its ``result``
  (``MethodResultReceived``) and to ``updated`` (``MethodCompleted``, Meteor's
  "data ready", when the callback runs). A call whose result never came (the
  connection was closed for good, or a ``noRetry`` call lost) has no time.
- A call counts as an error once: an error result, or a local failure
  (``ConnectionLost``, Meteor's ``invocation-failed``) in its completion.
- A subscription is timed from its ``sub`` (its request, or the connect that
  sent it when it was made offline) to its first ``ready``; its initial
  documents are known only when it waited for ready alone.

Percentiles keep the last ``SAMPLES`` times per name and figure (bounded
memory on a connection left open for days; nearest-rank over what is kept);
the count and the maximum are over every sample.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from ddp_monitor.ddp.client.events import (
    Event,
    MethodCalled,
    MethodCompleted,
    MethodResultReceived,
    MethodSent,
    SubscriptionReady,
    SubscriptionRequested,
    SubscriptionStopped,
)
from ddp_monitor.recording.subscriptions import DOCUMENT_EVENTS, SubscriptionLife
from ddp_monitor.recording.subscriptions import EVENTS as SUBSCRIPTION_EVENTS

__all__ = [
    "SAMPLES",
    "Figures",
    "MethodFigures",
    "Samples",
    "SubscriptionFigures",
]

#: Times kept per name and figure for the percentiles.
SAMPLES: Final = 10_000

_METHOD_EVENTS: Final = frozenset(
    {MethodCalled, MethodSent, MethodResultReceived, MethodCompleted}
)
#: What ``feed`` keeps of a ring: the events figures follow.
_EVENT_TYPES: Final = _METHOD_EVENTS | SUBSCRIPTION_EVENTS


class Samples:
    """Numbers (times in seconds, counts): every one counted, the last ``limit`` kept for percentiles."""

    __slots__ = ("_kept", "_sorted", "count", "max")

    def __init__(self, limit: int = SAMPLES) -> None:
        self._kept: deque[float] = deque(maxlen=limit)
        self._sorted: list[float] | None = None  # made when first asked
        self.count = 0
        self.max: float | None = None

    def add(self, value: float) -> None:
        self._kept.append(value)
        self._sorted = None
        self.count += 1
        if self.max is None or value > self.max:
            self.max = value

    def percentile(self, q: float) -> float | None:
        """The nearest-rank ``q`` percentile (0 < q <= 100) of the kept values."""
        if not self._kept:
            return None
        if self._sorted is None:
            # Sorted once per change, not per painted cell.
            self._sorted = sorted(self._kept)
        ranked = self._sorted
        return ranked[max(math.ceil(q / 100 * len(ranked)) - 1, 0)]

    @property
    def p50(self) -> float | None:
        return self.percentile(50)

    @property
    def p95(self) -> float | None:
        return self.percentile(95)


@dataclass(slots=True)
class MethodFigures:
    """One method name's calls."""

    name: str
    calls: int = 0
    errors: int = 0
    in_flight: int = 0  # made, not yet completed
    to_result: Samples = field(default_factory=Samples)
    to_updated: Samples = field(default_factory=Samples)


@dataclass(slots=True)
class SubscriptionFigures:
    """One publication name's subscriptions."""

    name: str
    subscriptions: int = 0
    ready: int = 0
    errors: int = 0  # nosub with an error
    to_ready: Samples = field(default_factory=Samples)
    #: initial documents of each one that waited for ready alone (a count is known)
    documents: Samples = field(default_factory=Samples)
    #: ready while others waited too: DDP does not say whose documents came
    unknown_documents: int = 0


@dataclass(slots=True)
class _Call:
    name: str
    sent_at: float | None = None
    answered: bool = False  # its result came from the server
    failed: bool = False


class Figures:
    """Figures per method name and per publication name, fed in order by ``apply``."""

    def __init__(self) -> None:
        self.methods: dict[str, MethodFigures] = {}
        self.subscriptions: dict[str, SubscriptionFigures] = {}
        self._calls: dict[str, _Call] = {}  # unfinished, by method id
        self._life = SubscriptionLife()

    def feed(self, items: Iterable[tuple[float, object]]) -> None:
        """Follow ``(time, item)`` pairs (a ring or ``history.pairs``); frames are passed by."""
        events: list[Event] = []
        times: list[float] = []
        for at, item in items:
            if type(item) in _EVENT_TYPES:
                events.append(item)  # type: ignore[arg-type]
                times.append(at)
        self.apply(events, times)

    def apply(
        self, events: Sequence[Event], times: Sequence[float]
    ) -> tuple[set[str], set[str]]:
        """Follow a batch; the method names and publication names whose figures moved."""
        methods: set[str] = set()
        publications: set[str] = set()
        life = self._life
        for event, at in zip(events, times, strict=True):
            kind = type(event)
            if kind in DOCUMENT_EVENTS:
                # A flood's documents count only while a subscription waits.
                if life.waiting:
                    life.apply(event, at)
                continue
            if kind in _METHOD_EVENTS:
                name = self._method(event, at)
                if name is not None:
                    methods.add(name)
            if kind in SUBSCRIPTION_EVENTS:
                publications |= self._subscription(event, at)
        return methods, publications

    # -- calls ---------------------------------------------------------------------
    def _method(self, event: Event, at: float) -> str | None:
        if isinstance(event, MethodCalled | MethodSent):
            call = self._calls.get(event.method_id)
            if call is None:  # MethodSent alone: the ring had let its call go
                call = self._calls[event.method_id] = _Call(event.name)
                figures = self._figures(event.name)
                figures.calls += 1
                figures.in_flight += 1
            if isinstance(event, MethodSent):
                call.sent_at = at
                call.answered = False  # a re-send: the old send's answer is lost
            return event.name
        if not isinstance(event, MethodResultReceived | MethodCompleted):
            return None
        call = self._calls.get(event.method_id)
        if call is None:
            return None  # its call was before what was kept
        figures = self.methods[call.name]
        if isinstance(event, MethodResultReceived):
            call.answered = True
            if call.sent_at is not None:
                figures.to_result.add(at - call.sent_at)
        else:
            del self._calls[event.method_id]
            figures.in_flight -= 1
            if call.answered and call.sent_at is not None:
                figures.to_updated.add(at - call.sent_at)
        if event.error is not None and not call.failed:
            call.failed = True
            figures.errors += 1
        return call.name

    def _figures(self, name: str) -> MethodFigures:
        figures = self.methods.get(name)
        if figures is None:
            figures = self.methods[name] = MethodFigures(name)
        return figures

    # -- subscriptions ---------------------------------------------------------------
    def _subscription(self, event: Event, at: float) -> set[str]:
        moved = self._life.apply(event, at)
        if not moved or not isinstance(
            event, SubscriptionRequested | SubscriptionReady | SubscriptionStopped
        ):
            return set()  # documents and status: only the life moved
        record = self._life.records[event.sub_id]
        figures = self.subscriptions.get(record.name)
        if figures is None:
            figures = self.subscriptions[record.name] = SubscriptionFigures(record.name)
        if isinstance(event, SubscriptionRequested):
            figures.subscriptions += 1
        elif isinstance(event, SubscriptionReady):
            figures.ready += 1
            if record.ready_after is not None:
                figures.to_ready.add(record.ready_after)
            if record.known_documents is not None:
                figures.documents.add(record.known_documents)
            else:
                figures.unknown_documents += 1
        elif event.error is not None:
            figures.errors += 1
        return {record.name}
