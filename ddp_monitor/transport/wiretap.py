"""The message tap: every frame as it really crossed the socket.

Owns the ``Frame`` value and the ``Wiretap``; imports the standard library and
``transport.listeners``. The driver reports a frame when it hits the socket, so a
method queued while offline shows up when it is really sent, and a frame the
core dropped still shows up (the log is of the wire, not of the protocol).

Cost when nobody listens: the driver's hot path tests ``tap.active`` (one
attribute read) before building a ``Frame``; nothing else runs.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from ddp_monitor.transport.listeners import Listeners

__all__ = ["Direction", "Frame", "FrameListener", "Wiretap"]


class Direction(enum.StrEnum):
    IN = "in"  # server -> client
    OUT = "out"  # client -> server


@dataclass(frozen=True, slots=True)
class Frame:
    """One WebSocket data frame.

    Attributes:
        direction: ``IN`` (received) or ``OUT`` (written to the socket).
        time: the loop's monotonic clock (seconds) when it crossed the socket.
        data: the text of a text frame, or the bytes of a binary one (Meteor
            ignores binary frames; the tap still shows them).
    """

    direction: Direction
    time: float
    data: str | bytes


FrameListener = Callable[[Frame], None]


class Wiretap(Listeners[Frame]):
    """Frame listeners; the driver checks ``active`` before building a frame."""

    __slots__ = ()

    def frame(self, direction: Direction, time: float, data: str | bytes) -> None:
        """Report one frame (the caller checked ``active``)."""
        self.emit(Frame(direction, time, data))
