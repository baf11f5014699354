"""Benchmark: the window at real scale beside a bare PySide6 window, in the same run (issue 12).

Run from the repository root on a display (Xvfb)::

    DISPLAY=:99 python -m tests.benchmarks.bench_ui [--runs 3] [--only adds,changes,paint] [--million]

(with no DISPLAY it starts ``Xvfb :99`` itself when it can). Every figure is
the median of ``--runs`` runs, ddp-monitor and the reference interleaved run
by run (bare, ours, bare, ours...), each run in a fresh process, so load from
elsewhere on a shared machine hits both alike. The reference is
``bare_window.py``: the same flood from the same ``flood_server.py`` shown by a
plain ``QTableView`` over C++ item data. Prints figures; asserts nothing.

- ``paint``: start to first paint, ``python -m ddp_monitor`` with the embedded
  demo, cold (the project's bytecode not cached: a fresh copy run with ``-B``)
  and warm; the reference opens its window the same way;
- ``adds``: 10,000 new documents a second for 10 s into the collection view:
  event-loop stalls (a 5 ms precise timer's lateness: longest, p99, how many
  over 25 ms), how far behind the window was at the end, RSS with 100,000
  documents; then sorting the ``n`` column (a header click), filtering for
  "document 4242" and clearing the filter, each timed to the next paint;
- ``changes``: 1,000 documents, then 10,000 changes a second for 10 s;
- ``--million``: 1,000,000 documents as fast as the window takes them
  (ingest time at each quarter, to see it stay linear), RSS, then sort,
  filter, clear and a jump to the last row, ddp-monitor only (the reference
  builds 4 million ``QStandardItem`` objects; ``--million-bare`` adds it).

The hosted server's share of the window's stalls is ``bench_server_panel``'s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parents[2]

RATE = 10_000
SECONDS = 10.0
PLANS: dict[str, dict[str, Any]] = {
    "adds": {"mode": "adds", "rate": RATE, "seconds": SECONDS},
    "changes": {"mode": "changes", "rate": RATE, "seconds": SECONDS, "docs": 1000},
    "million": {"mode": "bulk", "docs": 1_000_000},
}
FILTER = "document 4242"


# -- ddp-monitor's side of a flood (its own process) -----------------------------------
async def _ours(
    name: str, url: str, plan: dict[str, Any], preset: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One flood into the window; ``preset`` settings first (bench_timeline's switch)."""
    from PySide6.QtCore import QPoint, QSettings, Qt
    from PySide6.QtTest import QTest

    from ddp_monitor.app.desktop import open_session
    from ddp_monitor.ddp.client.events import DocumentChanged
    from tests.benchmarks.probes import Frames, Stalls, painted, rss_mb

    settings = QSettings(
        str(Path(tempfile.mkdtemp()) / "bench.ini"), QSettings.Format.IniFormat
    )
    for key, value in (preset or {}).items():
        settings.setValue(key, value)
    session = await open_session(url, settings)
    window = session.window
    window.resize(1280, 800)
    window.show()
    window.tabs.setCurrentWidget(window.collections)  # the documents, as the reference
    documents = window.document_model
    done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    quarters: dict[str, float] = {}
    started = time.perf_counter()
    total = int(plan.get("docs", 0))

    def flushed(events: list[Any], _times: list[float]) -> None:
        if total and documents.total >= total * (len(quarters) + 1) / 4:
            quarters[f"ingest_{len(quarters) + 1}q_s"] = time.perf_counter() - started
        for event in events:
            last = isinstance(event, DocumentChanged) and "last" in event.fields
            if last and not done.done():
                done.set_result(float(event.fields["last"]))

    session.adaptor.events_flushed.connect(flushed)
    stalls = Stalls()
    frames = Frames(window.collections.document_table.viewport())
    started, cpu = time.perf_counter(), time.process_time()
    session.adaptor.subscribe("flood", [plan])
    last = await asyncio.wait_for(done, 600)
    figures: dict[str, Any] = {
        **stalls.take(),
        **frames.take(),
        "cpu_s": time.process_time() - cpu,
        "seconds": time.perf_counter() - started,
        "behind_ms": (time.monotonic() - last) * 1000,
        "documents": documents.total,
        **quarters,
    }
    stalls.stop()
    frames.stop()
    figures["rss_mb"] = rss_mb()
    if name in ("adds", "million"):
        panel = window.collections
        table = panel.document_table
        header = table.horizontalHeader()
        x = header.sectionViewportPosition(1) + header.sectionSize(1) // 2
        start = time.perf_counter()
        QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
        figures["sort_s"] = await painted(table.viewport()) - start
        start = time.perf_counter()
        panel.filter.setText(FILTER)
        panel.filter.apply()
        figures["filter_s"] = await painted(table.viewport()) - start
        figures["filter_rows"] = documents.rowCount()
        start = time.perf_counter()
        panel.filter.setText("")
        panel.filter.apply()
        figures["clear_s"] = await painted(table.viewport()) - start
        start = time.perf_counter()
        table.scrollToBottom()
        figures["scroll_s"] = await painted(table.viewport()) - start
        figures["rss_after_mb"] = rss_mb()
    await session.close()
    window.close()
    return figures


def _run_ours(
    name: str, url: str, plan: dict[str, Any], preset: dict[str, Any] | None = None
) -> None:
    import gc

    gc.disable()  # as ddp-monitor's command line starts the window (app.collector)
    import qasync  # type: ignore[import-untyped]
    from PySide6.QtWidgets import QApplication

    from ddp_monitor.ui.theme import Theme, ThemeSwitch

    app = QApplication(sys.argv[:1])
    # The window's look as ddp-monitor's run() puts it (apply_style's successor).
    ThemeSwitch(app, Theme.SYSTEM)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    figures = loop.run_until_complete(_ours(name, url, plan, preset))
    print(json.dumps(figures), flush=True)


# -- start to first paint (fresh processes) ----------------------------------------------
_FIRST_PAINT = """
import gc; gc.disable()  # as ddp-monitor's command line starts the window
import asyncio, json, time
import qasync
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication
from ddp_monitor.app import desktop
from ddp_monitor.ui.theme import Theme, ThemeSwitch

app = QApplication([])
ThemeSwitch(app, Theme.SYSTEM)
loop = qasync.QEventLoop(app)
asyncio.set_event_loop(loop)
done = loop.create_future()

class Painted(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not done.done():
            done.set_result(time.monotonic())
        return False

async def scenario():
    session = await desktop.open_session(None)
    watcher = Painted()
    session.window.installEventFilter(watcher)
    session.window.resize(1280, 800)
    session.window.show()
    painted = await asyncio.wait_for(done, 30)
    await session.close()
    return painted

print(json.dumps({"painted": loop.run_until_complete(scenario())}), flush=True)
"""


def _fresh_copy() -> Path:
    """The package and its resources copied without bytecode: a first start after install."""
    where = Path(tempfile.mkdtemp(prefix="ddp-bench-cold-"))
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(_ROOT / "ddp_monitor", where / "ddp_monitor", ignore=ignore)
    shutil.copytree(_ROOT / "resources", where / "resources", ignore=ignore)
    return where


def first_paint(window: str, cold: bool) -> float:
    """Seconds from starting the process to the window's first paint."""
    where = _fresh_copy() if cold and window == "ours" else _ROOT
    if window == "ours":
        command = [sys.executable, "-B", "-c", _FIRST_PAINT]
    else:
        command = [
            sys.executable,
            "-B",
            "-m",
            "tests.benchmarks.bare_window",
            "--first-paint",
        ]
    started = time.monotonic()
    out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=where)
    if where != _ROOT:
        shutil.rmtree(where, ignore_errors=True)
    return float(json.loads(out.stdout.splitlines()[-1])["painted"]) - started


# -- the driver ----------------------------------------------------------------------------
def flood(window: str, name: str, url: str) -> dict[str, Any]:
    plan = json.dumps(PLANS[name])
    if window == "ours":
        command = [
            sys.executable,
            "-m",
            "tests.benchmarks.bench_ui",
            "--as-ours",
            name,
            url,
            plan,
        ]
    else:
        command = [
            sys.executable,
            "-m",
            "tests.benchmarks.bare_window",
            name,
            url,
            plan,
        ]
    out = subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=_ROOT, timeout=1800
    )
    if out.returncode != 0:
        raise SystemExit(f"{window} {name} failed:\n{out.stdout}\n{out.stderr}")
    return dict(json.loads(out.stdout.splitlines()[-1]))


_ROWS: dict[str, list[tuple[str, str, str]]] = {
    "adds": [
        ("longest stall", "stall_max_ms", "{:.0f} ms"),
        ("p99 stall", "stall_p99_ms", "{:.1f} ms"),
        ("stalls > 25 ms", "stalls_over_25ms", "{:.0f}"),
        ("behind at the end", "behind_ms", "{:.0f} ms"),
        ("window process CPU", "cpu_s", "{:.1f} s"),
        ("RSS, 100,000 documents", "rss_mb", "{:.0f} MB"),
        ("sort a column (click to paint)", "sort_s", "{:.3f} s"),
        (f"filter '{FILTER}'", "filter_s", "{:.3f} s"),
        ("clear the filter", "clear_s", "{:.3f} s"),
    ],
    "changes": [
        ("longest stall", "stall_max_ms", "{:.0f} ms"),
        ("p99 stall", "stall_p99_ms", "{:.1f} ms"),
        ("stalls > 25 ms", "stalls_over_25ms", "{:.0f}"),
        ("behind at the end", "behind_ms", "{:.0f} ms"),
        ("window process CPU", "cpu_s", "{:.1f} s"),
    ],
    "million": [
        ("ingest 250,000", "ingest_1q_s", "{:.1f} s"),
        ("ingest 500,000", "ingest_2q_s", "{:.1f} s"),
        ("ingest 750,000", "ingest_3q_s", "{:.1f} s"),
        ("ingest 1,000,000", "ingest_4q_s", "{:.1f} s"),
        ("longest stall while ingesting", "stall_max_ms", "{:.0f} ms"),
        ("RSS, 1,000,000 documents", "rss_mb", "{:.0f} MB"),
        ("sort a column", "sort_s", "{:.2f} s"),
        (f"filter '{FILTER}'", "filter_s", "{:.2f} s"),
        ("clear the filter", "clear_s", "{:.2f} s"),
        ("jump to the last row", "scroll_s", "{:.3f} s"),
        ("RSS after sort and filter", "rss_after_mb", "{:.0f} MB"),
    ],
}


def _table(
    title: str, rows: list[tuple[str, str, str]], runs: dict[str, list[dict[str, Any]]]
) -> None:
    from tests.benchmarks.probes import median_of

    print(f"\n{title}")
    print(f"  {'':34} {'ddp-monitor':>14} {'bare PySide6':>14}")
    for label, key, form in rows:
        cells = []
        for window in ("ours", "bare"):
            value = median_of(runs[window], key)
            cells.append("-" if value != value else form.format(value))
        print(f"  {label:34} {cells[0]:>14} {cells[1]:>14}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="paint,adds,changes")
    parser.add_argument("--million", action="store_true")
    parser.add_argument("--million-bare", action="store_true")
    parser.add_argument("--as-ours", nargs=3, metavar=("SCENARIO", "URL", "PLAN"))
    args = parser.parse_args()
    if args.as_ours:
        name, url, plan = args.as_ours
        _run_ours(name, url, json.loads(plan))
        return
    xvfb = _ensure_display()
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.benchmarks.flood_server"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=_ROOT,
    )
    try:
        assert server.stdout is not None
        url = json.loads(server.stdout.readline())["url"]
        only = args.only.split(",")
        print(
            f"# medians of {args.runs} interleaved runs (bare, ours, ...), fresh processes"
        )
        if "paint" in only:
            paints: dict[str, list[dict[str, Any]]] = {"ours": [], "bare": []}
            for _ in range(args.runs):
                for window in ("bare", "ours"):
                    paints[window].append(
                        {
                            "cold": first_paint(window, cold=True),
                            "warm": first_paint(window, cold=False),
                        }
                    )
            _table(
                "start to first paint (ddp-monitor: embedded demo server included)",
                [
                    ("cold (project bytecode not cached)", "cold", "{:.3f} s"),
                    ("warm", "warm", "{:.3f} s"),
                ],
                paints,
            )
        scenarios = [s for s in ("adds", "changes") if s in only]
        if args.million:
            scenarios.append("million")
        titles = {
            "adds": f"{RATE:,} new documents/s for {SECONDS:.0f} s, then sort and filter 100,000",
            "changes": f"1,000 documents + {RATE:,} changes/s for {SECONDS:.0f} s",
            "million": "1,000,000 documents, as fast as the window takes them",
        }
        for name in scenarios:
            runs: dict[str, list[dict[str, Any]]] = {"ours": [], "bare": []}
            for _ in range(args.runs if name != "million" else 1):
                for window in ("bare", "ours"):
                    if name == "million" and window == "bare" and not args.million_bare:
                        continue
                    runs[window].append(flood(window, name, url))
            _table(titles[name], _ROWS[name], runs)
    finally:
        server.terminate()
        server.wait(10)
        if xvfb is not None:
            xvfb.terminate()


def _ensure_display() -> subprocess.Popen[bytes] | None:
    if os.environ.get("DISPLAY") or not shutil.which("Xvfb"):
        return None
    xvfb = subprocess.Popen(
        ["Xvfb", ":99", "-screen", "0", "1280x800x24", "-nolisten", "tcp"]
    )
    os.environ["DISPLAY"] = ":99"
    time.sleep(1.0)
    return xvfb


if __name__ == "__main__":
    main()
