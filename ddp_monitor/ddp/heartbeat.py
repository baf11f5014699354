"""DDP heartbeats (``packages/ddp-common/heartbeat.js``) driven by ``now``.

Owns the ping/timeout bookkeeping shared by client and server; owns no timer
and imports nothing. The owner calls ``handle_timer(now)`` at
``next_deadline()`` and ``message_received()`` for every inbound message.

Meteor's rule: a repeating tick every ``interval``; at a tick, if nothing was
received since the previous tick and no ping is outstanding, send a ping and
expect any message within ``timeout``. Every received message counts as the
pong. So both sides of an idle link ping (server 15 s, client 17.5 s).
"""

from __future__ import annotations

import enum

__all__ = [
    "CLIENT_INTERVAL",
    "CLIENT_TIMEOUT",
    "SERVER_INTERVAL",
    "SERVER_TIMEOUT",
    "Heartbeat",
    "HeartbeatAction",
]

CLIENT_INTERVAL = 17.5
CLIENT_TIMEOUT = 15.0
SERVER_INTERVAL = 15.0
SERVER_TIMEOUT = 15.0


class HeartbeatAction(enum.Enum):
    SEND_PING = "send_ping"
    TIMED_OUT = "timed_out"


class Heartbeat:
    """One side's heartbeat; started when the DDP session starts."""

    def __init__(self, interval: float, timeout: float, now: float) -> None:
        self.interval = interval
        self.timeout = timeout
        self._next_tick = now + interval
        self._ping_deadline: float | None = None
        self._seen_packet = False

    def message_received(self) -> None:
        """Any inbound message proves the peer alive and answers our ping."""
        self._seen_packet = True
        self._ping_deadline = None

    def next_deadline(self) -> float:
        if self._ping_deadline is not None:
            return min(self._next_tick, self._ping_deadline)
        return self._next_tick

    def handle_timer(self, now: float) -> HeartbeatAction | None:
        """Advance to ``now``; say whether to send a ping or give up the link."""
        if self._ping_deadline is not None and now >= self._ping_deadline:
            self._ping_deadline = None
            return HeartbeatAction.TIMED_OUT
        action = None
        while now >= self._next_tick:  # a repeating timer: ticks stay on the grid
            if not self._seen_packet and self._ping_deadline is None:
                self._ping_deadline = self._next_tick + self.timeout
                action = HeartbeatAction.SEND_PING
            self._seen_packet = False
            self._next_tick += self.interval
        return action
