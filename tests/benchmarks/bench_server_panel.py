"""Benchmark: the window while its hosted server has 1,000 subscribers (issues 5 and 12).

Run from the repository root (not collected by pytest)::

    python -m tests.benchmarks.bench_server_panel [--runs 3] [--clients 1000] [--seconds 5]

(offscreen unless DISPLAY is set). The clients are bare ``websockets`` DDP
sockets in a process of their own, each subscribed to ``tasks``. Three ways
to run the window's side, interleaved run by run, each in a fresh process:

- ``panel``: as the app does: ``ServerAdaptor`` hosts the demo in the hosted
  server's own process and the Server panel is shown;
- ``hidden``: the same with the panel hidden;
- ``in-loop``: the old arrangement, for comparison: the demo ``DDPServer``
  on the window's own qasync loop, no adaptor, no panel (the server's share
  of the stalls the window paid before issue 12).

Phases: a connect storm (from the first socket to every row shown), live
traffic (``tasks.add`` every 100 ms from one client, so each add changes all
N subscribers: 10 changes/s), and a close storm (to an empty table). For each
phase it prints the medians of the longest and median stall of the window's
loop (a 5 ms precise timer's lateness, ``probes.Stalls``) and how long the
table took. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

CONNECT = json.dumps({"msg": "connect", "version": "1", "support": ["1"]})
MODES = ("panel", "hidden", "in-loop")


# -- the clients (their own process) -------------------------------------------------
async def _clients(url: str, n: int, seconds: float) -> None:
    from websockets.asyncio.client import connect

    async def one(k: int) -> Any:
        ws = await connect(url, additional_headers={"User-Agent": f"bench/{k}"})
        await ws.send(CONNECT)
        await ws.recv()
        await ws.send(json.dumps({"msg": "sub", "id": "t", "name": "tasks"}))
        return ws

    sockets = []
    for start in range(0, n, 100):  # as browsers arrive: quickly, not all at once
        sockets += await asyncio.gather(
            *(one(k) for k in range(start, min(n, start + 100)))
        )
    print("connected", flush=True)
    await asyncio.sleep(1.0)
    print("traffic", flush=True)
    drains = [asyncio.ensure_future(_drain(ws)) for ws in sockets]
    end = time.monotonic() + seconds
    k = 0
    while time.monotonic() < end:
        k += 1
        call = {
            "msg": "method",
            "id": str(k),
            "method": "tasks.add",
            "params": [f"t{k}"],
        }
        await sockets[0].send(json.dumps(call))
        await asyncio.sleep(0.1)
    print("closing", flush=True)
    for task in drains:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    print("closed", flush=True)


async def _drain(ws: Any) -> None:
    while True:
        await ws.recv()


# -- the window side (its own process) -----------------------------------------------
async def _window_side(n: int, seconds: float, mode: str) -> dict[str, float]:
    from ddp_monitor.app.collector import CollectorPlan
    from ddp_monitor.qt.server_adaptor import ServerAdaptor
    from ddp_monitor.ui.server_panel import ServerPanel
    from tests.benchmarks.probes import Stalls

    CollectorPlan().start()  # as the app runs it
    adaptor = ServerAdaptor()
    panel = ServerPanel(adaptor)
    panel.resize(1200, 800)
    server: Any = None
    shown: Callable[[], int] = panel.model.rowCount
    if mode == "in-loop":
        from ddp_monitor.demo.server import create_demo_server

        server = create_demo_server(host="127.0.0.1", port=0)
        await server.start()
        url = str(server.url)
        shown = lambda: len(server.connections)  # noqa: E731
    else:
        assert adaptor.host_now("127.0.0.1", 0, demo=True)
        url = adaptor.url
    if mode == "panel":
        panel.show()
    stalls = Stalls()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.benchmarks.bench_server_panel",
        "--as-clients", url, "--clients", str(n), "--seconds", str(seconds),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    started = time.perf_counter()
    stalls.take()

    async def rows(count: int) -> float:
        # Polled at 5 ms: in-loop has no signal to wait for, and every mode
        # must measure the same way.
        while shown() != count:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        return time.perf_counter()

    figures: dict[str, float] = {}
    figures["storm_s"] = await rows(n) - started
    storm = stalls.take()
    figures["storm_max_ms"] = storm["stall_max_ms"]
    assert (await proc.stdout.readline()).strip() == b"connected"
    assert (await proc.stdout.readline()).strip() == b"traffic"
    stalls.take()
    if mode == "panel":  # a detail pane to keep fresh
        panel.select(panel.model.record(n // 2).connection_id)
    assert (await proc.stdout.readline()).strip() == b"closing"
    traffic = stalls.take()
    figures["traffic_max_ms"] = traffic["stall_max_ms"]
    figures["traffic_median_ms"] = traffic["stall_median_ms"]
    figures["traffic_p99_ms"] = traffic["stall_p99_ms"]
    closing = time.perf_counter()
    figures["close_s"] = await rows(0) - closing
    figures["close_max_ms"] = stalls.take()["stall_max_ms"]
    await proc.wait()
    stalls.stop()
    await adaptor.close()
    if server is not None:
        await server.stop()
    return figures


def _run_window(n: int, seconds: float, mode: str) -> None:
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync  # type: ignore[import-untyped]
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        figures = loop.run_until_complete(_window_side(n, seconds, mode))
    print(json.dumps(figures), flush=True)


_ROWS = [
    ("connect storm: all rows shown", "storm_s", "{:.2f} s"),
    ("connect storm: longest stall", "storm_max_ms", "{:.0f} ms"),
    ("traffic (10 changes/s): longest stall", "traffic_max_ms", "{:.0f} ms"),
    ("traffic: p99 stall", "traffic_p99_ms", "{:.1f} ms"),
    ("traffic: median stall", "traffic_median_ms", "{:.2f} ms"),
    ("close storm: table empty", "close_s", "{:.2f} s"),
    ("close storm: longest stall", "close_max_ms", "{:.0f} ms"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--as-clients", metavar="URL")
    parser.add_argument("--as-window", choices=MODES)
    args = parser.parse_args()
    if args.as_clients:
        asyncio.run(_clients(args.as_clients, args.clients, args.seconds))
        return
    if args.as_window:
        _run_window(args.clients, args.seconds, args.as_window)
        return
    runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    for _ in range(args.runs):
        for mode in MODES:
            out = subprocess.run(
                [sys.executable, "-m", "tests.benchmarks.bench_server_panel",
                 "--as-window", mode, "--clients", str(args.clients),
                 "--seconds", str(args.seconds)],
                capture_output=True, text=True, check=True, timeout=600,
            )  # fmt: skip
            runs[mode].append(json.loads(out.stdout.splitlines()[-1]))
    print(
        f"{args.clients:,} subscribers, the window's loop; medians of {args.runs} "
        "interleaved runs"
    )
    print(f"  {'':40} {'panel shown':>12} {'panel hidden':>12} {'in the loop':>12}")
    for label, key, form in _ROWS:
        cells = [
            form.format(statistics.median(r[key] for r in runs[mode])) for mode in MODES
        ]
        print(f"  {label:40} {cells[0]:>12} {cells[1]:>12} {cells[2]:>12}")


if __name__ == "__main__":
    main()
