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
_CALLS = 8  # recent calls whose fastest stands for the round trip


class LinkMeter:
    """Counts frames per second and keeps the last ping round trip."""

    __slots__ = ("_calls", "_times", "last_rtt", "rtt_source", "total")

    def __init__(self) -> None:
        self._times: deque[float] = deque()
        self._calls: deque[tuple[float, str]] = deque(maxlen=_CALLS)
        self.last_rtt: float | None = None
        self.rtt_source = ""  # "heartbeat ping", "probe ping", "call 'add'"...
        self.total = 0

    def round_trip(self, seconds: float, source: str) -> None:
        """A ping's round trip: the link's alone."""
        self.last_rtt, self.rtt_source = seconds, source

    def call_round_trip(self, seconds: float, name: str) -> None:
        """A call's send-to-result time: the link plus the server's work, so
        the fastest of the last few calls is the closest to the link's."""
        self._calls.append((seconds, name))
        fastest, which = min(self._calls)
        count = len(self._calls)
        self.last_rtt = fastest
        self.rtt_source = (
            f"call '{which}' (the fastest of the last {count} calls; "
            "a call's time includes the server's work)"
            if count > 1
            else f"call '{which}' (a call's time includes the server's work)"
        )

    def forget_round_trip(self) -> None:
        """The link is gone: its last figure no longer says anything."""
        self.last_rtt, self.rtt_source = None, ""
        self._calls.clear()

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
