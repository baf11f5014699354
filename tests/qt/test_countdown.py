"""The retry countdown on an injected clock: what it says, how often, and when it stops."""

from __future__ import annotations

from typing import Any

import pytest

from ddp_monitor.ddp.client.status import ConnectionStatus, Status
from ddp_monitor.qt.countdown import TICK_MS, RetryCountdown

C = ConnectionStatus


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _waiting(retry_time: float, count: int = 2) -> Status:
    return Status(C.WAITING, False, count, retry_time=retry_time)


def test_countdown_reads_the_time_left_on_its_clock(qapp: Any) -> None:
    """Each tick says how long until retry_time on the injected clock, never below zero."""
    clock = Clock(100.0)
    countdown = RetryCountdown(clock)
    seen: list[float] = []
    countdown.ticked.connect(seen.append)
    countdown.follow(_waiting(104.2))
    clock.now = 101.0
    countdown._tick()
    clock.now = 105.0
    countdown._tick()
    countdown.follow(Status(C.CONNECTED, True))
    assert seen == pytest.approx([4.2, 3.2, 0.0])
    assert countdown.remaining is None


def test_countdown_ticks_at_least_ten_times_a_second_while_waiting(qtbot: Any) -> None:
    """While waiting the real timer keeps ticking (its interval allows >= 10 ticks a second)."""
    clock = Clock(0.0)
    countdown = RetryCountdown(clock)
    countdown.follow(_waiting(30.0))
    assert countdown.running
    assert 1000 / countdown._timer.interval() >= 10
    assert TICK_MS <= 100
    values: list[float] = []
    countdown.ticked.connect(values.append)
    for step in range(5):
        clock.now = step * 0.1
        with qtbot.waitSignal(countdown.ticked, timeout=2000):
            pass
    countdown.follow(Status(C.CONNECTED, True))
    assert len(values) >= 5
    assert values == sorted(values, reverse=True)
    assert values[0] <= 30.0


def test_countdown_stops_on_connect_and_ticks_no_more(qtbot: Any) -> None:
    """Connecting stops the countdown once: no tick after it, until the next wait."""
    clock = Clock(10.0)
    countdown = RetryCountdown(clock)
    stops: list[bool] = []
    countdown.stopped.connect(lambda: stops.append(True))
    countdown.follow(_waiting(12.0))
    with qtbot.waitSignal(countdown.ticked, timeout=2000):
        pass
    countdown.follow(Status(C.CONNECTING, False, 2))
    assert not countdown.running
    with qtbot.assertNotEmitted(countdown.ticked, wait=300):
        pass
    countdown.follow(Status(C.CONNECTED, True))
    assert stops == [True]
    countdown.follow(_waiting(20.0, count=3))
    assert countdown.running
    assert countdown.remaining == 10.0
    countdown.follow(Status(C.CONNECTED, True))
    assert stops == [True, True]
