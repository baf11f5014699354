"""The message tap: every frame as it really crossed the socket.

Owns the ``Frame`` value, the ``Wiretap`` and the generic ``Listeners`` list
that ``DDPClient`` also uses for core events; imports only the standard library. The driver reports a frame when it hits the socket, so a
method queued while offline shows up when it is really sent, and a frame the
core dropped still shows up (the log is of the wire, not of the protocol).

Cost when nobody listens: the driver's hot path tests ``tap.active`` (one
attribute read) before building a ``Frame``; nothing else runs.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Direction", "Frame", "FrameListener", "Listeners", "Wiretap"]


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


T = TypeVar("T")

FrameListener = Callable[[Frame], None]


class Listeners(Generic[T]):
    """Callbacks of one kind; added and removed at any time, even mid-dispatch.

    Shared by the tap (frames) and ``DDPClient`` (core events). A listener that
    raises does not stop the others: its exception goes to ``on_error``.
    """

    __slots__ = ("_listeners", "active", "on_error")

    def __init__(self, on_error: Callable[[BaseException], None]) -> None:
        self._listeners: tuple[Callable[[T], None], ...] = ()
        #: True while someone listens: the one check on a hot path.
        self.active = False
        self.on_error = on_error

    def add(self, listener: Callable[[T], None]) -> Callable[[], None]:
        """Call ``listener(value)`` for every value from now on.

        Returns:
            A function that removes the listener again (idempotent).
        """
        self._listeners = (*self._listeners, listener)
        self.active = True
        removed = False

        def remove() -> None:
            nonlocal removed
            if removed:
                return
            removed = True
            listeners = list(self._listeners)
            for index, known in enumerate(listeners):
                if known is listener:
                    del listeners[index]
                    break
            self._listeners = tuple(listeners)
            self.active = bool(listeners)

        return remove

    def emit(self, value: T) -> None:
        """Hand ``value`` to every listener."""
        # A tuple snapshot: a listener may add or remove listeners while we loop.
        for listener in self._listeners:
            try:
                listener(value)
            except Exception as exc:
                self.on_error(exc)


class Wiretap(Listeners[Frame]):
    """Frame listeners; the driver checks ``active`` before building a frame."""

    __slots__ = ()

    def frame(self, direction: Direction, time: float, data: str | bytes) -> None:
        """Report one frame (the caller checked ``active``)."""
        self.emit(Frame(direction, time, data))
