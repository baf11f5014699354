"""Benchmark: the Server tab with 1,000 connected clients (issue 5, item 6).

Run from the repository root (not collected by pytest)::

    python -m tests.benchmarks.bench_server_panel [--clients 1000] [--seconds 5]

The window side runs as in the app: the demo server, ``ServerAdaptor`` and a
shown ``ServerPanel`` share one qasync loop (offscreen unless DISPLAY is set).
The clients are bare ``websockets`` DDP sockets in another process, each
subscribed to ``tasks``. Prints, asserting nothing:

1. connect storm: from the first socket to every row in the table;
2. live traffic: ``tasks.add`` every 100 ms from one client, so each add
   changes the counters of all N rows (fan-out), for ``--seconds``;
3. disconnect storm: from "close all" to an empty table;

and for each phase the longest and median stall of the GUI loop (lateness of
a 5 ms precise timer) and how many batches reached the model. ``--bare`` runs
the same without the adaptor and the panel (counting ``server.connections``):
the server's own share of the stalls.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from typing import Any

CONNECT = json.dumps({"msg": "connect", "version": "1", "support": ["1"]})


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


# -- the window side ------------------------------------------------------------------
class Stalls:
    """Lateness of a 5 ms precise timer: how long the GUI loop could not run."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

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

    def take(self) -> tuple[float, float]:
        gaps, self.gaps = self.gaps or [0.0], []
        return max(gaps) * 1000, statistics.median(gaps) * 1000


async def _window_side(n: int, seconds: float, bare: bool) -> None:
    from ddp_monitor.demo.server import create_demo_server
    from ddp_monitor.qt.server_adaptor import ServerAdaptor
    from ddp_monitor.ui.server_panel import ServerPanel

    server = create_demo_server(host="127.0.0.1", port=0)
    await server.start()
    batches = [0]
    adaptor = ServerAdaptor(None if bare else server)
    panel = ServerPanel(adaptor)
    panel.resize(1200, 800)
    panel.show()
    adaptor.connections_flushed.connect(
        lambda *_: batches.__setitem__(0, batches[0] + 1)
    )
    shown = (lambda: len(server.connections)) if bare else panel.model.rowCount
    stalls = Stalls()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.benchmarks.bench_server_panel",
        "--as-clients", server.url, "--clients", str(n), "--seconds", str(seconds),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    started = time.perf_counter()
    stalls.take()

    async def rows(count: int) -> float:
        # Polled at 5 ms: --bare has no signal to wait for, and both modes
        # must measure the same way.
        while shown() != count:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        return time.perf_counter()

    all_rows = await rows(n)
    storm = (all_rows - started, *stalls.take(), batches[0])
    assert (await proc.stdout.readline()).strip() == b"connected"
    assert (await proc.stdout.readline()).strip() == b"traffic"
    stalls.take()
    batches[0] = 0
    if not bare:  # a detail pane to keep fresh
        panel.select(panel.model.record(n // 2).connection_id)
    assert (await proc.stdout.readline()).strip() == b"closing"
    traffic = (*stalls.take(), batches[0])
    closing = time.perf_counter()
    batches[0] = 0
    empty = await rows(0)
    gone = (empty - closing, *stalls.take(), batches[0])
    await proc.wait()
    await adaptor.close()
    what = "server only (--bare)" if bare else "window and server"
    print(f"{n:,} clients, {what} in one process, clients in another")
    print(
        f"  connect storm : all rows shown after {storm[0] * 1000:,.0f} ms; "
        f"GUI stall max {storm[1]:.0f} ms, median {storm[2]:.1f} ms; {storm[3]} batches"
    )
    print(
        f"  live traffic  : {seconds:.0f} s of tasks.add at 10/s to {n:,} subscribers; "
        f"GUI stall max {traffic[0]:.0f} ms, median {traffic[1]:.1f} ms; "
        f"{traffic[2]} batches"
    )
    print(
        f"  close storm   : table empty after {gone[0] * 1000:,.0f} ms; "
        f"GUI stall max {gone[1]:.0f} ms, median {gone[2]:.1f} ms; {gone[3]} batches"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--bare", action="store_true", help="no adaptor, no panel")
    parser.add_argument("--as-clients", metavar="URL")
    args = parser.parse_args()
    if args.as_clients:
        asyncio.run(_clients(args.as_clients, args.clients, args.seconds))
        return
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync  # type: ignore[import-untyped]
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(_window_side(args.clients, args.seconds, args.bare))


if __name__ == "__main__":
    main()
