"""Benchmark: the timeline's cost on a live page at 10,000 messages/s, and binning a 1,000,000-item recording (issue 16).

Run from the repository root on a display (Xvfb)::

    DISPLAY=:99 python -m tests.benchmarks.bench_timeline [--runs 3] [--only adds,changes,bin]

(with no DISPLAY it starts ``Xvfb :99`` itself when it can). Prints figures;
asserts nothing.

- ``adds`` / ``changes``: bench_ui's floods (10,000 new documents a second,
  or 1,000 documents and 10,000 changes a second, for 10 s, from
  ``flood_server.py``) into the window with View > Timeline shown and hidden,
  interleaved run by run (shown, hidden, shown...) in fresh processes, same
  run: the event loop's longest stall and p99 (a 5 ms precise timer's
  lateness), stalls over 25 ms, the p99 interval between the document
  table's paints, how far behind the window was at the end, CPU. Medians of
  ``--runs``.
- ``bin``: a 1,000,000-item recording (a 10,000 msg/s session: frames and
  the document events they made, with pongs, calls and a drop) written to a
  file, read back once (``load``, timed for scale), then binned by
  ``TimelineModel.from_recording`` (median of 5).
- then (with ``bin``) one redraw of a 1280-pixel timeline over that recording, zoomed
  out (every bin in view) and zoomed to two minutes: ``refresh`` (the points
  into QtCharts) plus a synchronous paint, median of 30.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.benchmarks.bench_ui import PLANS, RATE, SECONDS, _ensure_display

_ROOT = Path(__file__).resolve().parents[2]
_SETTING = "view/timeline"  # ddp_monitor.ui.timeline.SETTING (not imported: no Qt here)
ITEMS = 1_000_000


# -- the floods, in a fresh process each ---------------------------------------------------
def flood(name: str, url: str, shown: bool) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "tests.benchmarks.bench_timeline",
        "--as-ours",
        name,
        url,
        json.dumps(PLANS[name]),
        "shown" if shown else "hidden",
    ]
    out = subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=_ROOT, timeout=900
    )
    if out.returncode != 0:
        raise SystemExit(f"{name} failed:\n{out.stdout}\n{out.stderr}")
    figures, spent = out.stdout.splitlines()[-2:]
    return {**json.loads(figures), **json.loads(spent)}


_ROWS = [
    ("longest stall", "stall_max_ms", "{:.0f} ms"),
    ("p99 stall", "stall_p99_ms", "{:.1f} ms"),
    ("stalls > 25 ms", "stalls_over_25ms", "{:.0f}"),
    ("p99 paint interval (documents)", "frame_p99_ms", "{:.0f} ms"),
    ("median paint interval", "frame_median_ms", "{:.0f} ms"),
    ("behind at the end", "behind_ms", "{:.0f} ms"),
    ("window process CPU", "cpu_s", "{:.1f} s"),
    ("timeline: binning the batches", "batch_total_ms", "{:.0f} ms"),
    ("  longest batch", "batch_max_ms", "{:.1f} ms"),
    ("timeline: refreshes (points in)", "refresh_total_ms", "{:.0f} ms"),
    ("  longest refresh", "refresh_max_ms", "{:.1f} ms"),
    ("timeline: paints", "paint_total_ms", "{:.0f} ms"),
    ("  longest paint", "paint_max_ms", "{:.1f} ms"),
]


class _Spent:
    """Main-thread time in the timeline's own work: a list of durations per part."""

    def __init__(self) -> None:
        self.parts: dict[str, list[float]] = {}

    def wrap(self, owner: type, name: str, part: str) -> None:
        inner = getattr(owner, name)
        times = self.parts.setdefault(part, [])

        def timed(*args: Any) -> Any:
            started = time.perf_counter()
            try:
                return inner(*args)
            finally:
                times.append(time.perf_counter() - started)

        setattr(owner, name, timed)

    def figures(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for part, times in self.parts.items():
            out[f"{part}_total_ms"] = sum(times) * 1000
            out[f"{part}_max_ms"] = max(times, default=0.0) * 1000
        return out


def _time_the_timeline() -> _Spent:
    """Time the model's batches, the chart's refreshes and its paints (before any is made)."""
    from ddp_monitor.qt.timeline_model import TimelineModel
    from ddp_monitor.ui.timeline_chart import TimelineChart

    spent = _Spent()
    spent.wrap(TimelineModel, "add_batch", "batch")
    spent.wrap(TimelineChart, "refresh", "refresh")
    spent.wrap(TimelineChart, "paintEvent", "paint")
    return spent


def _floods(names: list[str], runs: int) -> None:
    from tests.benchmarks.probes import median_of

    server = subprocess.Popen(
        [sys.executable, "-m", "tests.benchmarks.flood_server"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=_ROOT,
    )
    try:
        assert server.stdout is not None
        url = json.loads(server.stdout.readline())["url"]
        titles = {
            "adds": f"{RATE:,} new documents/s for {SECONDS:.0f} s",
            "changes": f"1,000 documents + {RATE:,} changes/s for {SECONDS:.0f} s",
        }
        for name in names:
            seen: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
            for _ in range(runs):
                for shown in (True, False):
                    seen[shown].append(flood(name, url, shown))
            print(f"\n{titles[name]} (medians of {runs} interleaved runs)")
            print(f"  {'':34} {'timeline shown':>15} {'hidden':>10}")
            for label, key, form in _ROWS:
                cells = [form.format(median_of(seen[s], key)) for s in (True, False)]
                print(f"  {label:34} {cells[0]:>15} {cells[1]:>10}")
    finally:
        server.terminate()
        server.wait(10)


# -- a million items: write, read, bin, draw -----------------------------------------------
def _write_recording(path: Path) -> None:
    """A 10,000 msg/s session of ``ITEMS`` items: frames in, the events they made, pongs, calls, a drop."""
    from ddp_monitor.ddp.client.events import (
        DocumentAdded,
        DocumentChanged,
        HandshakeCompleted,
        MethodCalled,
        MethodResultReceived,
        MethodSent,
        PongReceived,
        StatusChanged,
        TransportLost,
    )
    from ddp_monitor.ddp.client.status import ConnectionStatus, Status
    from ddp_monitor.recording.format import Header
    from ddp_monitor.recording.recorder import RecordingWriter
    from ddp_monitor.transport.wiretap import Direction, Frame
    from tests.benchmarks.flood_server import added, document

    def status(kind: ConnectionStatus) -> StatusChanged:
        return StatusChanged(Status(kind, kind is ConnectionStatus.CONNECTED, 0))

    with path.open("w", encoding="utf-8") as out:
        writer = RecordingWriter(
            out, Header("ws://bench/websocket", datetime.now(UTC)), 0.0
        )
        writer.write(0.0, status(ConnectionStatus.CONNECTED))
        writer.write(0.0, HandshakeCompleted("s1", "1"))
        k = 0
        while writer.written < ITEMS:
            t = k / RATE
            if k % 2:
                data = (
                    f'{{"msg":"changed","collection":"flood","id":"f{k // 2:06d}",'
                    f'"fields":{{"n":{k}}}}}'
                )
                writer.write(t, Frame(Direction.IN, t, data))
                writer.write(
                    t, DocumentChanged("flood", f"f{k // 2:06d}", {"n": k}, [])
                )
            else:
                writer.write(t, Frame(Direction.IN, t, added(k)))
                writer.write(t, DocumentAdded("flood", f"f{k:06d}", document(k)))
            if k % RATE == 0:  # each second: a ping, a call
                writer.write(t, Frame(Direction.OUT, t, '{"msg":"ping"}'))
                writer.write(t, PongReceived("", 0.0004))
                writer.write(t, MethodCalled(str(k), "add", [1, 2]))
                writer.write(t, MethodSent(str(k), "add", [1, 2]))
                writer.write(t + 0.001, MethodResultReceived(str(k), 3, None))
            if k == 30 * RATE:  # a drop and a reconnect
                writer.write(t, TransportLost("reset"))
                writer.write(t, status(ConnectionStatus.WAITING))
                writer.write(t + 1, status(ConnectionStatus.CONNECTED))
                writer.write(t + 1, HandshakeCompleted("s2", "1", False, "s1"))
            k += 1
        writer.close()


def _million() -> None:
    from ddp_monitor.qt.timeline_model import TimelineModel
    from ddp_monitor.recording.recorder import load

    path = Path(tempfile.mkdtemp(prefix="ddp-bench-timeline-")) / "million.ddprec"
    started = time.perf_counter()
    _write_recording(path)
    written = time.perf_counter() - started
    started = time.perf_counter()
    recording = load(path)
    read = time.perf_counter() - started
    times = []
    for _ in range(5):
        started = time.perf_counter()
        model = TimelineModel.from_recording(recording)
        times.append(time.perf_counter() - started)
    print(f"\n{len(recording.items):,}-item recording ({recording.duration:.0f} s)")
    print(f"  {'written (RecordingWriter)':34} {written:>10.1f} s")
    print(f"  {'read back (load)':34} {read:>10.1f} s")
    print(
        f"  {'binned (from_recording), median 5':34} {statistics.median(times):>10.3f} s"
        f"   (min {min(times):.3f}, max {max(times):.3f}; {len(model.bins)} bins of "
        f"{model.width:g} s, {len(model.markers)} markers)"
    )
    _draw(model)
    path.unlink()


def _draw(model: Any) -> None:
    """One redraw of a 1280-pixel timeline: the points into QtCharts and a paint."""
    from PySide6.QtWidgets import QApplication

    from ddp_monitor.ui.timeline import HEIGHT, Timeline

    app = QApplication.instance() or QApplication(sys.argv[:1])
    timeline = Timeline()
    timeline.resize(1280, HEIGHT)
    timeline.show()
    timeline.set_source(model)
    app.processEvents()
    chart = timeline.chart
    print(f"  {'one redraw at 1280 px, median 30':34}")
    for label, span in (
        ("every bin in view", (0.0, model.now())),
        ("two minutes in view", (40.0, 160.0)),
    ):
        timeline.show_range(*span)
        times = []
        for _ in range(30):
            started = time.perf_counter()
            chart.refresh()
            chart.viewport().repaint()
            times.append(time.perf_counter() - started)
        print(f"    {label:32} {statistics.median(times) * 1000:>10.1f} ms")
    timeline.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="adds,changes,bin")
    parser.add_argument(
        "--as-ours", nargs=4, metavar=("SCENARIO", "URL", "PLAN", "SHOWN")
    )
    args = parser.parse_args()
    if args.as_ours:
        from tests.benchmarks.bench_ui import _run_ours

        name, url, plan, shown = args.as_ours
        spent = _time_the_timeline()
        _run_ours(name, url, json.loads(plan), {_SETTING: shown == "shown"})
        print(json.dumps(spent.figures()), flush=True)
        return
    xvfb = _ensure_display()
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    try:
        only = args.only.split(",")
        floods = [name for name in ("adds", "changes") if name in only]
        if floods:
            _floods(floods, args.runs)
        if "bin" in only:
            _million()
    finally:
        if xvfb is not None:
            xvfb.terminate()


if __name__ == "__main__":
    main()
