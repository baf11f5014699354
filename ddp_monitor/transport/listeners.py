"""A list of callbacks of one kind, safe to change while it is being called.

Owns ``Listeners``; imports only the standard library. The wiretap (frames),
``DDPClient`` (core events) and ``Accounts`` (the user id) each keep one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Listeners"]

T = TypeVar("T")


class Listeners(Generic[T]):
    """Callbacks of one kind; added and removed at any time, even mid-dispatch.

    A listener that raises does not stop the others: its exception goes to
    ``on_error``.
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
