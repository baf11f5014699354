"""One loop timer that follows a sans-I/O core's ``next_deadline()``.

Owns ``DeadlineTimer``; imports asyncio only. Both drivers (``DDPClient`` and
the server's ``SocketDriver``) call ``follow(core.next_deadline())`` after
every pump and hand ``handle_timer`` the deadline when it fires (aioquic's
``QuicConnectionProtocol`` re-arming ``loop.call_at`` after each transmit).

``follow`` runs after every batch of frames, so it must be cheap: a deadline
that moved later (every received message pushes the heartbeat's) keeps the
armed timer, which then fires early and the owner re-arms; only an earlier
deadline, or none, touches the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["DeadlineTimer"]


class DeadlineTimer:
    """A ``loop.call_at`` kept at or before the owner's next deadline.

    Args:
        loop: the loop whose clock the deadlines are on (``loop.time()``).
        on_due: called with the deadline the timer was armed for; it may be a
            hair later than ``loop.time()`` (``call_at`` fires within the
            clock's resolution), so the owner passes
            ``max(loop.time(), deadline)`` to its core.
    """

    __slots__ = ("_at", "_handle", "_loop", "_on_due")

    def __init__(
        self, loop: asyncio.AbstractEventLoop, on_due: Callable[[float], None]
    ) -> None:
        self._loop = loop
        self._on_due = on_due
        self._handle: asyncio.TimerHandle | None = None
        self._at: float | None = None

    def follow(self, deadline: float | None) -> None:
        """Be armed at or before ``deadline``; None disarms."""
        armed = self._at
        if deadline == armed or (
            deadline is not None and armed is not None and deadline > armed
        ):
            return
        if self._handle is not None:
            self._handle.cancel()
        self._at = deadline
        self._handle = (
            None if deadline is None else self._loop.call_at(deadline, self._fire)
        )

    def cancel(self) -> None:
        self.follow(None)

    def _fire(self) -> None:
        deadline = self._at
        self._handle = self._at = None
        if deadline is not None:
            self._on_due(deadline)
