"""A phone's day on one connection: offline after N seconds idle, back after M seconds.

Owns ``BatteryScheduler``; imports QtCore only. It drives whatever it is given
as ``set_battery_saving(on)`` (a ``ClientAdaptor``'s slot in the app: the
fault layer's battery saving, issue 14), so the client sees what a phone's
sleep does to its socket and what waking does. One single-shot ``QTimer`` is re-armed to the next
deadline; the clock is injected (``now``, monotonic seconds) so tests move
time by hand and call ``check()``, as the core's ``handle_timer(now)``.

Idle means no frames in or out: ``note_activity()`` is connected to the
adaptor's batches. A person's own switch wins: turning battery saving on by
hand pauses the schedule until it is turned off again.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal, Slot

__all__ = ["BatteryScheduler"]


class BatteryScheduler(QObject):
    """Go offline after ``idle_after`` s without traffic; come back after ``back_after`` s.

    Signals:
        went_offline(): the schedule switched battery saving on.
        came_back(): the schedule switched it off again.
    """

    went_offline = Signal()
    came_back = Signal()

    def __init__(
        self,
        set_battery_saving: Callable[[bool], None],
        idle_after: float,
        back_after: float,
        *,
        now: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        if idle_after <= 0 or back_after <= 0:
            raise ValueError("idle_after and back_after must be positive seconds")
        self._set = set_battery_saving
        self.idle_after = idle_after
        self.back_after = back_after
        self._now = now
        self.running = False
        self.offline = False  # offline because of the schedule
        self.paused = False  # offline because a person said so
        self._last_activity = 0.0
        self._offline_since = 0.0
        self._driving = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.check)

    def start(self) -> None:
        """Begin counting idle time from now."""
        self.running = True
        self._last_activity = self._now()
        self._arm()

    def stop(self) -> None:
        """Stop the schedule; a connection it took offline comes back."""
        self.running = False
        self._timer.stop()
        if self.offline:
            self._switch(False)

    def next_deadline(self) -> float | None:
        """When ``check()`` has something to do (monotonic seconds), or None."""
        if not self.running or self.paused:
            return None
        if self.offline:
            return self._offline_since + self.back_after
        return self._last_activity + self.idle_after

    @Slot()
    def note_activity(self, *_: object) -> None:
        """Traffic happened: the idle count starts again (not while offline)."""
        if not self.offline:
            self._last_activity = self._now()

    @Slot(bool)
    def note_battery_saving(self, on: bool) -> None:
        """The connection's switch moved; a move not made here pauses or resumes."""
        if self._driving:
            return
        self.offline = False
        self.paused = on
        self._last_activity = self._now()
        self._arm()

    @Slot()
    def check(self) -> None:
        """Act on a deadline that has passed, then re-arm the timer."""
        deadline = self.next_deadline()
        if deadline is not None and self._now() >= deadline:
            if self.offline:
                self._switch(False)
                self._last_activity = self._now()
                self.came_back.emit()
            else:
                self._offline_since = self._now()
                self._switch(True)
                self.went_offline.emit()
        self._arm()

    def _switch(self, on: bool) -> None:
        self.offline = on
        self._driving = True
        try:
            self._set(on)
        finally:
            self._driving = False

    def _arm(self) -> None:
        deadline = self.next_deadline()
        if deadline is None:
            self._timer.stop()
            return
        wait_ms = max(0, int((deadline - self._now()) * 1000) + 1)
        self._timer.start(wait_ms)
