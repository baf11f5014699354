"""``FaultLink``: what faults do to the frames of one DDP link, given ``now``.

Owns the pure half of fault injection: frames go in with ``submit(way, text,
now)`` and come out of ``take(way, now)`` when their time has come (or never);
``next_deadline()`` says when to call again, as every core here (aioquic's
``get_timer``). ``Refusals`` keeps battery saving's refused reconnects.
Imports the standard library and ``ddp.faults``. The proxy's relay and the
client's link drive it; tests drive it with numbers.

Frames are DDP text; the kind (``msg``) is read from the frame's first bytes
(Meteor's ``stringifyDDP`` and ours put ``msg`` first) and the JSON is parsed
only for the frames that name a method or a subscription. Frames of one way
leave in order (one TCP stream), except the ones a DDP-aware fault delays:
those overtake nothing but are overtaken, which is the fault's point (a
delayed ``result`` delays that call only).

A dead link buffers instead of dropping: TCP keeps what it could not send and
delivers it when the link comes back, if neither side gave up first.
"""

from __future__ import annotations

import heapq
import json
import random
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ddp_monitor.ddp.faults import DATA_MESSAGES, NO_FAULTS, Faults, Way

__all__ = ["FaultLink", "Refusals", "frame_kind"]

_PREFIX = '{"msg":"'


def frame_kind(text: str) -> str:
    """The frame's ``msg`` ("" when it has none or is not a JSON object)."""
    if text.startswith(_PREFIX):
        end = text.find('"', 8)
        if end > 8:
            return text[8:end]
    try:
        message = json.loads(text)
    except ValueError:
        return ""
    kind = message.get("msg") if isinstance(message, dict) else None
    return kind if isinstance(kind, str) else ""


def _fields(text: str) -> dict[str, object]:
    try:
        message = json.loads(text)
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}


@dataclass(slots=True)
class _WayState:
    """Queues of one direction."""

    ready: list[str] = field(default_factory=list)  # due now, in order
    pipe: deque[tuple[float, str]] = field(default_factory=deque)  # (due, text)
    stalled: list[str] = field(default_factory=list)  # dead link
    held: list[str] = field(default_factory=list)  # hold data (to the client)
    side: list[tuple[float, int, str]] = field(default_factory=list)  # heap
    last_due: float = 0.0
    wire_free_at: float = 0.0  # bandwidth: when the previous frame has left
    seen: dict[str, int] = field(default_factory=dict)  # drop_one_in counters
    dropped: int = 0

    @property
    def queued(self) -> int:
        return (
            len(self.ready)
            + len(self.pipe)
            + len(self.stalled)
            + len(self.held)
            + len(self.side)
        )


class FaultLink:
    """Applies ``Faults`` to one link's frames, both ways.

    Args:
        faults: the faults in force from ``now``.
        now: monotonic seconds.
        rng: ``[0, 1)`` draws for jitter (tests pass a fixed one).
    """

    def __init__(
        self,
        faults: Faults = NO_FAULTS,
        now: float = 0.0,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._rng = rng
        self._ways = {way: _WayState() for way in Way}
        self._methods: dict[str, str] = {}  # method id -> name
        self._subs: dict[str, str] = {}  # sub id -> name
        self._seq = 0
        self.faults = NO_FAULTS
        self._clean = True  # no faults: the hot path asks this per frame
        self.hold_until: float | None = None
        self.set_faults(faults, now)

    # -- settings ---------------------------------------------------------------

    def set_faults(self, faults: Faults, now: float) -> None:
        """Switch to ``faults`` now; what they no longer hold back is released."""
        old, self.faults = self.faults, faults
        self._clean = not faults.any
        if faults.hold_data > 0 and faults.hold_data != old.hold_data:
            # The hold runs from when it is set: N seconds, then the flow.
            self.hold_until = now + faults.hold_data
        elif faults.hold_data <= 0:
            self.hold_until = None
        for way, state in self._ways.items():
            if not faults.dead_link and state.stalled:
                stalled, state.stalled = state.stalled, []
                for text in stalled:
                    self._route(way, text, frame_kind(text), now)
            if not faults.way(way).shapes and state.pipe:
                # Faster settings take effect at once: what waited only for
                # latency or bandwidth leaves now, in order.
                state.ready.extend(text for _, text in state.pipe)
                state.pipe.clear()
                state.last_due = state.wire_free_at = now
            self._release_side(way, now, everything_unwanted=True)
        self._release_held(now)

    @property
    def passes_to_client(self) -> bool:
        """True when frames to the client may skip ``submit``/``take`` right now."""
        return self._clean and not self._ways[Way.TO_CLIENT].queued

    def queued(self, way: Way) -> int:
        """Frames of ``way`` waiting (delayed, held, stalled)."""
        return self._ways[way].queued

    def dropped(self, way: Way) -> int:
        """Frames of ``way`` dropped by a fault so far."""
        return self._ways[way].dropped

    # -- frames -----------------------------------------------------------------

    def submit(self, way: Way, text: str, now: float) -> None:
        """One frame enters the link going ``way``."""
        kind = frame_kind(text)
        if way is Way.TO_SERVER and kind in ("method", "sub"):
            self._remember(kind, text)
        faults = self.faults
        state = self._ways[way]
        if faults.dead_link:
            state.stalled.append(text)
            return
        wf = faults.way(way)
        if (kind == "ping" and wf.swallow_pings) or (
            kind == "pong" and wf.swallow_pongs
        ):
            state.dropped += 1
            return
        every = faults.drop_one_in.get(kind)
        if every:
            count = state.seen[kind] = state.seen.get(kind, 0) + 1
            if count % every == 0:
                state.dropped += 1
                return
        self._route(way, text, kind, now)

    def take(self, way: Way, now: float) -> list[str]:
        """The frames of ``way`` due by ``now``, in the order they leave."""
        state = self._ways[way]
        self._release_side(way, now)
        self._release_held(now)
        pipe = state.pipe
        while pipe and pipe[0][0] <= now:
            state.ready.append(pipe.popleft()[1])
        out, state.ready = state.ready, []
        return out

    def next_deadline(self) -> float | None:
        """When ``take`` has frames next (None: only a new frame can change that)."""
        times: list[float] = []
        for state in self._ways.values():
            if state.pipe:
                times.append(state.pipe[0][0])
            if state.side:
                times.append(state.side[0][0])
        if self.hold_until is not None and self._ways[Way.TO_CLIENT].held:
            times.append(self.hold_until)
        return min(times, default=None)

    # -- internals ----------------------------------------------------------------

    def _remember(self, kind: str, text: str) -> None:
        fields = _fields(text)
        ident, name = (
            fields.get("id"),
            fields.get("method" if kind == "method" else "name"),
        )
        if isinstance(ident, str) and isinstance(name, str):
            (self._methods if kind == "method" else self._subs)[ident] = name

    def _names(self, kind: str, text: str) -> list[str]:
        fields = _fields(text)
        if kind == "result":
            ids: object = [fields.get("id")]
            table = self._methods
        elif kind == "updated":
            ids, table = fields.get("methods"), self._methods
        else:
            ids, table = fields.get("subs"), self._subs
        if not isinstance(ids, list):
            return []
        return [table[i] for i in ids if isinstance(i, str) and i in table]

    def _ddp_fault(self, kind: str, text: str) -> float | None:
        """Seconds to delay this frame, -1 to drop it, None when no fault names it."""
        faults = self.faults
        delays, drops = {
            "result": (faults.delay_result, faults.drop_result),
            "updated": (faults.delay_updated, faults.drop_updated),
            "ready": (faults.delay_ready, faults.drop_ready),
        }[kind]
        delay: float | None = None
        for name in self._names(kind, text):
            if name in drops:
                return -1.0
            if name in delays:
                delay = max(delay or 0.0, delays[name])
        return delay

    def _route(self, way: Way, text: str, kind: str, now: float) -> None:
        faults = self.faults
        state = self._ways[way]
        if way is Way.TO_CLIENT:
            if faults.ddp_aware and kind in ("result", "updated", "ready"):
                delay = self._ddp_fault(kind, text)
                if delay is not None and delay < 0:
                    state.dropped += 1
                    return
                if delay:
                    self._seq += 1
                    heapq.heappush(state.side, (now + delay, self._seq, text))
                    return
            if (
                self.hold_until is not None
                and now < self.hold_until
                and kind in DATA_MESSAGES
            ):
                state.held.append(text)
                return
        self._enter_pipe(way, text, now)

    def _enter_pipe(self, way: Way, text: str, now: float) -> None:
        state = self._ways[way]
        wf = self.faults.way(way)
        if not wf.shapes and not state.pipe:
            state.ready.append(text)
            return
        leaves = now
        if wf.bandwidth > 0:
            # One frame on the wire at a time: it starts when the last left.
            leaves = max(now, state.wire_free_at) + len(text.encode()) / wf.bandwidth
            state.wire_free_at = leaves
        due = leaves + wf.latency
        if wf.jitter > 0:
            due += (2 * self._rng() - 1) * wf.jitter
        due = max(due, now, state.last_due)  # never out of order
        state.last_due = due
        state.pipe.append((due, text))

    def _release_side(
        self, way: Way, now: float, everything_unwanted: bool = False
    ) -> None:
        state = self._ways[way]
        if not state.side:
            return
        keep: list[tuple[float, int, str]] = []
        due_now: list[tuple[float, int, str]] = []
        for item in state.side:
            due, _, text = item
            gone = everything_unwanted and not self._still_delayed(text)
            (due_now if due <= now or gone else keep).append(item)
        if not due_now:
            return
        heapq.heapify(keep)
        state.side = keep
        for due, _, text in sorted(due_now):
            self._enter_pipe(way, text, min(max(due, 0.0), now))

    def _still_delayed(self, text: str) -> bool:
        kind = frame_kind(text)
        delay = self._ddp_fault(kind, text) if self.faults.ddp_aware else None
        return bool(delay and delay > 0)

    def _release_held(self, now: float) -> None:
        state = self._ways[Way.TO_CLIENT]
        if not state.held:
            return
        if self.hold_until is not None and now < self.hold_until:
            return
        held, state.held = state.held, []
        self._enter_all(Way.TO_CLIENT, held, now)
        if self.hold_until is not None and now >= self.hold_until:
            self.hold_until = None

    def _enter_all(self, way: Way, texts: Iterable[str], now: float) -> None:
        for text in texts:
            self._enter_pipe(way, text, now)


class Refusals:
    """Battery saving's refused reconnects: who may not connect until when."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    def refuse(self, key: str, until: float) -> None:
        """Refuse ``key`` (a client's identity) until ``until``."""
        self._until[key] = max(until, self._until.get(key, until))

    def lift(self, key: str | None = None) -> None:
        """Let ``key`` (or everyone, with None) connect again."""
        if key is None:
            self._until.clear()
        else:
            self._until.pop(key, None)

    def refused(self, key: str, now: float) -> bool:
        """True while ``key``'s reconnects are refused."""
        until = self._until.get(key)
        if until is None:
            return False
        if now >= until:
            del self._until[key]
            return False
        return True
