"""The fault layer of a client's own connection: a bad network without a proxy.

Owns ``FaultLayer``: a ``ddp.fault_link.FaultLink`` between ``DDPClient``'s
core and its socket, kept on time by a ``DeadlineTimer``, and battery
saving's refusal of new attempts. Imports asyncio, ``ddp`` (faults) and
``transport.deadline``; ``ddp_client`` makes one when faults are first set
and hands it its two ends (write to the socket, deliver to the core).

Battery saving here is what a sleeping phone does to its Meteor client: the
socket goes (no close frame), and every attempt fails until the time is up
(``math.inf``: until the faults are cleared). Meteor's client then retries on
its own back-off; a phone waking fires the browser's ``online`` event, which
calls ``reconnect()`` (``socket-stream-client/browser.js``), so the driver
reconnects at once when battery saving is cleared.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ddp_monitor.ddp.fault_link import FaultLink
from ddp_monitor.ddp.faults import NO_FAULTS, Faults, Way
from ddp_monitor.transport.deadline import DeadlineTimer

__all__ = ["BATTERY_SAVING_REASON", "FaultLayer"]

#: The reason of an attempt refused while battery saving is on.
BATTERY_SAVING_REASON = "battery saving: the network is off"


class FaultLayer:
    """Frames between a client's core and its socket, through the faults in force.

    Args:
        loop: whose clock ``now`` is.
        write: writes frames to the socket (already due).
        deliver: hands one received frame to the core (already due).
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        write: Callable[[list[str]], None],
        deliver: Callable[[str], None],
    ) -> None:
        self._loop = loop
        self._write = write
        self._deliver = deliver
        self.link = FaultLink(NO_FAULTS, loop.time())
        self._timer = DeadlineTimer(loop, lambda deadline: self._flush(deadline))
        self.refused_until: float | None = None

    @property
    def faults(self) -> Faults:
        return self.link.faults

    @property
    def active(self) -> bool:
        """True when frames must go through the link (faults, or frames waiting)."""
        return (
            self.link.faults.any
            or self.link.queued(Way.TO_SERVER) > 0
            or self.link.queued(Way.TO_CLIENT) > 0
        )

    def set_faults(self, faults: Faults) -> bool:
        """Switch faults now; True when battery saving has just started."""
        now = self._loop.time()
        starts = faults.battery_saving > 0 and not self.refusing
        if faults.battery_saving > 0:
            self.refused_until = now + faults.battery_saving
        else:
            self.refused_until = None
        self.link.set_faults(faults, now)
        self._flush(now)
        return starts

    @property
    def refusing(self) -> bool:
        """True while battery saving refuses new attempts."""
        until = self.refused_until
        return until is not None and self._loop.time() < until

    def socket_changed(self) -> None:
        """A new socket: what the old one had in flight is gone with it."""
        self.link = FaultLink(self.link.faults, self._loop.time())
        self._timer.cancel()

    def to_server(self, texts: list[str]) -> None:
        now = self._loop.time()
        for text in texts:
            self.link.submit(Way.TO_SERVER, text, now)
        self._flush(now)

    def to_client(self, text: str) -> None:
        now = self._loop.time()
        self.link.submit(Way.TO_CLIENT, text, now)
        self._flush(now)

    def _flush(self, now: float) -> None:
        now = max(now, self._loop.time())
        link = self.link
        out = link.take(Way.TO_SERVER, now)
        if out:
            self._write(out)
        for text in link.take(Way.TO_CLIENT, now):
            self._deliver(text)
        self._timer.follow(link.next_deadline())
