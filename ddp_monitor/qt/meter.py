"""Live link figures: messages per second and the last round trip, with where it came from.

Owns ``LinkMeter``; imports the standard library and the frame value. Fed
every frame from the wiretap (cheap: a counter and a deque append), read by the
adaptor once a tick. The round trip comes from what the connection does
anyway (the heartbeat's ping, a method call's answer) or, when the user asks
for it, from the adaptor's own probe pings.
"""

from __future__ import annotations

from collections import deque

from ddp_monitor.transport.wiretap import Frame

__all__ = ["LinkMeter"]

_WINDOW = 1.0  # seconds over which msg/s is counted


class LinkMeter:
    """Counts frames per second and keeps the last ping round trip."""

    __slots__ = ("_times", "last_rtt", "rtt_source", "total")

    def __init__(self) -> None:
        self._times: deque[float] = deque()
        self.last_rtt: float | None = None
        self.rtt_source = ""  # "heartbeat ping", "probe ping", "call 'add'"...
        self.total = 0

    def round_trip(self, seconds: float, source: str) -> None:
        self.last_rtt, self.rtt_source = seconds, source

    def forget_round_trip(self) -> None:
        """The link is gone: its last figure no longer says anything."""
        self.last_rtt, self.rtt_source = None, ""

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
