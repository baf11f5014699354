"""Benchmark: opening a 1,000,000-item recording in the window, and scrubbing it (issue 16).

Run from the repository root, on a display (Xvfb) or offscreen::

    DISPLAY=:99 python -m tests.benchmarks.bench_recording_open [--items 1000000] [--runs 3]

First it writes a recording of ``--items`` lines with the real writer
(``recording.recorder.RecordingWriter``) over 30 minutes of a realistic
connection: mostly documents added and changed, each with the ``added`` or
``changed`` frame that brought it, in three collections; calls with their
``method``/``result``/``updated`` frames; subscriptions; a drop and reconnect
every 5 minutes. Then, per run, each in a fresh process (so one run's memory
is not the next one's), the window composed as the app composes it (the
collector's plan included):

- ``Workspace.open_recording`` timed to the page's first paint and to
  ``loaded`` (the whole file read; also in CPU seconds, which other work on
  a shared machine does not stretch), and the window's stalls meanwhile (a
  5 ms timer's lateness: longest and p99);
- the cursor moved to 10 random moments, each timed to the page's next
  paint (median and max), over the Collections tab, then over the Messages
  tab (whose log of up to 50,000 rows is made again at each move);
- the process's RSS;
- then ``ddp-monitor -v FILE`` timed from its start to its log's "window
  shown" (Python and Qt starting included).

Prints each run and the median of the runs; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parents[2]
MINUTES = 30
SEEKS = 10


# -- the recording ----------------------------------------------------------------
def write_recording(path: Path, items: int, seed: int = 7) -> int:
    """A realistic recording of ``items`` lines; returns how many were written."""
    from ddp_monitor.ddp.client.events import (
        DocumentAdded,
        DocumentChanged,
        DocumentRemoved,
        HandshakeCompleted,
        MethodCalled,
        MethodCompleted,
        MethodResultReceived,
        MethodSent,
        StatusChanged,
        SubscriptionReady,
        SubscriptionRequested,
        TransportLost,
    )
    from ddp_monitor.ddp.client.status import ConnectionStatus, Status
    from ddp_monitor.recording.format import Header, RecordedFrame
    from ddp_monitor.recording.recorder import RecordingWriter

    rng = random.Random(seed)
    step = MINUTES * 60 / items
    header = Header("ws://app.example.com/websocket", datetime.now(UTC), "bench")
    sizes = {"messages": 12_000, "tasks": 3_000, "users": 500}
    live: dict[str, list[str]] = {name: [] for name in sizes}
    next_id = 0
    call = 0
    now = 0.0
    with path.open("w", encoding="utf-8") as out:
        writer = RecordingWriter(out, header, 0.0, flush_every=1 << 30)

        def frame(inbound: bool, message: dict[str, Any]) -> None:
            writer.write(now, RecordedFrame(inbound, json.dumps(message)))

        def connect() -> None:
            nonlocal now
            connecting = Status(ConnectionStatus.CONNECTING, False, 0)
            writer.write(now, StatusChanged(connecting))
            frame(False, {"msg": "connect", "version": "1", "support": ["1"]})
            frame(True, {"msg": "connected", "session": f"s{now:.0f}"})
            writer.write(now, HandshakeCompleted(f"s{now:.0f}", "1"))
            connected = Status(ConnectionStatus.CONNECTED, True, 0)
            writer.write(now, StatusChanged(connected))
            for sub, name in enumerate(sizes):
                sub_id = f"sub{sub}-{now:.0f}"
                writer.write(now, SubscriptionRequested(sub_id, name, [100]))
                frame(False, {"msg": "sub", "id": sub_id, "name": name})
                frame(True, {"msg": "ready", "subs": [sub_id]})
                writer.write(now, SubscriptionReady(sub_id))

        connect()
        next_drop = 300.0
        while writer.written < items:
            now += step
            if now >= next_drop:  # a drop and a reconnect, every 5 minutes
                next_drop += 300.0
                writer.write(now, TransportLost("socket closed", False))
                waiting = Status(ConnectionStatus.WAITING, False, 1, now + 1.2)
                writer.write(now, StatusChanged(waiting))
                now += 1.2
                connect()
                continue
            roll = rng.random()
            if roll < 0.01:  # a call: 7 lines
                call += 1
                method_id = str(call)
                params = [rng.randrange(1000), "text"]
                writer.write(now, MethodCalled(method_id, "tasks.update", params))
                writer.write(now, MethodSent(method_id, "tasks.update", params))
                frame(
                    False, {"msg": "method", "method": "tasks.update", "id": method_id}
                )
                now += step
                frame(True, {"msg": "result", "id": method_id, "result": call})
                writer.write(now, MethodResultReceived(method_id, call, None))
                frame(True, {"msg": "updated", "methods": [method_id]})
                writer.write(now, MethodCompleted(method_id, call, None))
                continue
            name = rng.choice(list(sizes))
            ids = live[name]
            if len(ids) < sizes[name] and (not ids or roll < 0.25):
                next_id += 1
                doc_id = f"d{next_id}"
                fields = {"n": next_id, "text": f"document {next_id}", "done": False}
                frame(
                    True,
                    {
                        "msg": "added",
                        "collection": name,
                        "id": doc_id,
                        "fields": fields,
                    },
                )
                writer.write(now, DocumentAdded(name, doc_id, fields))
                ids.append(doc_id)
            elif roll < 0.27 and ids:
                doc_id = ids.pop(rng.randrange(len(ids)))
                frame(True, {"msg": "removed", "collection": name, "id": doc_id})
                writer.write(now, DocumentRemoved(name, doc_id))
            else:
                doc_id = rng.choice(ids)
                fields = {"n": rng.randrange(10**6), "done": rng.random() < 0.5}
                frame(
                    True,
                    {
                        "msg": "changed",
                        "collection": name,
                        "id": doc_id,
                        "fields": fields,
                    },
                )
                writer.write(now, DocumentChanged(name, doc_id, fields, []))
        count = writer.written
    return count


# -- one run, in its own process ------------------------------------------------------
def _one_run(path: Path, seed: int) -> dict[str, Any]:
    from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    from ddp_monitor.app.collector import CollectorPlan
    from ddp_monitor.app.workspace import Workspace
    from ddp_monitor.qt.recording_adaptor import RecordingAdaptor
    from ddp_monitor.ui.main_window import MainWindow

    settings_dir = tempfile.mkdtemp(prefix="bench-recording-")
    settings = QSettings(f"{settings_dir}/s.ini", QSettings.Format.IniFormat)
    window = MainWindow(None, settings)
    window.resize(1280, 800)
    window.show()
    # As the app composes it (app.desktop): the collector's plan freezes
    # what survives, so a full pass never walks the documents read so far.
    collector = CollectorPlan(window)
    workspace = Workspace(window, collector.released)
    collector.start()
    for _ in range(5):
        app.processEvents()

    class Painted(QObject):
        at: float | None = None

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and self.at is None:
                self.at = time.perf_counter()
            return False

    painted = Painted()
    # The window's stalls while it reads: a 5 ms timer's lateness.
    stalls: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        stalls.append(now - last[0] - 0.005)
        last[0] = now

    ticker = QTimer()
    ticker.setTimerType(Qt.TimerType.PreciseTimer)
    ticker.setInterval(5)
    ticker.timeout.connect(tick)
    ticker.start()
    cpu = time.process_time()
    started = time.perf_counter()
    page = workspace.open_recording(path)
    assert page is not None
    page.tabs.installEventFilter(painted)
    adaptor = page.adaptor
    assert isinstance(adaptor, RecordingAdaptor)
    while painted.at is None:
        app.processEvents()
    first_paint = painted.at - started
    while not adaptor.done:
        app.processEvents()
    loaded = time.perf_counter() - started
    loaded_cpu = time.process_time() - cpu
    ticker.stop()
    stalls.sort()
    for _ in range(5):
        app.processEvents()
    # Scrubbing: 10 moments, each timed to the page's next paint.
    rng = random.Random(seed)
    seeks: dict[int, list[float]] = {2: [], 3: []}
    for tab, times in seeks.items():  # Collections, then Messages
        page.tabs.setCurrentIndex(tab)
        for _ in range(SEEKS):
            painted.at = None
            at = rng.uniform(0, adaptor.duration)
            begun = time.perf_counter()
            adaptor.seek(at)
            page.tabs.update()
            while painted.at is None:
                app.processEvents()
            times.append(painted.at - begun)
    rss = _rss_mb()
    window.close()
    return {
        "items": len(adaptor),
        "first_paint": first_paint,
        "loaded": loaded,
        "loaded_cpu": loaded_cpu,
        "stall_max": stalls[-1],
        "stall_p99": stalls[int(len(stalls) * 0.99)],
        "seek_median": statistics.median(seeks[2]),
        "seek_max": max(seeks[2]),
        "seek_log_median": statistics.median(seeks[3]),
        "seek_log_max": max(seeks[3]),
        "rss_mb": rss,
    }


def _window_shown(path: Path) -> float:
    """Seconds from ``ddp-monitor -v FILE`` starting to its log's "window shown"."""
    settings = tempfile.mkdtemp(prefix="bench-recording-cli-")
    env = {**os.environ, "XDG_CONFIG_HOME": settings, "XDG_DATA_HOME": settings}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    begun = time.perf_counter()
    app = subprocess.Popen(
        [sys.executable, "-m", "ddp_monitor", "-v", str(path), "--quit-after", "0"],
        cwd=_ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert app.stderr is not None
    shown = float("nan")
    for line in app.stderr:
        if "window shown" in line:
            shown = time.perf_counter() - begun
            break
    app.kill()
    app.wait()
    return shown


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--file", type=Path, help="use (or make) this recording")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # a child run
    parser.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(_one_run(args.one, args.seed)))
        return
    path = args.file or Path(tempfile.mkdtemp(prefix="bench-rec-")) / "big.ddprec"
    if not path.exists():
        begun = time.perf_counter()
        written = write_recording(path, args.items)
        print(
            f"wrote {written:,} items ({path.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - begun:.1f} s: {path}"
        )
    runs = []
    for run in range(args.runs):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.benchmarks.bench_recording_open",
                "--one",
                str(path),
                "--seed",
                str(run + 1),
            ],
            cwd=_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        figures["cli_window_shown"] = _window_shown(path)
        runs.append(figures)
        print(f"run {run + 1}: " + json.dumps(figures))
    print(f"median of {len(runs)} runs, {runs[0]['items']:,} items:")
    for name, unit in (
        ("first_paint", "s"),
        ("cli_window_shown", "s"),
        ("loaded", "s"),
        ("loaded_cpu", "s"),
        ("stall_max", "s"),
        ("stall_p99", "s"),
        ("seek_median", "s"),
        ("seek_max", "s"),
        ("seek_log_median", "s"),
        ("seek_log_max", "s"),
        ("rss_mb", "MB"),
    ):
        value = statistics.median(r[name] for r in runs)
        print(f"  {name:16} {value:8.3f} {unit}")


if __name__ == "__main__":
    main()
