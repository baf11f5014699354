"""What the window benchmarks read in the window's own process: loop stalls, paints, memory.

Owns ``Stalls`` (how late a 5 ms precise timer fires: the time the GUI loop
could not run), ``painted`` (wait for a widget's next paint) and ``rss_mb``;
imports PySide6 and asyncio. ``bench_ui`` (ddp-monitor and the bare PySide6
window alike) and ``bench_server_panel`` measure with these, so both sides
of a comparison are timed the same way.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QWidget

__all__ = ["STALL_MS", "Frames", "Stalls", "median_of", "painted", "rss_mb"]

#: A stall longer than this is one a user may notice (issue 12's target).
STALL_MS = 25.0


class Stalls:
    """Lateness of a 5 ms precise timer while it runs."""

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(max(now - self._last - 0.005, 0.0))
        self._last = now

    def take(self) -> dict[str, float]:
        """Longest, p99 and median stall (ms) and stalls over STALL_MS since the last take."""
        gaps, self.gaps = self.gaps or [0.0], []
        self._last = time.perf_counter()
        ordered = sorted(gaps)
        return {
            "stall_max_ms": ordered[-1] * 1000,
            "stall_p99_ms": ordered[int(len(ordered) * 0.99)] * 1000,
            "stall_median_ms": statistics.median(ordered) * 1000,
            "stalls_over_25ms": float(sum(1 for g in gaps if g * 1000 > STALL_MS)),
        }

    def stop(self) -> None:
        self.timer.stop()


class Frames(QObject):
    """Intervals between one widget's paints: how often the user sees it move."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self.times: list[float] = []
        self.widget = widget
        widget.installEventFilter(self)

    def eventFilter(self, _obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.times.append(time.perf_counter())
        return False

    def take(self) -> dict[str, float]:
        """p99 and median interval between paints (ms) and how many paints there were."""
        times, self.times = self.times, []
        gaps = sorted(b - a for a, b in itertools.pairwise(times)) or [0.0]
        return {
            "frame_p99_ms": gaps[int(len(gaps) * 0.99)] * 1000,
            "frame_median_ms": statistics.median(gaps) * 1000,
            "frames": float(len(times)),
        }

    def stop(self) -> None:
        self.widget.removeEventFilter(self)


class _PaintWatch(QObject):
    def __init__(self, done: asyncio.Future[float]) -> None:
        super().__init__()
        self.done = done

    def eventFilter(self, _obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self.done.done():
            self.done.set_result(time.perf_counter())
        return False


async def painted(widget: QWidget, within: float = 30.0) -> float:
    """The ``perf_counter`` time of ``widget``'s next paint (asks for one)."""
    done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    watch = _PaintWatch(done)
    widget.installEventFilter(watch)
    widget.update()
    try:
        return await asyncio.wait_for(done, within)
    finally:
        widget.removeEventFilter(watch)


def rss_mb() -> float:
    """This process's resident memory, MB (``/proc``)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    """The median of one figure over runs that have it (NaN when none has)."""
    values = [float(r[key]) for r in runs if key in r]
    return statistics.median(values) if values else float("nan")
