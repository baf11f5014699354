"""The battery schedule: offline after N s idle, back after M s, a person's switch wins."""

from __future__ import annotations

from typing import Any

from ddp_monitor.qt.battery_schedule import BatteryScheduler
from tests.timeouts import TIMEOUT


class Clock:
    """Monotonic seconds moved by the test."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def make(
    idle: float = 30.0, back: float = 10.0
) -> tuple[BatteryScheduler, Clock, list[bool]]:
    clock, switched = Clock(), []
    scheduler = BatteryScheduler(switched.append, idle, back, now=clock)
    return scheduler, clock, switched


def test_goes_offline_after_idle_and_back_after_the_pause(qapp: Any) -> None:
    """No traffic for N s turns battery saving on; M s later it turns off, and again."""
    scheduler, clock, switched = make()
    scheduler.start()
    clock.t += 29.9
    scheduler.check()
    assert switched == []
    clock.t += 0.1
    scheduler.check()
    assert switched == [True]
    assert scheduler.next_deadline() == clock.t + 10
    clock.t += 10
    scheduler.check()
    assert switched == [True, False]
    clock.t += 30
    scheduler.check()
    assert switched == [True, False, True]


def test_traffic_postpones_going_offline(qapp: Any) -> None:
    """Each frame restarts the idle count, so a busy connection stays online."""
    scheduler, clock, switched = make()
    scheduler.start()
    for _ in range(5):
        clock.t += 20
        scheduler.note_activity()
        scheduler.check()
    assert switched == []
    clock.t += 30
    scheduler.check()
    assert switched == [True]


def test_manual_battery_saving_pauses_the_schedule(qapp: Any) -> None:
    """Switching battery saving on by hand is not undone; switching it off resumes the count."""
    scheduler, clock, switched = make()
    scheduler.start()
    scheduler.note_battery_saving(True)  # the person's own click
    clock.t += 1000
    scheduler.check()
    assert switched == []
    assert scheduler.next_deadline() is None
    scheduler.note_battery_saving(False)
    clock.t += 30
    scheduler.check()
    assert switched == [True]


def test_stop_brings_a_scheduled_offline_connection_back(qapp: Any) -> None:
    """Turning the schedule off while it holds the connection offline reconnects it."""
    scheduler, clock, switched = make()
    scheduler.start()
    clock.t += 30
    scheduler.check()
    scheduler.stop()
    assert switched == [True, False]
    assert scheduler.next_deadline() is None


def test_real_timer_fires_both_ways(qtbot: Any) -> None:
    """On Qt's own timer the schedule goes offline and comes back by itself."""
    switched: list[bool] = []
    scheduler = BatteryScheduler(switched.append, 0.05, 0.05)
    with qtbot.waitSignal(scheduler.went_offline, timeout=int(TIMEOUT * 1000)):
        scheduler.start()
    with qtbot.waitSignal(scheduler.came_back, timeout=int(TIMEOUT * 1000)):
        pass
    scheduler.stop()
    assert switched[:2] == [True, False]
