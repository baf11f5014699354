"""Live link figures: messages per second and the DDP ping round-trip.

Owns ``LinkMeter``; imports the standard library and the frame value. Fed
every frame from the wiretap (cheap: a counter and a deque append), read by the
adaptor once a tick. The round trip comes from the client's ``ping()``
(``PongReceived``), which the adaptor probes with while connected.
"""

from __future__ import annotations

from collections import deque

from ddp_monitor.transport.wiretap import Frame

__all__ = ["LinkMeter"]

_WINDOW = 1.0  # seconds over which msg/s is counted


class LinkMeter:
    """Counts frames per second and keeps the last ping round trip."""

    __slots__ = ("_times", "last_rtt", "total")

    def __init__(self) -> None:
        self._times: deque[float] = deque()
        self.last_rtt: float | None = None
        self.total = 0

    def frame(self, frame: Frame) -> None:
        """Account for one frame (both directions count)."""
        self.total += 1
        self._times.append(frame.time)

    def rate(self, now: float) -> float:
        """Frames per second over the last second ending at ``now``."""
        times = self._times
        while times and times[0] < now - _WINDOW:
            times.popleft()
        return len(times) / _WINDOW
