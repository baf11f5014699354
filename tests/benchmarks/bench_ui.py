"""Benchmark: the window under 10,000 DDP messages a second, and start-to-first-paint.

Run on a real display (Xvfb): ``DISPLAY=:99 python tests/benchmarks/bench_ui.py``
(with no DISPLAY it starts ``Xvfb :99`` itself when it can). Prints figures,
asserts nothing (issue 4):

- start to first paint: ``python -m ddp_monitor``-style start (embedded demo
  server included) to the window's first Paint event, in a fresh process;
- event-loop stalls while a server in another process sends RATE frames a
  second for SECONDS seconds (1,000 ``added``, then ``changed``), every panel
  live and the visible tab switching every second: the longest and the
  median gap of a 5 ms precise timer beyond its interval;
- last message to table: from the server writing its last frame to the
  message log table painting it (monotonic clock, shared by the processes).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

RATE = 10_000
SECONDS = 10.0
DOCS = 1_000
_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(_ROOT))


# -- the flood server (its own process) ------------------------------------------
async def _serve() -> None:
    from websockets.asyncio.server import ServerConnection, serve

    async def session(ws: ServerConnection) -> None:
        async for text in ws:
            msg = json.loads(text)
            if msg.get("msg") == "connect":
                await ws.send(json.dumps({"msg": "connected", "session": "bench"}))
            elif msg.get("msg") == "sub":
                await _flood(ws, msg["id"])

    async with serve(session, "127.0.0.1", 0, compression=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(json.dumps({"url": f"ws://127.0.0.1:{port}/websocket"}), flush=True)
        await asyncio.Future()


async def _flood(ws: Any, sub_id: str) -> None:
    for k in range(DOCS):
        fields = {"n": 0, "text": f"document {k}", "tags": ["a", "b"]}
        await ws.send(
            json.dumps(
                {"msg": "added", "collection": "flood", "id": f"f{k}", "fields": fields}
            )
        )
    await ws.send(json.dumps({"msg": "ready", "subs": [sub_id]}))
    start, sent, total = time.monotonic(), 0, int(RATE * SECONDS)
    while sent < total:
        due = int((time.monotonic() - start) * RATE) + 1
        for _ in range(min(due, total) - sent):
            sent += 1
            frame = {
                "msg": "changed",
                "collection": "flood",
                "id": f"f{sent % DOCS}",
                "fields": {"n": sent},
            }
            await ws.send(json.dumps(frame))
        await asyncio.sleep(0.001)
    last = {
        "msg": "changed",
        "collection": "flood",
        "id": "f0",
        "fields": {"last": True},
    }
    await ws.send(json.dumps(last))
    print(json.dumps({"last_sent": time.monotonic(), "sent": sent + 1}), flush=True)


# -- first paint (its own process) ------------------------------------------------
def _first_paint() -> None:
    import qasync
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    from ddp_monitor.app import desktop as app_module

    qapp = QApplication([])
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)

    class Painted(QObject):
        def eventFilter(self, _obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and not done.done():
                done.set_result(time.monotonic())
            return False

    done: asyncio.Future[float] = loop.create_future()

    async def scenario() -> float:
        session = await app_module.open_session(None)
        watcher = Painted()
        session.window.installEventFilter(watcher)
        session.window.show()
        painted = await asyncio.wait_for(done, 30)
        await session.close()
        return painted

    print(json.dumps({"painted": loop.run_until_complete(scenario())}), flush=True)


def measure_first_paint() -> float:
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, __file__, "--first-paint"],
        capture_output=True,
        text=True,
        check=True,
        cwd=_ROOT,
    )
    return json.loads(out.stdout.splitlines()[-1])["painted"] - started


# -- the flood, in this process ------------------------------------------------------
def measure_flood() -> dict[str, float]:
    import qasync
    from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from ddp_monitor.app.desktop import apply_style, open_session

    server = subprocess.Popen(
        [sys.executable, __file__, "--serve"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=_ROOT,
    )
    assert server.stdout is not None
    url = json.loads(server.stdout.readline())["url"]
    qapp = QApplication.instance() or QApplication([])
    apply_style(qapp)  # type: ignore[arg-type]
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    gaps: list[float] = []
    marks: dict[str, float] = {}

    async def scenario() -> None:
        settings = QSettings(
            str(Path("/tmp/ddp-bench-settings.ini")), QSettings.Format.IniFormat
        )
        session = await open_session(url, settings)
        window = session.window
        window.resize(1280, 800)
        window.show()
        last_tick = [time.monotonic()]
        ticker = QTimer()
        ticker.setTimerType(Qt.TimerType.PreciseTimer)
        ticker.setInterval(5)

        def tick() -> None:
            now = time.monotonic()
            gaps.append(max(now - last_tick[0] - 0.005, 0.0))
            last_tick[0] = now

        ticker.timeout.connect(tick)
        ticker.start()
        session.adaptor.subscribe("flood", [])
        window.collections.select_collection("flood")

        def seen_last(_parent: object, first: int, last: int) -> None:
            # Scan the whole batch: the RTT probe's ping/pong may come after it.
            model = window.log_model
            for row in range(first, last + 1):
                if '"last"' in str(model.entry(row).frame.data):
                    marks.setdefault("in_model", time.monotonic())

        window.log_model.rowsInserted.connect(seen_last)

        class Painted(QObject):
            def eventFilter(self, _obj: QObject, event: QEvent) -> bool:
                if event.type() == QEvent.Type.Paint and "in_model" in marks:
                    marks.setdefault("painted", time.monotonic())
                    shown.set()
                return False

        shown = asyncio.Event()
        painted = Painted()
        window.log.table.viewport().installEventFilter(painted)
        tabs = [window.methods, window.subscriptions, window.collections, window.log]
        for second in range(int(SECONDS)):
            window.tabs.setCurrentWidget(tabs[second % len(tabs)])
            await asyncio.sleep(1.0)
            if second == 1:
                window.collections.select_collection("flood")
        window.tabs.setCurrentWidget(window.log)
        async with asyncio.timeout(10):
            await shown.wait()
        ticker.stop()
        marks["frames"] = window.log_model.total + window.log_model.dropped
        await session.close()
        window.close()

    try:
        loop.run_until_complete(scenario())
        marks["last_sent"] = json.loads(server.stdout.readline())["last_sent"]
    finally:
        server.terminate()
        server.wait(10)
    return {
        "stall_max_ms": max(gaps) * 1000,
        "stall_median_ms": statistics.median(gaps) * 1000,
        "stall_p99_ms": sorted(gaps)[int(len(gaps) * 0.99)] * 1000,
        "last_to_model_ms": (marks["in_model"] - marks["last_sent"]) * 1000,
        "last_to_paint_ms": (marks["painted"] - marks["last_sent"]) * 1000,
        "frames": marks["frames"],
    }


def _ensure_display() -> subprocess.Popen[bytes] | None:
    if os.environ.get("DISPLAY") or not shutil.which("Xvfb"):
        return None
    xvfb = subprocess.Popen(
        ["Xvfb", ":99", "-screen", "0", "1280x800x24", "-nolisten", "tcp"]
    )
    os.environ["DISPLAY"] = ":99"
    time.sleep(1.0)
    return xvfb


def main() -> None:
    if "--serve" in sys.argv:
        asyncio.run(_serve())
        return
    if "--first-paint" in sys.argv:
        _first_paint()
        return
    xvfb = _ensure_display()
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    try:
        paints = [measure_first_paint() for _ in range(3)]
        print(
            f"start to first paint (demo server included): {min(paints) * 1000:.0f} ms best, "
            f"{statistics.median(paints) * 1000:.0f} ms median of {len(paints)}"
        )
        figures = measure_flood()
        print(
            f"flood: {figures['frames']:,.0f} frames at {RATE:,}/s for {SECONDS:.0f} s, every panel live"
        )
        print(
            f"  event-loop stall: longest {figures['stall_max_ms']:.1f} ms, "
            f"median {figures['stall_median_ms']:.2f} ms, p99 {figures['stall_p99_ms']:.1f} ms"
        )
        print(
            f"  last message -> log model {figures['last_to_model_ms']:.0f} ms, "
            f"-> table painted {figures['last_to_paint_ms']:.0f} ms"
        )
    finally:
        if xvfb is not None:
            xvfb.terminate()


if __name__ == "__main__":
    main()
