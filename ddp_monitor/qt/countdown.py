"""The live countdown to the next retry while a connection is waiting.

Owns one QTimer that ticks while the status is WAITING and stops on any other
status; imports QtCore and ``ddp.client.status``. ``Status.retry_time`` is on the
event loop's clock (qasync and asyncio both use ``time.monotonic``), so the
same clock reads the time left; tests inject their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from ddp_monitor.ddp.client.status import ConnectionStatus, Status

__all__ = ["TICK_MS", "RetryCountdown"]

#: 20 ticks a second: Qt timers run late under load, and the countdown must
#: still show tenths at least 10 times a second (issue 4).
TICK_MS = 50


class RetryCountdown(QObject):
    """Seconds left to ``retry_time``, emitted every tick while waiting.

    Signals:
        ticked(float): seconds left (never below 0), at least 10 times a second.
        stopped(): the status left WAITING; no more ticks until it waits again.
    """

    ticked = Signal(float)
    stopped = Signal()

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._retry_time: float | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    @property
    def remaining(self) -> float | None:
        """Seconds left, or None when not waiting."""
        if self._retry_time is None:
            return None
        return max(self._retry_time - self._clock(), 0.0)

    @Slot(object)
    def follow(self, status: Status) -> None:
        """Start ticking when ``status`` waits with a retry time, stop otherwise."""
        if status.status is ConnectionStatus.WAITING and status.retry_time is not None:
            self._retry_time = status.retry_time
            if not self._timer.isActive():
                self._timer.start()
            self._tick()
        elif self._retry_time is not None:
            self._retry_time = None
            self._timer.stop()
            self.stopped.emit()

    @Slot()
    def _tick(self) -> None:
        left = self.remaining
        if left is not None:
            self.ticked.emit(left)
