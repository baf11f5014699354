"""Live link figures: messages per second and the DDP ping round-trip.

Owns ``LinkMeter``; imports the standard library and the frame value. Fed
every frame from the wiretap (cheap: a counter and a prefix test), read by the
adaptor once a tick. The round trip is a client ``ping`` with an id answered by
the server's ``pong`` with that id (DDP.md "Heartbeats"); Meteor's client
pings after ``heartbeatInterval`` (17.5 s) without a message.
"""

from __future__ import annotations

import json
from collections import deque

from ddp_monitor.transport.wiretap import Direction, Frame

__all__ = ["LinkMeter"]

_WINDOW = 1.0  # seconds over which msg/s is counted


class LinkMeter:
    """Counts frames per second and matches ping ids to pong ids."""

    __slots__ = ("_pings", "_times", "last_rtt", "total")

    def __init__(self) -> None:
        self._times: deque[float] = deque()
        self._pings: dict[str, float] = {}
        self.last_rtt: float | None = None
        self.total = 0

    def frame(self, frame: Frame) -> None:
        """Account for one frame (both directions count)."""
        self.total += 1
        self._times.append(frame.time)
        data = frame.data
        # Only heartbeat frames start like this; everything else costs one test.
        if isinstance(data, str) and data.startswith('{"msg":"p'):
            self._heartbeat(frame, data)

    def rate(self, now: float) -> float:
        """Frames per second over the last second ending at ``now``."""
        times = self._times
        while times and times[0] < now - _WINDOW:
            times.popleft()
        return len(times) / _WINDOW

    def _heartbeat(self, frame: Frame, data: str) -> None:
        try:
            raw = json.loads(data)
        except ValueError:
            return
        kind, id_ = raw.get("msg"), raw.get("id")
        if not isinstance(id_, str):
            return
        if kind == "ping" and frame.direction is Direction.OUT:
            self._pings[id_] = frame.time
        elif kind == "pong" and frame.direction is Direction.IN:
            sent = self._pings.pop(id_, None)
            if sent is not None:
                self.last_rtt = frame.time - sent
