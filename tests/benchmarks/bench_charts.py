"""Benchmark: why the timeline draws with QtCharts, not pyqtgraph (issue 16) - one redraw each, same run.

Run from the repository root; pyqtgraph and numpy are no dependency of
ddp-monitor, so put them beside it for the run only::

    pip install --target /tmp/pqlib pyqtgraph numpy
    PYTHONPATH=/tmp/pqlib QT_QPA_PLATFORM=offscreen python -m tests.benchmarks.bench_charts

Prints, for 600 one-second bins (in, out, round trips) at 1280x104: the
median time of one redraw (the points in and a synchronous paint), ours
(``ui.timeline``: QtCharts plus the band, markers and labels drawn over it)
and a pyqtgraph ``PlotWidget`` with the same three lines; and the import
time of each library in fresh processes. Each side runs in its own process,
interleaved. Asserts nothing.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
RUNS = 40


def _model() -> object:
    from ddp_monitor.qt.timeline_model import TimelineModel
    from ddp_monitor.transport.wiretap import Direction, Frame

    model = TimelineModel(origin=0.0, clock=lambda: 600.0)
    frames = [
        Frame(Direction.IN if i % 3 else Direction.OUT, i / 100, '{"msg":"changed"}')
        for i in range(60_000)
    ]
    model.add_batch(frames, [], [])
    return model


def redraw_ms(which: str) -> float:
    """The median of ``RUNS`` redraws in this process."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    model = _model()
    if which == "qtcharts":
        from ddp_monitor.ui.timeline import HEIGHT, Timeline

        timeline = Timeline()
        timeline.resize(1280, HEIGHT)
        timeline.show()
        timeline.set_source(model)  # type: ignore[arg-type]
        app.processEvents()
        timeline.show_range(0, 600)
        chart = timeline.chart

        def redraw() -> None:
            chart.refresh()
            chart.viewport().repaint()

    else:
        import numpy as np
        import pyqtgraph as pg  # type: ignore[import-not-found]

        plot = pg.PlotWidget()
        plot.resize(1210, 104)  # the width our chart's plot gets beside its buttons
        plot.show()
        app.processEvents()
        ins = plot.plot(pen=pg.mkPen("#3b7dd8", width=1.5))
        outs = plot.plot(pen=pg.mkPen("#c2458a", width=1.5))
        rtt = plot.plot(pen=pg.mkPen("k", style=pg.QtCore.Qt.PenStyle.DashLine))

        def redraw() -> None:
            series = model.series(0, 600, 1210)  # type: ignore[attr-defined]
            x = np.asarray(series.t)
            ins.setData(x, np.asarray(series.msgs_in))
            outs.setData(x, np.asarray(series.msgs_out))
            r = np.asarray(series.rtt)
            rtt.setData(x[~np.isnan(r)], r[~np.isnan(r)] * 1000)
            plot.viewport().repaint()

    for _ in range(5):
        redraw()
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        redraw()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _in_process(*args: str) -> str:
    out = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, check=True, cwd=_ROOT
    )
    return out.stdout.strip().splitlines()[-1]


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--as":
        print(f"{redraw_ms(sys.argv[2]):.2f}")
        return
    sides = ("qtcharts", "pyqtgraph")
    redraws: dict[str, list[float]] = {side: [] for side in sides}
    imports: dict[str, list[float]] = {side: [] for side in sides}
    modules = {"qtcharts": "PySide6.QtCharts", "pyqtgraph": "pyqtgraph"}
    for _ in range(3):
        for side in sides:
            me = "tests.benchmarks.bench_charts"
            redraws[side].append(float(_in_process("-m", me, "--as", side)))
            timed = (
                "import time, PySide6.QtWidgets; s = time.perf_counter(); "
                f"import {modules[side]}; print((time.perf_counter() - s) * 1000)"
            )
            imports[side].append(float(_in_process("-c", timed)))
    print("600 one-second bins at 1280x104, medians of 3 processes")
    print(f"  {'':38} {'QtCharts (ours)':>16} {'pyqtgraph':>10}")
    for label, figures in (
        ("one redraw (points in + paint)", redraws),
        ("import", imports),
    ):
        cells = [f"{statistics.median(figures[side]):.1f} ms" for side in sides]
        print(f"  {label:38} {cells[0]:>16} {cells[1]:>10}")


if __name__ == "__main__":
    main()
